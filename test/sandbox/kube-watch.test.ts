// Watch streams: selector transitions, all-namespace watches, timeouts, and a server stop that
// ends open streams.
import { describe, expect, it } from 'vitest';
import { Watch } from '@kubernetes/client-node';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';
import { phaseOf } from './controllers-helpers.js';
import { startSandbox } from './kube-helpers.js';

/** one line of a watch stream: a WatchEvent (meta/v1) */
interface WatchEvent {
  type: string;
  object: KubeObject;
}

const pod = (name: string, ns: string, phase: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: { phase } });

describe('watch', () => {
  it('turns selector transitions into ADDED/DELETED, across namespaces, and ends on server stop', async () => {
    const sb = await startSandbox();
    const store = sb.server.store;
    for (const ns of ['a', 'b']) store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    store.create(pod('p1', 'a', 'Pending'));
    store.create(pod('p2', 'b', 'Running'));
    const events: string[] = [];
    let ended = false;
    let endedResolve!: () => void;
    const endedP = new Promise<void>((r) => (endedResolve = r));
    let gotResolve!: () => void;
    const got = new Promise<void>((r) => (gotResolve = r));
    await new Watch(sb.kc).watch(
      '/api/v1/pods',
      { fieldSelector: 'status.phase=Running' },
      (type, obj: KubeObject) => {
        events.push(`${type} ${obj.metadata.namespace}/${obj.metadata.name} ${phaseOf(obj)}`);
        if (events.length === 4) gotResolve();
      },
      () => {
        ended = true;
        endedResolve();
      },
    );
    const p1 = store.get('v1', 'Pod', 'p1', 'a')!;
    const running = store.update({ ...p1, status: { phase: 'Running' } });
    store.update({ ...running, status: { phase: 'Failed' } });
    store.delete('v1', 'Pod', 'p2', 'b');
    await got;
    expect(events).toEqual(['ADDED b/p2 Running', 'ADDED a/p1 Running', 'DELETED a/p1 Failed', 'DELETED b/p2 Running']);
    expect(ended).toBe(false);
    await sb.server.stop();
    await endedP;
    expect(ended).toBe(true);
  });

  it('ends a stream after timeoutSeconds and sends bookmarks after initial events when asked', async () => {
    const sb = await startSandbox();
    try {
      sb.server.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } });
      const t0 = Date.now();
      const r = await fetch(`${sb.server.url}/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`);
      const lines = (await r.text()).trim().split('\n').map((l) => JSON.parse(l) as WatchEvent);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(lines.map((l) => l.type)).toEqual(['ADDED', 'BOOKMARK']);
      expect(lines[1].object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    } finally {
      await sb.server.stop();
    }
  });
});
