// pause: the approval gate before the maintenance window and before cutover. Asking changes
// nothing outside kfup, so an approved gate is `ok` (a second run stays all-ok); in check and
// dry-run it only reports the question it would ask.
import { loadTaskSchema } from '../runner/load/package-root.js';
import type { TaskModule } from '../runner/types.js';

interface PauseParams {
  prompt: string;
}

const pause: TaskModule<PauseParams> = {
  name: 'pause',
  schema: loadTaskSchema('pause'),
  describe: (p) => [`ask: ${p.prompt}`],
  async check(params, ctx) {
    if (ctx.mode !== 'run') return { changes: [], outputs: { approved: false }, notes: [`would ask: ${params.prompt}`] };
    const yes = await ctx.confirm(params.prompt);
    if (!yes) throw new Error(`not approved: ${params.prompt}`);
    return { changes: [], outputs: { approved: true }, notes: ['approved'] };
  },
  async apply() {
    return { approved: true };
  },
};

export default pause;
