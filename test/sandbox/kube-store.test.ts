// The in-process object store and the patch functions, without HTTP.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/sandbox/kube/store.js';
import { StoreError, type KubeObject } from '../../src/sandbox/kube/store-api.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../src/sandbox/kube/patch.js';
import type { V1ObjectMeta, V1PodSpec, V1ServiceSpec } from '@kubernetes/client-node';

/** a strategic-merge-patched pod, read as the Kubernetes API types it */
interface PatchedPod { metadata: V1ObjectMeta; spec: V1PodSpec }

const cm = (name: string, ns = 'default', extra: Partial<KubeObject> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, ...extra });

// a Deployment the official schema accepts (selector and template are required)
const DEPLOYMENT_SPEC = { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } };

function storeWithNs(...names: string[]): MemoryStore {
  const s = new MemoryStore();
  for (const n of names) s.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
  return s;
}

const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as StoreError).reason;
  }
  return undefined;
};

describe('MemoryStore', () => {
  it('copies in and out, and keeps one increasing resourceVersion across kinds', () => {
    const s = storeWithNs('default');
    const input = cm('a', 'default', { data: { k: 'v' } });
    const a = s.create(input);
    input.data = { k: 'changed' };
    a.data = { k: 'changed too' };
    expect(s.get('v1', 'ConfigMap', 'a', 'default')?.data).toEqual({ k: 'v' });
    const b = s.create({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' }, spec: DEPLOYMENT_SPEC });
    expect(Number(b.metadata.resourceVersion)).toBe(Number(a.metadata.resourceVersion) + 1);
    expect(a.metadata.generation).toBe(1);
    expect(a.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(reasonOf(() => s.create(cm('a')))).toBe('AlreadyExists');
    expect(reasonOf(() => s.update(cm('zz')))).toBe('NotFound');
    expect(reasonOf(() => s.create({ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 'x' } }))).toBe('NotFound');
  });

  it('bumps generation only for changes outside metadata and status; rejects stale updates', () => {
    const s = storeWithNs('default');
    const d = s.create({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' }, spec: { ...DEPLOYMENT_SPEC, replicas: 1 } });
    const labelled = s.update({ ...d, metadata: { ...d.metadata, labels: { a: 'b' } }, status: { ready: 1 } });
    expect(labelled.metadata.generation).toBe(1);
    const scaled = s.update({ ...labelled, spec: { ...DEPLOYMENT_SPEC, replicas: 2 } });
    expect(scaled.metadata.generation).toBe(2);
    expect(reasonOf(() => s.update({ ...d, spec: { ...DEPLOYMENT_SPEC, replicas: 5 } }))).toBe('Conflict');
    // a no-op write does not move the resourceVersion
    expect(s.update(scaled).metadata.resourceVersion).toBe(scaled.metadata.resourceVersion);
  });

  it('marks objects with finalizers on delete and removes them when the finalizers go', () => {
    const s = storeWithNs('default');
    const events: string[] = [];
    s.watch((type, o) => events.push(`${type} ${o.metadata.name} ${o.metadata.deletionTimestamp ? 'marked' : ''}`.trim()));
    s.create(cm('f', 'default', { metadata: { name: 'f', namespace: 'default', finalizers: ['x/y'] } }));
    const marked = s.delete('v1', 'ConfigMap', 'f', 'default')!;
    expect(marked.metadata.deletionTimestamp).toBeTruthy();
    expect(s.get('v1', 'ConfigMap', 'f', 'default')).toBeDefined();
    s.update({ ...marked, metadata: { ...marked.metadata, finalizers: [] } });
    expect(s.get('v1', 'ConfigMap', 'f', 'default')).toBeUndefined();
    expect(events).toEqual(['ADDED f', 'MODIFIED f marked', 'DELETED f marked']);
    expect(s.delete('v1', 'ConfigMap', 'f', 'default')).toBeUndefined();
  });

  it('deleting a namespace deletes its contents and waits for their finalizers', () => {
    const s = storeWithNs('team', 'other');
    s.create(cm('plain', 'team'));
    s.create(cm('held', 'team', { metadata: { name: 'held', namespace: 'team', finalizers: ['x/y'] } }));
    s.create(cm('elsewhere', 'other'));
    s.delete('v1', 'Namespace', 'team');
    expect(s.get('v1', 'ConfigMap', 'plain', 'team')).toBeUndefined();
    expect(s.get('v1', 'Namespace', 'team')?.status).toEqual({ phase: 'Terminating' });
    const held = s.get('v1', 'ConfigMap', 'held', 'team')!;
    s.update({ ...held, metadata: { ...held.metadata, finalizers: [] } });
    expect(s.get('v1', 'Namespace', 'team')).toBeUndefined();
    expect(s.get('v1', 'ConfigMap', 'elsewhere', 'other')).toBeDefined();
  });

  it('selects by label with every operator', () => {
    const s = storeWithNs('default');
    s.create(cm('a', 'default', { metadata: { name: 'a', namespace: 'default', labels: { env: 'prod', tier: 'web' } } }));
    s.create(cm('b', 'default', { metadata: { name: 'b', namespace: 'default', labels: { env: 'dev' } } }));
    s.create(cm('c', 'default'));
    const names = (sel: string) => s.list('v1', 'ConfigMap', 'default', { labelSelector: sel }).map((o) => o.metadata.name);
    expect(names('env=prod')).toEqual(['a']);
    expect(names('env==dev')).toEqual(['b']);
    expect(names('env!=prod')).toEqual(['b', 'c']);
    expect(names('env in (prod, dev)')).toEqual(['a', 'b']);
    expect(names('env notin (prod)')).toEqual(['b', 'c']);
    expect(names('tier')).toEqual(['a']);
    expect(names('!tier')).toEqual(['b', 'c']);
    expect(names('env in (prod,dev),!tier')).toEqual(['b']);
    expect(() => names('env in prod')).toThrow(StoreError);
  });

  it('serves a CRD\'s kind while the CRD exists, and drops its objects with it', () => {
    const s = storeWithNs('default');
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { kind: 'Gadget', plural: 'gadgets' }, versions: [{ name: 'v1', served: true, storage: true }] },
    };
    const created = s.create(crd);
    expect((created.status as { conditions: { type: string }[] }).conditions.map((c) => c.type)).toContain('Established');
    s.create({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g', namespace: 'default' }, spec: { any: 'thing' } });
    expect(s.list('example.com/v1', 'Gadget')).toHaveLength(1);
    s.delete('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'gadgets.example.com');
    expect(s.kinds.lookup('example.com/v1', 'Gadget')).toBeUndefined();
    expect(reasonOf(() => s.create({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g2', namespace: 'default' } }))).toBe('NotFound');
    expect(reasonOf(() => s.create({ ...crd, metadata: { name: 'wrong.example.com' } }))).toBe('Invalid');
  });

  it('keeps a bounded history: older watch starts are refused', () => {
    const s = new MemoryStore({ historySize: 5 });
    s.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    for (let i = 0; i < 20; i++) s.create(cm(`c${i}`));
    expect(s.eventsSince(1)).toBeUndefined();
    const recent = s.eventsSince(Number(s.resourceVersion) - 2)!;
    expect(recent.map((e) => e.object.metadata.name)).toEqual(['c18', 'c19']);
  });

  it('scales: 2,000 pods in 200 namespaces, namespace lists stay cheap', () => {
    const s = new MemoryStore();
    for (let n = 0; n < 200; n++) s.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${n}` } });
    for (let i = 0; i < 2000; i++) s.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${i}`, namespace: `ns-${i % 200}`, labels: { i: String(i % 7) } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const t0 = performance.now();
    for (let n = 0; n < 200; n++) expect(s.list('v1', 'Pod', `ns-${n}`)).toHaveLength(10);
    expect(s.list('v1', 'Pod', undefined, { labelSelector: 'i=3' })).toHaveLength(286);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('patches', () => {
  it('merge patch deletes with null and replaces lists', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null, e: 4 }, l: [3] })).toEqual({ a: 1, b: { d: 3, e: 4 }, l: [3] });
  });

  it('JSON patch handles escaped pointers, "-" and failing tests', () => {
    const doc = { metadata: { annotations: { 'a/b': '1', 'c~d': '2' } }, items: [1] };
    const out = jsonPatch(doc, [
      { op: 'replace', path: '/metadata/annotations/a~1b', value: 'x' },
      { op: 'remove', path: '/metadata/annotations/c~0d' },
      { op: 'add', path: '/items/-', value: 2 },
      { op: 'add', path: '/items/0', value: 0 },
    ]);
    expect(out).toEqual({ metadata: { annotations: { 'a/b': 'x' } }, items: [0, 1, 2] });
    expect(doc.items).toEqual([1]); // the input is untouched
    expect(() => jsonPatch(doc, [{ op: 'test', path: '/items/0', value: 5 }])).toThrow(/test failed/);
    expect(() => jsonPatch(doc, [{ op: 'remove', path: '/nope/x' }])).toThrow(StoreError);
    expect(() => jsonPatch(doc, [{ op: 'frobnicate', path: '/items' }])).toThrow(/unexpected/);
  });

  it('strategic merge patch merges lists by key and honours $patch directives', () => {
    const pod = {
      metadata: { finalizers: ['a'] },
      spec: {
        containers: [
          { name: 'web', image: 'v1', ports: [{ containerPort: 80, name: 'http' }], volumeMounts: [{ mountPath: '/data', name: 'd' }] },
          { name: 'side', image: 's1' },
        ],
        volumes: [{ name: 'd', emptyDir: {} }],
        tolerations: [{ key: 'a' }],
      },
    };
    const out = strategicMergePatch(pod, {
      metadata: { finalizers: ['b'] },
      spec: {
        containers: [
          { name: 'web', image: 'v2', ports: [{ containerPort: 443, name: 'https' }], volumeMounts: [{ mountPath: '/data', readOnly: true }] },
          { name: 'side', $patch: 'delete' },
        ],
        volumes: [{ name: 'd', emptyDir: { $patch: 'replace', medium: 'Memory' } }],
        tolerations: [{ key: 'b' }],
      },
    }) as unknown as PatchedPod;
    expect(out.metadata.finalizers).toEqual(['a', 'b']);
    expect(out.spec.containers).toEqual([
      { name: 'web', image: 'v2', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443, name: 'https' }], volumeMounts: [{ mountPath: '/data', name: 'd', readOnly: true }] },
    ]);
    expect(out.spec.volumes).toEqual([{ name: 'd', emptyDir: { medium: 'Memory' } }]);
    expect(out.spec.tolerations).toEqual([{ key: 'b' }]); // no merge key: replaced whole
    const replaced = strategicMergePatch(pod, { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'o' }] } }) as unknown as PatchedPod;
    expect(replaced.spec.containers).toEqual([{ name: 'only', image: 'o' }]);
    const svc = strategicMergePatch({ spec: { ports: [{ port: 80, targetPort: 8080 }] } }, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }) as unknown as { spec: V1ServiceSpec };
    expect(svc.spec.ports).toEqual([{ port: 80, targetPort: 9090 }]);
  });
});
