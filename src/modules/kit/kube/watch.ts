// Waiting for one object to reach a state by WATCHING it, not by polling: a get gives the
// current object and its resourceVersion, a watch (field selector metadata.name) continues from
// there. An ended stream (server timeout, dropped connection) is resumed from the last
// resourceVersion seen; 410 Gone (that version is too old) starts over with a fresh get.
// The signal (Ctrl-C, task timeout) aborts the watch request at once.
import type { Watch } from '@kubernetes/client-node';
import { abortError, sleep } from '../../../runner/engine/abort.js';
import { isNotFound, withKubeRetry } from './retry.js';

export interface KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; uid?: string };
  status?: unknown;
  spec?: unknown;
}

export interface WatchUntilOptions<T extends KubeObjectLike, R> {
  watch: Watch;
  /** the collection's path, e.g. /apis/velero.io/v1/namespaces/velero/backups */
  path: string;
  name: string;
  /** reads the object now (undefined when it does not exist) */
  get: () => Promise<T | undefined>;
  /**
   * decides on each version of the object (undefined when absent or deleted): a value ends the
   * wait with it, undefined keeps waiting
   */
  decide: (obj: T | undefined) => R | undefined;
  signal: AbortSignal;
  /** give up after this long (ms), with timeoutMessage */
  timeoutMs?: number;
  timeoutMessage?: string;
  /** server-side timeout of each watch request (s, default 300): the stream is then resumed */
  watchTimeoutSeconds?: number;
}

export class WaitTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaitTimeout';
  }
}

/** an object fetched with get, 404 as undefined */
export async function getOrUndefined<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T | undefined> {
  try {
    return await withKubeRetry(fn, { signal, retryConflict: false });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export async function watchUntil<T extends KubeObjectLike, R>(o: WatchUntilOptions<T, R>): Promise<R> {
  // one controller for the whole wait: the task's signal and our own deadline both end it
  const stop = new AbortController();
  const onAbort = () => stop.abort(o.signal.reason);
  if (o.signal.aborted) throw abortError(o.signal);
  o.signal.addEventListener('abort', onAbort, { once: true });
  const deadline = o.timeoutMs !== undefined ? setTimeout(() => stop.abort(new WaitTimeout(o.timeoutMessage ?? `timed out after ${o.timeoutMs} ms`)), o.timeoutMs) : undefined;
  try {
    let failures = 0;
    for (;;) {
      const current = await withKubeRetry(() => o.get(), { signal: stop.signal, retryConflict: false });
      const early = o.decide(current);
      if (early !== undefined) return early;
      const outcome = await streamFrom(o, current?.metadata?.resourceVersion, stop.signal);
      if ('result' in outcome) return outcome.result;
      if (stop.signal.aborted) throw abortError(stop.signal);
      // 410: the version is gone, read afresh at once; other ends: a short pause, growing on repeats
      if (outcome.gone) failures = 0;
      else await sleep(Math.min(5000, 100 * 2 ** Math.min(failures++, 6)), stop.signal);
    }
  } finally {
    clearTimeout(deadline);
    o.signal.removeEventListener('abort', onAbort);
  }
}

type StreamOutcome<R> = { result: R } | { gone: boolean };

/** one watch request from a resourceVersion, resumed in place while the server keeps ending it cleanly */
async function streamFrom<T extends KubeObjectLike, R>(o: WatchUntilOptions<T, R>, fromVersion: string | undefined, signal: AbortSignal): Promise<StreamOutcome<R>> {
  let rv = fromVersion;
  for (;;) {
    const startedAt = Date.now();
    const outcome = await new Promise<StreamOutcome<R> | { ended: true; error?: unknown }>((resolve) => {
      let settled = false;
      let req: AbortController | undefined;
      const finish = (v: StreamOutcome<R> | { ended: true; error?: unknown }) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        req?.abort();
        resolve(v);
      };
      const onAbort = () => finish({ ended: true });
      signal.addEventListener('abort', onAbort, { once: true });
      const query: Record<string, string | number | boolean> = {
        fieldSelector: `metadata.name=${o.name}`,
        allowWatchBookmarks: true,
        timeoutSeconds: o.watchTimeoutSeconds ?? 300,
      };
      if (rv) query.resourceVersion = rv;
      o.watch
        .watch(
          o.path,
          query,
          (type: string, obj: T) => {
            if (settled) return;
            if (type === 'ERROR') {
              const code = (obj as unknown as { code?: number })?.code;
              finish(code === 410 ? { gone: true } : { ended: true, error: obj });
              return;
            }
            if (obj?.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
            if (type === 'BOOKMARK') return;
            const r = o.decide(type === 'DELETED' ? undefined : obj);
            if (r !== undefined) finish({ result: r });
          },
          (err: unknown) => finish({ ended: true, error: err }),
        )
        .then((c) => {
          req = c;
          if (settled) c.abort();
        })
        .catch((err: unknown) => finish({ ended: true, error: err }));
    });
    if ('result' in outcome || 'gone' in outcome) return outcome;
    if (signal.aborted) return { gone: false };
    const code = (outcome.error as { statusCode?: number; code?: number } | undefined)?.statusCode;
    if (code === 410) return { gone: true };
    // a clean end after a while (server timeout): continue from the last version seen, no pause;
    // a stream that ends at once goes back through the get, with a pause
    if (!outcome.error && Date.now() - startedAt > 1000) continue;
    return { gone: false };
  }
}
