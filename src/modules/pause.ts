// pause: the approval gate before the maintenance window and before cutover. Asking changes
// nothing outside kfup, so an approved gate is `ok` (a second run stays all-ok); in check and
// dry-run it only reports the question it would ask.
import { defineTask } from './kit/index.js';
import type { PauseOutputs, PauseParams } from './generated/pause.js';

export default defineTask<PauseParams, PauseOutputs>({
  name: 'pause',
  messages: { refused: 'not approved: {{prompt}}' },
  describe: (p) => [`ask: ${p.prompt}`],
  async check(params, ctx) {
    if (ctx.mode !== 'run') return { changes: [], outputs: { approved: false }, notes: [`would ask: ${params.prompt}`] };
    const yes = await ctx.confirm(params.prompt);
    if (!yes) throw this.error('refused', { prompt: params.prompt });
    return { changes: [], outputs: { approved: true }, notes: ['approved'] };
  },
  async apply() {
    return { approved: true };
  },
});
