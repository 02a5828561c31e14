// assert: every condition must be true. Conditions are rendered by the runner, so this module sees
// their values; the conditions as written (ctx.task.raw) name the ones that failed.
import { loadTaskSchema } from '../runner/load/package-root.js';
import { isTrue } from '../runner/template/template.js';
import type { TaskModule } from '../runner/types.js';

interface AssertParams {
  that: unknown[] | string | boolean;
  fail_msg?: string;
  success_msg?: string;
}

const asList = (that: AssertParams['that']): unknown[] => (Array.isArray(that) ? that : [that]);

function failures(params: AssertParams, raw: unknown): string[] {
  const rawList = raw && typeof raw === 'object' && 'that' in raw ? asList((raw as AssertParams).that) : [];
  return asList(params.that).flatMap((v, i) => (isTrue(v) ? [] : [typeof rawList[i] === 'string' ? (rawList[i] as string) : JSON.stringify(v)]));
}

const assert: TaskModule<AssertParams> = {
  name: 'assert',
  schema: loadTaskSchema('assert'),
  describe: (p) => [`check ${asList(p.that).length} condition(s)`],
  async check(params, ctx) {
    const failed = failures(params, ctx.task.raw);
    if (failed.length) {
      throw new Error(`${params.fail_msg ?? 'assertion failed'}: ${failed.join('; ')}`);
    }
    return { changes: [], outputs: {}, notes: [params.success_msg ?? `all ${asList(params.that).length} condition(s) true`] };
  },
  async apply() {
    return {};
  },
};

export default assert;
