// Small Kubernetes call helpers for knative-config and prometheus-scrape: retry of transient
// failures (409 on writes, 429, 5xx, dropped connections), a compare-and-set write that refuses
// to act when the object moved since check, and the merge patch that undoes what a task changed.
// Retries come from the shared src/modules/kube/retry.ts; prometheus-scrape uses this file too.
import { sleep } from '../../runner/engine/abort.js';
import { isRetryable, kubeMessage, kubeStatus, withKubeRetry } from '../kit/kube/retry.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export const isObj = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** a plain JSON copy (client-node model instances carry Dates and classes) */
export const plain = <T = JsonObject>(v: unknown): T => (v === undefined ? (undefined as T) : (JSON.parse(JSON.stringify(v)) as T));

/** deep equality of JSON values, key order ignored */
export function equalJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equalJson(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => equalJson(a[k], b[k]));
  }
  return false;
}

export { kubeStatus as statusOf, isNotFound } from '../kit/kube/retry.js';

export interface RetryOptions {
  /** a write: 409 Conflict is retried too */
  write?: boolean;
  attempts?: number;
  signal?: AbortSignal;
}

/** the shared retry (429, 5xx, dropped connections; 409 Conflict on writes), Retry-After honoured */
export const withRetry = <T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> =>
  withKubeRetry(fn, { attempts: opts.attempts ?? 6, baseMs: 50, retryConflict: opts.write ?? false, signal: opts.signal });

/** a short message for a failed call: status and the server's message, never the request body */
export function callError(what: string, e: unknown): Error {
  const st = kubeStatus(e);
  return new Error(`${what}: ${st === undefined ? '' : `HTTP ${st}: `}${kubeMessage(e)}`);
}

export interface GuardedWrite<T> {
  /** what is written, for messages ("config map knative-serving/config-domain") */
  what: string;
  /** reads the live object (undefined when absent); transient failures are retried here */
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
 * something else, the world moved since check and this fails instead of improvising.
 */
export async function guardedWrite<T>(g: GuardedWrite<T>): Promise<'written' | 'already'> {
  let delay = 100;
  for (let i = 1; ; i++) {
    const obj = await withRetry(g.read, { signal: g.signal });
    const now = g.state(obj);
    if (equalJson(now, g.after)) return 'already';
    if (!equalJson(now, g.before)) throw new Error(`${g.what} changed since check; run the task again to plan against its current state`);
    try {
      await g.write(obj);
      return 'written';
    } catch (e) {
      if (i >= 6 || !isRetryable(e, true) || g.signal?.aborted) throw callError(`writing ${g.what}`, e);
      await sleep(delay, g.signal);
      delay = Math.min(delay * 2, 2000);
    }
  }
}

export const REDACTION_MARK = '***';

/**
 * The JSON merge patch that puts back, in `current`, every field that differs between `before`
 * (what the task replaced) and `after` (what it wrote), leaving fields it never touched alone.
 * Lists are restored whole (merge patches replace lists). Leaves whose journaled value was
 * redacted cannot be restored and are listed in `skipped`. Undefined when nothing is to be done.
 */
export function revertPatch(before: unknown, after: unknown, current: unknown, path = '', skipped: string[] = []): { patch?: JsonObject; skipped: string[] } {
  const b = isObj(before) ? before : {};
  const a = isObj(after) ? after : {};
  const c = isObj(current) ? current : {};
  const out: JsonObject = {};
  for (const k of new Set([...Object.keys(b), ...Object.keys(a)])) {
    const bv = b[k];
    const av = a[k];
    if (equalJson(bv, av)) continue;
    const here = path ? `${path}.${k}` : k;
    if (isObj(bv) && isObj(av) && isObj(c[k])) {
      const sub = revertPatch(bv, av, c[k], here, skipped).patch;
      if (sub) out[k] = sub;
      continue;
    }
    if (equalJson(c[k], bv)) continue;
    if (JSON.stringify(bv ?? null).includes(REDACTION_MARK)) {
      skipped.push(here);
      continue;
    }
    out[k] = bv === undefined ? null : bv;
  }
  return { patch: Object.keys(out).length ? out : undefined, skipped };
}
