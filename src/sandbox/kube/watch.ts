// One HTTP watch stream: newline-delimited {"type","object"} events for one kind (and
// namespace, and selectors), starting from a resourceVersion out of the store's history or
// with ADDED events for what exists now.
import type { ServerResponse } from 'node:http';
import { kindKey, type KindInfo } from './kinds.js';
import type { Predicate } from './selectors.js';
import { status } from './status.js';
import type { MemoryStore, StoreEvent } from './store.js';
import type { KubeObject } from './store-api.js';

export interface WatchRequest {
  info: KindInfo;
  namespace?: string;
  pred?: Predicate;
  /** absent, '' or '0': start with ADDED for every existing object */
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  /** sets the apiVersion of the objects sent (the version the client asked for) */
  present: (o: KubeObject) => KubeObject;
  /** what an event carries for an object, when not the object itself (a Table row for `kubectl get -w`) */
  render?: (o: KubeObject) => unknown;
}

const BOOKMARK_EVERY_MS = 15_000;

/** streams until the client goes away, the timeout passes or the returned stop() is called */
export function serveWatch(store: MemoryStore, res: ServerResponse, w: WatchRequest): () => void {
  const key = kindKey(w.info.group, w.info.kind);
  const wanted = (o: KubeObject) => (w.namespace === undefined || o.metadata.namespace === w.namespace) && (!w.pred || w.pred(o));
  let closed = false;
  const timers: NodeJS.Timeout[] = [];
  let unsubscribe = () => {};

  const out = (o: KubeObject) => (w.render ? w.render(w.present(o)) : w.present(o));
  const send = (type: string, object: unknown) => {
    if (!closed) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const bookmark = (extra: Record<string, string> = {}) =>
    send('BOOKMARK', {
      kind: w.info.kind,
      apiVersion: w.present({ apiVersion: '', kind: w.info.kind, metadata: { name: '' } }).apiVersion,
      metadata: { resourceVersion: store.resourceVersion, ...(Object.keys(extra).length ? { annotations: extra } : {}) },
    });
  const stop = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    res.end();
  };

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  res.on('close', stop);

  const rv = w.resourceVersion;
  const fromNow = rv === undefined || rv === '' || rv === '0' || w.sendInitialEvents;
  let backlog: StoreEvent[] | undefined = [];
  if (!fromNow) {
    const n = Number(rv);
    backlog = Number.isFinite(n) && n >= 0 ? store.eventsSince(n) : undefined;
    if (!backlog) {
      send('ERROR', status(410, `too old resource version: ${rv} (${store.oldestResourceVersion})`, 'Expired'));
      stop();
      return stop;
    }
  }
  // single-threaded: nothing can be written to the store between these lines and the subscribe
  if (fromNow) for (const o of store.listRaw(w.info, w.info.namespaced ? w.namespace : undefined, w.pred)) send('ADDED', out(o));
  // as the watch cache does with selectors: an object that starts matching is ADDED for this
  // watch, one that stops matching is DELETED
  const deliver = (ev: StoreEvent) => {
    if (ev.key !== key) return;
    const now = wanted(ev.object);
    const before = ev.old !== undefined && wanted(ev.old);
    if (ev.type === 'ADDED') {
      if (now) send('ADDED', out(ev.object));
    } else if (ev.type === 'DELETED') {
      if (now || before) send('DELETED', out(ev.object));
    } else if (now) send(before || ev.old === undefined ? 'MODIFIED' : 'ADDED', out(ev.object));
    else if (before) send('DELETED', out(ev.object));
  };
  for (const ev of backlog) deliver(ev);
  if (w.sendInitialEvents && w.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  unsubscribe = store.subscribe(deliver);
  if (w.timeoutSeconds !== undefined && w.timeoutSeconds > 0) timers.push(setTimeout(stop, w.timeoutSeconds * 1000));
  if (w.allowBookmarks) {
    const tick = () => {
      bookmark();
      timers.push(setTimeout(tick, BOOKMARK_EVERY_MS).unref());
    };
    timers.push(setTimeout(tick, BOOKMARK_EVERY_MS).unref());
  }
  return stop;
}
