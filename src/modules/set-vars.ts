// set-vars: its parameters (already rendered) become variables for the tasks that follow; the
// schema's x-kfup-exports-vars tells the runner to export a task type's outputs as variables.
import { defineTask } from './kit/index.js';
import type { SetVarsOutputs, SetVarsParams } from './generated/set-vars.js';

export default defineTask<SetVarsParams, SetVarsOutputs>({
  name: 'set-vars',
  describe: (p) => Object.entries(p).map(([k, v]) => `set ${k} = ${JSON.stringify(v)}`),
  async check(params) {
    // setting a variable changes nothing outside kfup, so it is always ok and its values are known now
    return { changes: [], outputs: { ...params } };
  },
  async apply(params) {
    return { ...params };
  },
});
