// set-vars: its parameters (already rendered) become variables for the tasks that follow; the
// schema's x-kfup-exports-vars tells the runner to export a task type's outputs as variables.
import { loadTaskSchema } from '../runner/load/package-root.js';
import type { TaskModule } from '../runner/types.js';

type SetVarsParams = Record<string, unknown>;

const setVars: TaskModule<SetVarsParams> = {
  name: 'set-vars',
  schema: loadTaskSchema('set-vars'),
  describe: (p) => Object.entries(p).map(([k, v]) => `set ${k} = ${JSON.stringify(v)}`),
  async check(params) {
    // setting a variable changes nothing outside kfup, so it is always ok and its values are known now
    return { changes: [], outputs: { ...params } };
  },
  async apply(params) {
    return { ...params };
  },
};

export default setVars;
