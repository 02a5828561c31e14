// Writing Kubernetes objects the way a task type's apply must: compare-and-set against what check
// saw (apply executes the plan, or fails when the world moved; it never improvises), every call
// retried for passing reasons (429, 5xx, dropped connections; 409 Conflict on writes), failures
// as TaskErrors that say whether trying again may help. And the merge patch that undoes exactly
// the fields a task changed, for revert. Shared by knative-config and prometheus-scrape.
import { jsonEqual } from '../json.js';
import { TaskError } from '../task-error.js';
import { isJsonObject, type JsonObject } from './owned-fields.js';
import { isRetryable, kubeMessage, kubeReason, kubeStatus, withKubeRetry } from './retry.js';

/** a read (or, with write: true, a write) retried for passing reasons, Retry-After honoured */
export const retryKube = <T>(fn: () => Promise<T>, opts: { write?: boolean; signal?: AbortSignal } = {}): Promise<T> =>
  withKubeRetry(fn, { attempts: 6, baseMs: 50, retryConflict: opts.write ?? false, signal: opts.signal });

/** a failed call as a TaskError: status and the server's message, never the request body */
export function kubeCallError(what: string, e: unknown): TaskError {
  if (e instanceof TaskError) return e;
  const st = kubeStatus(e);
  return new TaskError(`${what}: ${st === undefined ? '' : `HTTP ${st}: `}${kubeMessage(e)}`, {
    code: kubeReason(e) ?? (st === undefined ? 'request-failed' : `http-${st}`),
    retryable: isRetryable(e, true),
    cause: e,
  });
}

export interface GuardedWrite<T> {
  /** what is written, for messages ("config map knative-serving/config-domain") */
  what: string;
  /** reads the live object (undefined when absent) */
  read: () => Promise<T | undefined>;
  /** the part of the object the task owns, as a comparable value */
  state: (obj: T | undefined) => unknown;
  /** that part as check saw it, and as it should end up */
  before: unknown;
  after: unknown;
  write: (obj: T | undefined) => Promise<unknown>;
  signal?: AbortSignal;
}

/**
 * Compare-and-set: writes only when the owned part still looks as check saw it. If it already
 * looks as planned (an earlier attempt whose answer was lost), nothing is written; if it is
 * something else, the world moved since check and this fails instead of improvising (retryable:
 * the next attempt plans again from what is there). A write
 * that fails for a passing reason is tried again from the read.
 */
export async function guardedWrite<T>(g: GuardedWrite<T>): Promise<'written' | 'already'> {
  try {
    return await withKubeRetry(
      async () => {
        const obj = await g.read();
        const now = g.state(obj);
        if (jsonEqual(now, g.after)) return 'already' as const;
        if (!jsonEqual(now, g.before)) {
          throw new TaskError(`${g.what} changed since check`, { code: 'changed-since-check', hint: 'run the task again to plan against its current state', retryable: true });
        }
        await g.write(obj);
        return 'written' as const;
      },
      { attempts: 6, baseMs: 100, maxMs: 2000, retryConflict: true, signal: g.signal },
    );
  } catch (e) {
    throw kubeCallError(`writing ${g.what}`, e);
  }
}

/** what the journal holds in place of a secret value */
export const REDACTION_MARK = '***';

/**
 * The JSON merge patch that puts back, in `current`, every field that differs between `before`
 * (what the task replaced) and `after` (what it wrote), leaving fields it never touched alone.
 * Lists are restored whole (merge patches replace lists). Leaves whose journaled value was
 * redacted cannot be restored and are listed in `skipped`. Undefined when nothing is to be done.
 */
export function revertPatch(before: unknown, after: unknown, current: unknown, path = '', skipped: string[] = []): { patch?: JsonObject; skipped: string[] } {
  const b = isJsonObject(before) ? before : {};
  const a = isJsonObject(after) ? after : {};
  const c = isJsonObject(current) ? current : {};
  const out: JsonObject = {};
  for (const k of new Set([...Object.keys(b), ...Object.keys(a)])) {
    const bv = b[k];
    const av = a[k];
    if (jsonEqual(bv, av)) continue;
    const here = path ? `${path}.${k}` : k;
    if (isJsonObject(bv) && isJsonObject(av) && isJsonObject(c[k])) {
      const sub = revertPatch(bv, av, c[k], here, skipped).patch;
      if (sub) out[k] = sub;
      continue;
    }
    if (jsonEqual(c[k], bv)) continue;
    if (JSON.stringify(bv ?? null).includes(REDACTION_MARK)) {
      skipped.push(here);
      continue;
    }
    out[k] = bv === undefined ? null : bv;
  }
  return { patch: Object.keys(out).length ? out : undefined, skipped };
}
