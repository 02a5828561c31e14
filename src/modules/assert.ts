// assert: every condition must be true. Conditions are rendered by the runner, so this task type
// sees their values; the conditions as written (ctx.task.raw) name the ones that failed.
import { defineTask, isTrue } from './kit/index.js';
import type { AssertOutputs, AssertParams } from './generated/assert.js';

const asList = (that: AssertParams['that']): unknown[] => (Array.isArray(that) ? that : [that]);

function failures(params: AssertParams, raw: unknown): string[] {
  const rawList = raw && typeof raw === 'object' && 'that' in raw ? asList((raw as AssertParams).that) : [];
  return asList(params.that).flatMap((v, i) => (isTrue(v) ? [] : [typeof rawList[i] === 'string' ? rawList[i] : JSON.stringify(v)]));
}

export default defineTask<AssertParams, AssertOutputs>({
  name: 'assert',
  messages: { failed: '{{message}}: {{conditions}}' },
  describe: (p) => [`check ${asList(p.that).length} condition(s)`],
  async check(params, ctx) {
    const failed = failures(params, ctx.task.raw);
    if (failed.length) throw this.error('failed', { message: params.fail_msg ?? 'assertion failed', conditions: failed.join('; ') });
    return { changes: [], outputs: {}, notes: [params.success_msg ?? `all ${asList(params.that).length} condition(s) true`] };
  },
  async apply() {
    return {};
  },
});
