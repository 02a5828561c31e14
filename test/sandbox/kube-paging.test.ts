// Lists and watches as a real API server serves them (https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks
// and #efficient-detection-of-changes): every page of a list comes from its first page's
// revision; a continue token or a watch from a revision the server no longer keeps gets 410
// Expired ("too old resource version" for a watch), and the client must list afresh.
// The cluster here keeps only a few events (the sandbox's kubeHistorySize option).
import { execFile, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi, Watch } from '@kubernetes/client-node';
import { listAll } from '../../src/modules/kit/kube/list.js';
import { watchUntil } from '../../src/modules/kit/kube/watch.js';
import { waitForFinalPhase } from '../../src/modules/velero/wait.js';
import type { KubeClients } from '../../src/runner/types.js';
import { veleroCrds } from '../../src/sandbox/kube/crds/velero.js';
import type { Status } from '../../src/sandbox/kube/status.js';
import { refusalStatus, startSandbox, type Sandbox } from './kube-helpers.js';

const HISTORY = 4;
let sb: Sandbox;
let core: CoreV1Api;

beforeAll(async () => {
  sb = await startSandbox({ historySize: HISTORY });
  core = sb.kc.makeApiClient(CoreV1Api);
  for (const crd of veleroCrds()) sb.server.store.create(crd);
  for (const ns of ['paged', 'velero']) sb.server.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (let i = 0; i < 5; i++) sb.server.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'paged' }, data: { i: String(i) } });
});
afterAll(async () => {
  await sb?.server.stop();
});

/** writes enough unrelated events that the cluster forgets everything before them */
function churn(): void {
  for (let i = 0; i < HISTORY * 3; i++) {
    const name = `churn-${Math.random().toString(36).slice(2, 8)}`;
    sb.server.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } });
    sb.server.store.delete('v1', 'ConfigMap', name, 'default');
  }
}


describe('paged lists', () => {
  it('pages with limit and continue; later pages show the first page\'s revision, not later writes', async () => {
    const first = await core.listNamespacedConfigMap({ namespace: 'paged', limit: 2 });
    expect(first.items.map((c) => c.metadata?.name)).toEqual(['cm-0', 'cm-1']);
    expect(first.metadata?.remainingItemCount).toBe(3);
    // changes after the first page: one deleted, one added, one modified
    sb.server.store.delete('v1', 'ConfigMap', 'cm-3', 'paged');
    sb.server.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-25', namespace: 'paged' } });
    const cm2 = sb.server.store.get('v1', 'ConfigMap', 'cm-2', 'paged')!;
    sb.server.store.update({ ...cm2, data: { i: 'changed' } });
    const second = await core.listNamespacedConfigMap({ namespace: 'paged', limit: 2, _continue: first.metadata?._continue });
    expect(second.items.map((c) => c.metadata?.name)).toEqual(['cm-2', 'cm-3']);
    expect(second.items[0].data).toEqual({ i: '2' });
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    const third = await core.listNamespacedConfigMap({ namespace: 'paged', limit: 2, _continue: second.metadata?._continue });
    expect(third.items.map((c) => c.metadata?.name)).toEqual(['cm-4']);
    expect(third.metadata?._continue).toBeFalsy();
    // a fresh list sees the writes
    const now = await core.listNamespacedConfigMap({ namespace: 'paged' });
    expect(now.items.map((c) => c.metadata?.name)).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-25', 'cm-4']);
  });

  it('answers a continue token older than the kept history with 410 Expired (apiserver etcd3 store)', async () => {
    const first = await core.listNamespacedConfigMap({ namespace: 'paged', limit: 2 });
    churn();
    const st = await refusalStatus(core.listNamespacedConfigMap({ namespace: 'paged', limit: 2, _continue: first.metadata?._continue }));
    expect(st.code).toBe(410);
    expect(st.reason).toBe('Expired');
    expect(st.message).toMatch(/^The provided continue parameter is too old to display a consistent list result\./);
  });

  // client-go's pager (k8s.io/client-go/tools/pager) falls back to a full list when a continue
  // token has expired; kfup's listAll gave up instead. Fixed by issue 13 "The upgrade as the
  // real deployment runs it".
  it('kfup listAll lists afresh when its continue token expires mid-list (issue 13)', async () => {
    let pages = 0;
    const items = await listAll(
      async (cont, limit) => {
        const page = await core.listNamespacedConfigMap({ namespace: 'paged', limit, _continue: cont });
        if (pages++ === 0) churn();
        return page;
      },
      { limit: 2, attempts: 1 },
    );
    expect(items.map((c) => c.metadata?.name)).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-25', 'cm-4']);
  });

  it('kubectl get --chunk-size pages through the whole list (skipped without kubectl)', async (ctx) => {
    if (spawnSync('kubectl', ['version', '--client']).status !== 0) ctx.skip();
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'kubectl',
        ['--kubeconfig', sb.kubeconfig, '--context', 'sandbox-blue', '--cache-dir', join(dirname(sb.kubeconfig), 'cache'), 'get', 'configmaps', '-n', 'paged', '--chunk-size=2', '-o', 'name'],
        { encoding: 'utf8', timeout: 20_000 },
        (e, stdout, stderr) => (e ? reject(new Error(stderr)) : resolve(stdout)),
      ),
    );
    expect(out.trim().split('\n')).toEqual(['configmap/cm-0', 'configmap/cm-1', 'configmap/cm-2', 'configmap/cm-25', 'configmap/cm-4']);
    const pages = sb.traffic.log.since(0).filter((e) => e.operation === 'list' && e.path === '/api/v1/namespaces/paged/configmaps');
    expect(pages.length).toBeGreaterThanOrEqual(3);
  });
});

describe('watches from an old resourceVersion', () => {
  it('get an ERROR event with Status 410 Expired "too old resource version", then the stream ends', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'paged' });
    const old = list.metadata!.resourceVersion!;
    churn();
    const events: { type: string; obj: unknown }[] = [];
    await new Promise<void>((resolve, reject) => {
      new Watch(sb.kc)
        .watch('/api/v1/namespaces/paged/configmaps', { resourceVersion: old }, (type, obj) => events.push({ type, obj }), () => resolve())
        .catch(reject);
    });
    expect(events).toHaveLength(1);
    expect(events[0].type).toBe('ERROR');
    const status = events[0].obj as Status;
    expect(status).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(status.message).toMatch(new RegExp(`^too old resource version: ${old} \\(\\d+\\)$`));
  });

  // After a 410, kfup's watchUntil reads the object again with a GET and watches from that
  // object's resourceVersion. An object that has not changed keeps its old resourceVersion, so
  // the new watch is refused again, at once and without a pause, until the object itself
  // changes. client-go's reflector relists instead (k8s.io/client-go/tools/cache reflector.go:
  // a LIST gives the collection's current resourceVersion) and watches from there. Fixed by
  // issue 13 "The upgrade as the real deployment runs it".
  it('kfup watchUntil recovers from 410 with one fresh read, not a loop of refused watches (issue 13)', async () => {
    sb.server.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flag', namespace: 'paged' }, data: { done: 'no' } });
    let gets = 0;
    // the object changes only after a while, as a long Velero backup's status may not
    const change = setTimeout(() => {
      const cur = sb.server.store.get('v1', 'ConfigMap', 'flag', 'paged')!;
      sb.server.store.update({ ...cur, data: { done: 'yes' } });
    }, 300);
    try {
      const result = await watchUntil({
        watch: new Watch(sb.kc),
        path: '/api/v1/namespaces/paged/configmaps',
        name: 'flag',
        get: async () => {
          const cm = await core.readNamespacedConfigMap({ name: 'flag', namespace: 'paged' });
          if (gets++ === 0) churn(); // the first read is stale by the time its watch starts
          return cm;
        },
        decide: (cm) => (cm?.data?.done === 'yes' ? cm : undefined),
        signal: new AbortController().signal,
        timeoutMs: 10_000,
      });
      expect(result.data).toEqual({ done: 'yes' });
      expect(gets).toBeLessThanOrEqual(2);
    } finally {
      clearTimeout(change);
    }
  });

  it('kfup waitForFinalPhase (Velero) recovers from 410 with one fresh read too (issue 13)', async () => {
    const custom = sb.kc.makeApiClient(CustomObjectsApi);
    const kube = { config: sb.kc, custom, watch: new Watch(sb.kc), context: 'sandbox-blue' } as unknown as KubeClients;
    sb.server.store.create({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b1', namespace: 'velero' }, spec: { includedNamespaces: ['paged'] }, status: { phase: 'InProgress' } });
    let reads = 0;
    const original = custom.getNamespacedCustomObject.bind(custom);
    custom.getNamespacedCustomObject = (async (...args: Parameters<typeof original>) => {
      const got: unknown = await original(...args);
      if (reads++ === 0) churn();
      return got;
    }) as typeof custom.getNamespacedCustomObject;
    const change = setTimeout(() => {
      const cur = sb.server.store.get('velero.io/v1', 'Backup', 'b1', 'velero')!;
      sb.server.store.update({ ...cur, status: { phase: 'Completed' } });
    }, 300);
    try {
      const done = await waitForFinalPhase({ kube, namespace: 'velero', plural: 'backups', name: 'b1', signal: new AbortController().signal, progress: () => {}, timeoutMs: 10_000 });
      expect((done.status as { phase: string }).phase).toBe('Completed');
      expect(reads).toBeLessThanOrEqual(2);
    } finally {
      clearTimeout(change);
    }
  });
});
