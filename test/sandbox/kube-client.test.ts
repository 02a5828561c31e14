// The sandbox API server driven by the real @kubernetes/client-node over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiException, AppsV1Api, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, Watch, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';
import type { Status } from '../../src/sandbox/kube/status.js';
import { codeOf, fixtureCrdForClient, startSandbox, statusBody, type Sandbox } from './kube-helpers.js';

let sb: Sandbox;
let core: CoreV1Api;
let apps: AppsV1Api;
let custom: CustomObjectsApi;

beforeAll(async () => {
  sb = await startSandbox();
  core = sb.kc.makeApiClient(CoreV1Api);
  apps = sb.kc.makeApiClient(AppsV1Api);
  custom = sb.kc.makeApiClient(CustomObjectsApi);
});
afterAll(async () => {
  await sb.server.stop();
});

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

describe('core objects through client-node', () => {
  it('creates, gets, replaces and rejects a stale resourceVersion with 409', async () => {
    await core.createNamespace({ body: { metadata: { name: 'team-a' } } });
    const created = await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'cfg', labels: { app: 'x' } }, data: { a: '1' } } });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    const got = await core.readNamespacedConfigMap({ name: 'cfg', namespace: 'team-a' });
    expect(got.data).toEqual({ a: '1' });
    got.data = { a: '2' };
    const replaced = await core.replaceNamespacedConfigMap({ name: 'cfg', namespace: 'team-a', body: got });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
    // `got` still carries the old resourceVersion
    got.data = { a: '3' };
    expect(await codeOf(core.replaceNamespacedConfigMap({ name: 'cfg', namespace: 'team-a', body: got }))).toBe(409);
    expect(await codeOf(core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'cfg' } } }))).toBe(409);
    expect(await codeOf(core.readNamespacedConfigMap({ name: 'nope', namespace: 'team-a' }))).toBe(404);
    expect(await codeOf(core.createNamespacedConfigMap({ namespace: 'no-such-ns', body: { metadata: { name: 'x' } } }))).toBe(404);
  });

  it('honours generateName and dryRun=All', async () => {
    const made = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'gen-' } } });
    expect(made.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
    const mark = sb.traffic.log.mark();
    const dry = await core.createNamespacedConfigMap({ namespace: 'default', dryRun: 'All', body: { metadata: { name: 'dry' } } });
    expect(dry.metadata?.name).toBe('dry');
    expect(await codeOf(core.readNamespacedConfigMap({ name: 'dry', namespace: 'default' }))).toBe(404);
    expect(sb.traffic.log.since(mark).find((r) => r.operation === 'create')?.mutating).toBe(false);
  });

  it('lists with label and field selectors, and pages with limit + continue', async () => {
    for (let i = 0; i < 7; i++) {
      await core.createNamespacedPod({
        namespace: 'team-a',
        body: { metadata: { name: `p${i}`, labels: { tier: i % 2 ? 'odd' : 'even' } }, spec: { nodeName: `node-${i % 3}`, containers: [{ name: 'c', image: 'busybox' }] } },
      });
    }
    const odd = await core.listNamespacedPod({ namespace: 'team-a', labelSelector: 'tier=odd' });
    expect(odd.items.map((p) => p.metadata?.name)).toEqual(['p1', 'p3', 'p5']);
    const setBased = await core.listNamespacedPod({ namespace: 'team-a', labelSelector: 'tier in (odd),tier notin (even),!missing' });
    expect(setBased.items).toHaveLength(3);
    const onNode = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-0,metadata.namespace=team-a' });
    expect(onNode.items.map((p) => p.metadata?.name)).toEqual(['p0', 'p3', 'p6']);
    const byName = await core.listNamespacedPod({ namespace: 'team-a', fieldSelector: 'metadata.name=p4' });
    expect(byName.items.map((p) => p.metadata?.name)).toEqual(['p4']);

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedPod({ namespace: 'team-a', limit: 3, _continue: token });
      seen.push(...page.items.map((p) => p.metadata!.name!));
      token = page.metadata?._continue || undefined;
      pages++;
      expect(page.metadata?.resourceVersion).toMatch(/^\d+$/);
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  });

  it('merge, JSON and strategic merge patches', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'team-a',
      body: {
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] },
          },
        },
      },
    });
    // strategic: containers merge by name, env by name, $patch: delete removes one entry
    const sp = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'team-a',
        body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2', env: [{ name: 'B', $patch: 'delete' }, { name: 'C', value: '3' }] }, { name: 'side', image: 'envoy' }] } } } },
      },
      strategic,
    );
    const cs = sp.spec!.template.spec!.containers;
    expect(cs.map((c) => `${c.name}=${c.image}`)).toEqual(['web=nginx:2', 'side=envoy']);
    expect(cs[0].env?.map((e) => e.name)).toEqual(['A', 'C']);
    expect(sp.metadata?.generation).toBe(2);

    const mp = await apps.patchNamespacedDeployment({ name: 'web', namespace: 'team-a', body: { metadata: { labels: { app: null, tier: 'front' } } } }, merge);
    expect(mp.metadata?.labels).toEqual({ tier: 'front' });
    expect(mp.metadata?.generation).toBe(2); // metadata only: generation stays

    const jp = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'team-a',
        body: [
          { op: 'test', path: '/spec/template/spec/containers/1/name', value: 'side' },
          { op: 'add', path: '/metadata/annotations', value: {} },
          { op: 'add', path: '/metadata/annotations/example.com~1owner', value: 'me' },
          { op: 'copy', from: '/metadata/labels/tier', path: '/metadata/annotations/tier' },
          { op: 'move', from: '/metadata/annotations/tier', path: '/metadata/annotations/layer' },
          { op: 'remove', path: '/spec/template/spec/containers/1' },
          { op: 'add', path: '/spec/replicas', value: 2 },
          { op: 'replace', path: '/spec/replicas', value: 3 },
        ],
      },
      jsonPatch,
    );
    expect(jp.metadata?.annotations).toEqual({ 'example.com/owner': 'me', layer: 'front' });
    expect(jp.spec?.template.spec?.containers).toHaveLength(1);
    expect(jp.spec?.replicas).toBe(3);
    const failedTest = apps.patchNamespacedDeployment({ name: 'web', namespace: 'team-a', body: [{ op: 'test', path: '/spec/replicas', value: 9 }] }, jsonPatch);
    expect(await codeOf(failedTest)).toBe(422);
  });

  it('deletes with finalizers: marked first, removed when the finalizers are emptied', async () => {
    await core.createNamespacedSecret({ namespace: 'team-a', body: { metadata: { name: 's1', finalizers: ['example.com/hold'] }, stringData: { k: 'v' } } });
    await core.deleteNamespacedSecret({ name: 's1', namespace: 'team-a', body: { propagationPolicy: 'Foreground' } });
    const still = await core.readNamespacedSecret({ name: 's1', namespace: 'team-a' });
    expect(still.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    await core.patchNamespacedSecret({ name: 's1', namespace: 'team-a', body: [{ op: 'remove', path: '/metadata/finalizers' }] }, jsonPatch);
    expect(await codeOf(core.readNamespacedSecret({ name: 's1', namespace: 'team-a' }))).toBe(404);
    expect(await codeOf(core.deleteNamespacedSecret({ name: 's1', namespace: 'team-a' }))).toBe(404);
  });

  it('watches from a resourceVersion, and answers an expired one with a 410 ERROR event', async () => {
    const start = await core.listNamespacedConfigMap({ namespace: 'default' });
    const rv = start.metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w1', labels: { w: 'yes' } } } });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w2' } } });
    const events: string[] = [];
    const watch = new Watch(sb.kc);
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const ctl = await watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: rv, labelSelector: 'w=yes' }, (type, obj: KubeObject) => {
      events.push(`${type} ${obj.metadata.name}`);
      if (type === 'DELETED') done();
    }, () => {});
    await core.patchNamespacedConfigMap({ name: 'w1', namespace: 'default', body: { data: { x: '1' } } }, merge);
    await core.deleteNamespacedConfigMap({ name: 'w1', namespace: 'default' });
    await finished;
    ctl.abort();
    expect(events).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w1']);

    const errors: { code?: number }[] = [];
    const ended = new Promise<void>((resolve) => {
      void watch.watch('/api/v1/configmaps', { resourceVersion: '-5' }, (type, obj: { code?: number }) => type === 'ERROR' && errors.push(obj), () => resolve());
    });
    await ended;
    expect(errors[0]?.code).toBe(410);
  });
});

describe('custom resources through client-node', () => {
  const backupCrd = fixtureCrdForClient('velero.io_backups.yaml');

  it.skipIf(!backupCrd)('serves a CRD once created, validates (422 with causes) and prunes unknown fields (needs ../shared fixtures)', async () => {
    await sb.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'velero' } } });
    const client = KubernetesObjectApi.makeApiClient(sb.kc);
    await client.create(backupCrd!);
    const b = (await custom.createNamespacedCustomObject({
      group: 'velero.io',
      version: 'v1',
      namespace: 'velero',
      plural: 'backups',
      body: { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b1' }, spec: { ttl: '720h0m0s', includedNamespaces: ['team-a'], notInSchema: true } },
    })) as { spec: Record<string, unknown> };
    expect(b.spec).toEqual({ ttl: '720h0m0s', includedNamespaces: ['team-a'] });

    let body: Status | undefined;
    try {
      await custom.patchNamespacedCustomObject({ group: 'velero.io', version: 'v1', namespace: 'velero', plural: 'backups', name: 'b1', body: { spec: { ttl: 5 } } }, merge);
    } catch (e) {
      if (!(e instanceof ApiException)) throw e;
      expect(e.code).toBe(422);
      body = statusBody(e);
    }
    expect(body?.details?.causes?.[0].field).toBe('spec.ttl');
    expect(body?.message).toContain('spec.ttl: Invalid value');

    // strategic merge patch is not for custom resources
    const smp = custom.patchNamespacedCustomObject({ group: 'velero.io', version: 'v1', namespace: 'velero', plural: 'backups', name: 'b1', body: { spec: { ttl: '1h' } } }, strategic);
    expect(await codeOf(smp)).toBe(415);

    const missing = custom.createNamespacedCustomObject({ group: 'velero.io', version: 'v1', namespace: 'velero', plural: 'backups', body: { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b2' }, spec: { includedNamespaces: 'not-a-list' } } });
    expect(await codeOf(missing)).toBe(422);
    expect(await codeOf(custom.listClusterCustomObject({ group: 'velero.io', version: 'v1', plural: 'restores' }))).toBe(404);
  });

  const profileCrd = fixtureCrdForClient('kubeflow.org_profiles.yaml');

  it.skipIf(!profileCrd)('keeps status to the /status subresource for a CRD that declares it (needs ../shared fixtures)', async () => {
    await KubernetesObjectApi.makeApiClient(sb.kc).create(profileCrd!);
    const g = { group: 'kubeflow.org', version: 'v1', plural: 'profiles' };
    const p = (await custom.createClusterCustomObject({
      ...g,
      body: { apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name: 'alice' }, spec: { owner: { kind: 'User', name: 'alice@example.com' } }, status: { conditions: [{ type: 'Ready' }] } },
    })) as { status?: unknown };
    expect(p.status).toBeUndefined();
    const st = (await custom.patchClusterCustomObjectStatus(
      { ...g, name: 'alice', body: { status: { conditions: [{ type: 'Ready', status: 'True' }] }, spec: { owner: { kind: 'User', name: 'mallory' } } } },
      merge,
    )) as { spec: { owner: { name: string } }; status: { conditions: { status: string }[] }; metadata: { generation: number } };
    expect(st.status.conditions[0].status).toBe('True');
    expect(st.spec.owner.name).toBe('alice@example.com');
    expect(st.metadata.generation).toBe(1);
    const main = (await custom.patchClusterCustomObject(
      { ...g, name: 'alice', body: { status: { conditions: [] }, spec: { owner: { name: 'bob@example.com' } } } },
      merge,
    )) as { spec: { owner: { name: string } }; status: { conditions: unknown[] }; metadata: { generation: number } };
    expect(main.status.conditions).toHaveLength(1);
    expect(main.spec.owner.name).toBe('bob@example.com');
    expect(main.metadata.generation).toBe(2);
  });

  it('registers a CRD created through the store too, with enum and required checks', async () => {
    sb.server.store.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Cluster',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', shortNames: ['wd'] },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    required: ['size'],
                    properties: { size: { type: 'string', enum: ['S', 'M'] }, extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
                  },
                },
              },
            },
          },
        ],
      },
    });
    const ok = (await custom.createClusterCustomObject({
      group: 'example.com',
      version: 'v1',
      plural: 'widgets',
      body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 'S', extra: { anything: { goes: 1 } } } },
    })) as { spec: unknown };
    expect(ok.spec).toEqual({ size: 'S', extra: { anything: { goes: 1 } } });
    try {
      await custom.createClusterCustomObject({ group: 'example.com', version: 'v1', plural: 'widgets', body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'bad' }, spec: { size: 'XL' } } });
      expect.unreachable();
    } catch (e) {
      if (!(e instanceof ApiException)) throw e;
      expect(statusBody(e).details?.causes).toEqual([expect.objectContaining({ field: 'spec.size', reason: 'FieldValueNotSupported' })]);
    }
    const noSize = custom.createClusterCustomObject({ group: 'example.com', version: 'v1', plural: 'widgets', body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'bad' }, spec: {} } });
    expect(await codeOf(noSize)).toBe(422);
  });
});
