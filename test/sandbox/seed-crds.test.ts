// The sandbox's own CRDs against the real ones, and every seeded custom resource against both:
// the store keeps it whole (nothing pruned by our schema) and the real schema accepts it.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { sandboxCrds } from '../../src/sandbox/kube/crds/index.js';
import { seedCluster } from '../../src/sandbox/kube/seed.js';
import { MemoryStore } from '../../src/sandbox/kube/store.js';
import type { KubeObject, ObjectStore } from '../../src/sandbox/kube/store-api.js';
import { makeScenario } from '../../src/sandbox/scenario.js';
import { hasRealCrd, REAL_CRD_DIR, realCrdsAvailable, validateAgainstRealCrd, validateWith } from '../helpers/crd-schema.js';

const haveReal = realCrdsAvailable();
const skipNote = `(needs the real CRDs in ${REAL_CRD_DIR})`;

/** a store that remembers what it was asked to create, to compare with what it kept */
function recording(): { store: ObjectStore; created: { input: KubeObject; stored: KubeObject }[] } {
  const inner = new MemoryStore();
  const created: { input: KubeObject; stored: KubeObject }[] = [];
  const store: ObjectStore = {
    create: (o) => {
      const input = structuredClone(o);
      const stored = inner.create(o);
      created.push({ input, stored });
      return stored;
    },
    get: inner.get.bind(inner),
    list: inner.list.bind(inner),
    update: inner.update.bind(inner),
    delete: inner.delete.bind(inner),
    watch: inner.watch.bind(inner),
  };
  return { store, created };
}

const scenario = makeScenario({ profiles: 3, notebooks: 2 });
const seeded: { input: KubeObject; stored: KubeObject }[] = [];
beforeAll(() => {
  for (const side of ['blue', 'green'] as const) {
    const r = recording();
    seedCluster(r.store, scenario, side);
    seeded.push(...r.created);
  }
});
// the parts of a CustomResourceDefinition (apiextensions.k8s.io/v1) these tests read
interface CrdVersion { name: string; storage: boolean; subresources?: { status?: object }; schema: { openAPIV3Schema: Record<string, unknown> } }
interface CrdSpec { group: string; scope: string; names: { kind: string; plural: string }; versions: CrdVersion[] }
interface Crd { metadata: { name: string }; spec: CrdSpec }
const crdSpec = (c: KubeObject) => c.spec as CrdSpec;
const custom = () => seeded.filter(({ input }) => !['v1', 'apps/v1', 'networking.k8s.io/v1', 'storage.k8s.io/v1', 'apiextensions.k8s.io/v1'].includes(input.apiVersion));

describe('sandbox CRDs', () => {
  it('cover every kind the sandbox serves, each registrable in a store', () => {
    const store = new MemoryStore();
    for (const crd of sandboxCrds()) store.create(crd);
    const kinds = sandboxCrds().map((c) => `${crdSpec(c).group}/${crdSpec(c).names.kind}`);
    expect(kinds.sort()).toEqual(
      [
        'kubeflow.org/Notebook',
        'kubeflow.org/Profile',
        'sagemaker.services.k8s.aws/Endpoint',
        'security.istio.io/AuthorizationPolicy',
        'serving.kserve.io/InferenceService',
        'services.k8s.aws/AdoptedResource',
        'velero.io/Backup',
        'velero.io/BackupStorageLocation',
        'velero.io/DownloadRequest',
        'velero.io/PodVolumeBackup',
        'velero.io/PodVolumeRestore',
        'velero.io/Restore',
      ].sort(),
    );
    expect(store.list('kubeflow.org/v1beta1', 'Notebook')).toEqual([]);
  });

  it.skipIf(!haveReal)(`use the real CRDs' names, scope, storage version and status subresource ${skipNote}`, () => {
    const real = readdirSync(REAL_CRD_DIR).map((f) => parse(readFileSync(join(REAL_CRD_DIR, f), 'utf8')) as Crd);
    for (const r of real) {
      const ours = sandboxCrds().find((c) => c.metadata.name === r.metadata.name) as unknown as Crd; // checked defined just below
      expect(ours, r.metadata.name).toBeDefined();
      expect(ours.spec.group).toBe(r.spec.group);
      expect(ours.spec.scope).toBe(r.spec.scope);
      expect(ours.spec.names.plural).toBe(r.spec.names.plural);
      expect(ours.spec.names.kind).toBe(r.spec.names.kind);
      const storage = (c: Crd) => c.spec.versions.find((v) => v.storage)!.name;
      expect(storage(ours), r.metadata.name).toBe(storage(r));
      for (const v of ours.spec.versions) {
        const rv = r.spec.versions.find((x) => x.name === v.name);
        expect(rv, `${r.metadata.name} ${v.name}`).toBeDefined();
        expect(!!v.subresources?.status, `${r.metadata.name} ${v.name} status subresource`).toBe(!!rv!.subresources?.status);
      }
    }
  });
});

describe('seeded custom resources', () => {
  it('are stored whole: our schemas prune nothing the seed writes', () => {
    expect(custom().length).toBeGreaterThan(15);
    for (const { input, stored } of custom()) {
      const { metadata: _a, ...inRest } = input;
      const { metadata: _b, ...storedRest } = stored;
      expect(storedRest, `${input.kind} ${input.metadata.namespace}/${input.metadata.name}`).toEqual(inRest);
    }
  });

  it('pass our own CRD schemas with unknown fields rejected', () => {
    for (const { input } of custom()) {
      const crd = sandboxCrds().find((c) => crdSpec(c).names.kind === input.kind && input.apiVersion.startsWith(crdSpec(c).group + '/'))!;
      const version = crdSpec(crd).versions.find((v) => input.apiVersion.endsWith('/' + v.name))!;
      expect(validateWith(version.schema.openAPIV3Schema, input), `${input.kind} ${input.metadata.name}`).toEqual([]);
    }
  });

  it.skipIf(!haveReal)(`pass the real CRDs' schemas ${skipNote}`, () => {
    const checked = new Set<string>();
    for (const { input } of custom()) {
      if (!hasRealCrd(input)) continue; // AuthorizationPolicy: no real CRD among the fixtures
      checked.add(input.kind);
      expect(validateAgainstRealCrd(input), `${input.kind} ${input.metadata.namespace}/${input.metadata.name}`).toEqual([]);
    }
    expect([...checked].sort()).toEqual(['BackupStorageLocation', 'Endpoint', 'InferenceService', 'Notebook', 'Profile']);
  });
});

describe('validateAgainstRealCrd', () => {
  it.skipIf(!haveReal)(`reports wrong types, nulls where not allowed, unknown fields and bad enums ${skipNote}`, () => {
    const backup = { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b', namespace: 'velero' } };
    expect(validateAgainstRealCrd({ ...backup, spec: { includedNamespaces: ['a'], ttl: '24h0m0s', includeClusterResources: null } })).toEqual([]);
    expect(validateAgainstRealCrd({ ...backup, spec: { includedNamespaces: 'a' } }).join()).toMatch(/includedNamespaces.*must be array/);
    expect(validateAgainstRealCrd({ ...backup, spec: { ttl: null } }).join()).toMatch(/ttl/);
    expect(validateAgainstRealCrd({ ...backup, spec: { includeNamespaces: ['a'] } }).join()).toMatch(/includeNamespaces/);
    expect(validateAgainstRealCrd({ ...backup, status: { phase: 'Done' } }).join()).toMatch(/phase.*allowed values/);
    // x-kubernetes-int-or-string: a notebook's container port may be a name or a number
    const nb = (port: unknown) => ({
      apiVersion: 'kubeflow.org/v1',
      kind: 'Notebook',
      metadata: { name: 'n' },
      spec: { template: { spec: { containers: [{ name: 'c', livenessProbe: { httpGet: { port } } }] } } },
    });
    expect(validateAgainstRealCrd(nb(8080))).toEqual([]);
    expect(validateAgainstRealCrd(nb('http'))).toEqual([]);
    expect(validateAgainstRealCrd(nb(true)).length).toBeGreaterThan(0);
  });
});
