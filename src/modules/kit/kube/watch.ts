// Waiting for one object to reach a state by WATCHING it, not by polling: a get gives the
// current object and its resourceVersion, a watch (field selector metadata.name) continues from
// there. An ended stream (server timeout, dropped connection) is resumed from the last
// resourceVersion seen. 410 Gone (that version is too old) starts over with a fresh get and a
// watch from "now" (no resourceVersion): the server first sends the object as it is (a synthetic
// ADDED), as client-go's reflector relists and watches from the list's revision
// (k8s.io/client-go/tools/cache/reflector.go). Watching again from the object's own
// resourceVersion would be refused again as long as the object does not change
// (https://kubernetes.io/docs/reference/using-api/api-concepts/#semantics-for-watch).
// 401 and 403 are not passing: the wait fails at once with the server's reason.
// The signal (Ctrl-C, task timeout) aborts the watch request at once.
import type { Watch } from '@kubernetes/client-node';
import { abortError, sleep } from '../../../runner/engine/abort.js';
import { TaskError } from '../task-error.js';
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
    let fromNow = false;
    for (;;) {
      const current = await withKubeRetry(() => o.get(), { signal: stop.signal, retryConflict: false });
      const early = o.decide(current);
      if (early !== undefined) return early;
      const outcome: StreamOutcome<R> = await streamFrom(o, fromNow ? undefined : current?.metadata?.resourceVersion, stop.signal);
      if ('result' in outcome) return outcome.result;
      if ('refused' in outcome) {
        throw new TaskError(`the API server refused to watch ${o.path} (${outcome.refused.status}${outcome.refused.reason ? ` ${outcome.refused.reason}` : ''})`, {
          code: outcome.refused.status === 401 ? 'unauthorized' : 'forbidden',
          hint: outcome.refused.status === 401 ? "the cluster's credentials were not accepted: refresh them (aws eks update-kubeconfig, or the token's exec plugin)" : 'the identity kfup uses needs the "watch" verb on this resource (RBAC)',
        });
      }
      if (stop.signal.aborted) throw abortError(stop.signal);
      // 410: the version is gone, read afresh at once and watch from now; other ends: a short
      // pause, growing on repeats
      fromNow = outcome.gone;
      if (outcome.gone) failures = 0;
      else await sleep(Math.min(5000, 100 * 2 ** Math.min(failures++, 6)), stop.signal);
    }
  } finally {
    clearTimeout(deadline);
    o.signal.removeEventListener('abort', onAbort);
  }
}

type StreamOutcome<R> = { result: R } | { gone: boolean } | { refused: { status: number; reason?: string } };

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
              const st = obj as unknown as { code?: number; reason?: string; message?: string };
              if (st?.code === 401 || st?.code === 403) finish({ refused: { status: st.code, reason: st.message ?? st.reason } });
              else finish(st?.code === 410 ? { gone: true } : { ended: true, error: obj });
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
    if (!('ended' in outcome)) return outcome;
    if (signal.aborted) return { gone: false };
    const err = outcome.error as { statusCode?: number; code?: number; message?: string } | undefined;
    const code = err?.statusCode;
    if (code === 410) return { gone: true };
    if (code === 401 || code === 403) return { refused: { status: code, reason: err?.message } };
    // a clean end after a while (server timeout): continue from the last version seen, no pause;
    // a stream that ends at once goes back through the get, with a pause
    if (!outcome.error && Date.now() - startedAt > 1000) continue;
    return { gone: false };
  }
}
