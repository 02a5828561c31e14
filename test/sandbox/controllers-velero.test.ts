// The emulated Velero of both clusters over one shared bucket: backup phases and filters, pod
// volume backups, faults, validation, cross-cluster sync, and restores into green.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VeleroBucket } from '../../src/sandbox/bucket.js';
import { startVeleroController } from '../../src/sandbox/kube/controllers/velero.js';
import { seedCluster } from '../../src/sandbox/kube/seed.js';
import { MemoryStore } from '../../src/sandbox/kube/store.js';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';
import { makeScenario } from '../../src/sandbox/scenario.js';
import type { ScenarioFaults } from '../../src/sandbox/traffic.js';
import { hasRealCrd, REAL_CRD_DIR, realCrdsAvailable, validateAgainstRealCrd } from '../helpers/crd-schema.js';
import { phaseOf, veleroSpec, veleroStatus, waitFor, waitForPhase } from './controllers-helpers.js';
import type { V1PersistentVolumeSpec } from '@kubernetes/client-node';

const V = 'velero.io/v1';
const scenario = makeScenario({ profiles: 3, notebooks: 2 });
const [t0, t1, t2] = scenario.profiles.map((p) => p.namespace);
const timing = { phaseMs: 40, syncMs: 25 };

let bucket: VeleroBucket;
let blue: MemoryStore;
let green: MemoryStore;
let faults: ScenarioFaults;
let stops: (() => void)[] = [];
beforeEach(() => {
  bucket = new VeleroBucket(scenario.velero.bucket);
  blue = new MemoryStore();
  green = new MemoryStore();
  seedCluster(blue, scenario, 'blue');
  seedCluster(green, scenario, 'green');
  faults = {};
  stops = (['blue', 'green'] as const).map((side) =>
    startVeleroController({ store: side === 'blue' ? blue : green, side, bucket, timing, scenarioFaults: () => faults }),
  );
});
afterEach(() => stops.forEach((s) => s()));

function backup(name: string, spec: Record<string, unknown>, store = blue): KubeObject {
  return store.create({ apiVersion: V, kind: 'Backup', metadata: { name, namespace: 'velero' }, spec });
}
function restore(name: string, spec: Record<string, unknown>, store = green): KubeObject {
  return store.create({ apiVersion: V, kind: 'Restore', metadata: { name, namespace: 'velero' }, spec });
}
const done = (name: string, store = blue) => waitForPhase(store, V, 'Backup', name, 'velero', ['Completed', 'PartiallyFailed', 'FailedValidation', 'Failed']);
const restored = (name: string, store = green) => waitForPhase(store, V, 'Restore', name, 'velero', ['Completed', 'PartiallyFailed', 'FailedValidation', 'Failed']);
const items = (name: string) => bucket.get(name)!.items.map((i) => `${i.resource} ${i.namespace ?? ''}/${i.name}`);
const annotate = (ns: string, pod: string, volumes: string) => {
  const p = blue.get('v1', 'Pod', pod, ns)!;
  p.metadata.annotations = { ...p.metadata.annotations, 'backup.velero.io/backup-volumes': volumes };
  blue.update(p);
};

describe('Backup', () => {
  it('goes New -> InProgress (with progress) -> Completed and lands in the bucket', async () => {
    const phases: string[] = [];
    const unwatch = blue.watch((_t, o) => {
      if (o.kind === 'Backup' && phaseOf(o) && phases.at(-1) !== phaseOf(o)) phases.push(phaseOf(o)!);
    });
    backup('b1', { includedNamespaces: [t0], ttl: '24h0m0s' });
    const inProgress = await waitForPhase(blue, V, 'Backup', 'b1', 'velero', ['InProgress']);
    expect(veleroStatus(inProgress).progress.totalItems).toBeGreaterThan(10);
    const b = await done('b1');
    unwatch();
    expect(phases).toEqual(['InProgress', 'Completed']);
    const st = veleroStatus(b);
    expect(st).toMatchObject({ errors: 0, warnings: 0, version: 1 });
    expect(st.progress.itemsBackedUp).toBe(st.progress.totalItems);
    expect(Date.parse(st.expiration) - Date.parse(st.startTimestamp)).toBe(24 * 3600_000);
    expect(Date.parse(st.completionTimestamp)).toBeGreaterThanOrEqual(Date.parse(st.startTimestamp));
    expect(b.metadata.labels?.['velero.io/storage-location']).toBe('default');
    const list = items('b1');
    expect(list).toContain(`notebooks.kubeflow.org ${t0}/nb-0`);
    expect(list).toContain(`namespaces /${t0}`);
    expect(list.some((i) => i.includes(t1))).toBe(false);
    // with namespaces filtered and includeClusterResources unset, only the related volumes come along
    expect(list.filter((i) => i.startsWith('persistentvolumes ')).length).toBe(3);
    expect(list.some((i) => i.startsWith('profiles.kubeflow.org'))).toBe(false);
    expect(bucket.get('b1')!.status.phase).toBe('Completed');
    expect(bucket.object('b1', { resource: 'pods', namespace: t0, name: 'nb-0-0' })?.metadata.labels?.['notebook-name']).toBe('nb-0');
  });

  it('honours resource filters, includeClusterResources, excluded namespaces and label selectors', async () => {
    backup('only', {
      includedNamespaces: [t1],
      includedResources: ['notebook', 'persistentvolumeclaims', 'pv', 'namespace', 'profiles.kubeflow.org'],
      includeClusterResources: true,
    });
    backup('most', { excludedNamespaces: [t0, 'kube-system', 'velero'], excludedResources: ['pods', 'statefulsets.apps'] });
    backup('labelled', { includedNamespaces: ['*'], labelSelector: { matchLabels: { 'notebook-name': 'nb-1' } }, includedResources: ['pods'] });
    backup('no-cluster', { includeClusterResources: false, includedResources: ['persistentvolumes', 'persistentvolumeclaims'] });
    for (const n of ['only', 'most', 'labelled', 'no-cluster']) expect(phaseOf(await done(n))).toBe('Completed');

    const only = items('only');
    expect(new Set(only.map((i) => i.split(' ')[0]))).toEqual(
      new Set(['notebooks.kubeflow.org', 'persistentvolumeclaims', 'persistentvolumes', 'namespaces', 'profiles.kubeflow.org']),
    );
    expect(only.filter((i) => i.startsWith('profiles'))).toEqual([`profiles.kubeflow.org /${scenario.profiles[1].name}`]);
    for (const pv of only.filter((i) => i.startsWith('persistentvolumes '))) {
      const obj = bucket.object('only', { resource: 'persistentvolumes', name: pv.split('/')[1] })!;
      expect((obj.spec as V1PersistentVolumeSpec).claimRef!.namespace).toBe(t1);
    }

    const most = items('most');
    expect(most.some((i) => i.includes(` ${t0}/`) || i.startsWith('pods ') || i.startsWith('statefulsets'))).toBe(false);
    expect(most).toContain(`notebooks.kubeflow.org ${t2}/nb-1`);
    // with namespaces excluded, cluster-scoped objects follow only where related: volumes of kept claims, no profiles
    expect(most.filter((i) => i.startsWith('profiles')).length).toBe(0);
    expect(most.filter((i) => i.startsWith('persistentvolumes ')).length).toBe(6);
    expect(most).not.toContain(`namespaces /${t0}`);

    expect(items('labelled').sort()).toEqual(scenario.profiles.map((p) => `pods ${p.namespace}/nb-1-0`).sort());
    expect(items('no-cluster').every((i) => i.startsWith('persistentvolumeclaims '))).toBe(true);
  });

  it('creates a Completed PodVolumeBackup for each opted-in pod volume, or every volume with defaultVolumesToFsBackup', async () => {
    annotate(t0, 'nb-0-0', 'nb-0-workspace');
    annotate(t0, 'nb-1-0', 'nb-1-workspace,nb-1-data');
    backup('optin', { includedNamespaces: [t0], defaultVolumesToFsBackup: false });
    backup('all', { includedNamespaces: [t2], defaultVolumesToFsBackup: true });
    await done('optin');
    await done('all');
    const pvbs = (b: string) => blue.list(V, 'PodVolumeBackup', 'velero', { labelSelector: `velero.io/backup-name=${b}` });
    const optin = pvbs('optin');
    expect(optin.map((p) => `${veleroSpec(p).pod.name}:${veleroSpec(p).volume}`).sort()).toEqual(['nb-0-0:nb-0-workspace', 'nb-1-0:nb-1-data', 'nb-1-0:nb-1-workspace']);
    for (const p of optin) {
      expect(phaseOf(p)).toBe('Completed');
      expect(veleroSpec(p).pod.namespace).toBe(t0);
      expect(veleroSpec(p).repoIdentifier).toBe(`s3:s3-${scenario.region}.amazonaws.com/${scenario.velero.bucket}/kopia/${t0}`);
      expect(veleroStatus(p).snapshotID).toMatch(/^[0-9a-f]{32}$/);
    }
    // workspace + dshm for nb-0; workspace + data + dshm for nb-1
    expect(pvbs('all')).toHaveLength(5);
    expect(bucket.podVolumeBackups('optin')).toHaveLength(3);
  });

  it('ends PartiallyFailed with errors when the scenario fault names it', async () => {
    faults = { partialVeleroBackups: ['flaky'] };
    annotate(t0, 'nb-0-0', 'nb-0-workspace');
    backup('flaky', { includedNamespaces: [t0], defaultVolumesToFsBackup: false });
    backup('fine', { includedNamespaces: [t0], defaultVolumesToFsBackup: false });
    const flaky = await done('flaky');
    expect(phaseOf(flaky)).toBe('PartiallyFailed');
    expect(veleroStatus(flaky).errors).toBeGreaterThan(0);
    const failedPvb = blue.list(V, 'PodVolumeBackup', 'velero', { labelSelector: 'velero.io/backup-name=flaky' })[0];
    expect(phaseOf(failedPvb)).toBe('Failed');
    expect(phaseOf(await done('fine'))).toBe('Completed');
    faults = { partialVeleroBackups: ['*'] };
    backup('any', { includedNamespaces: [t1] });
    expect(phaseOf(await done('any'))).toBe('PartiallyFailed');
  });

  it('fails validation without a usable storage location or with contradictory filters', async () => {
    backup('nowhere', { storageLocation: 'missing' });
    blue.create({
      apiVersion: V,
      kind: 'BackupStorageLocation',
      metadata: { name: 'elsewhere', namespace: 'velero' },
      spec: { provider: 'aws', objectStorage: { bucket: 'some-other-bucket' } },
    });
    await waitForPhase(blue, V, 'BackupStorageLocation', 'elsewhere', 'velero', ['Unavailable']);
    backup('unavailable', { storageLocation: 'elsewhere' });
    backup('contradiction', { includedNamespaces: [t0], excludedNamespaces: [t0] });
    for (const [name, text] of [['nowhere', 'missing'], ['unavailable', 'elsewhere'], ['contradiction', t0]]) {
      const b = await done(name);
      expect(phaseOf(b)).toBe('FailedValidation');
      expect(veleroStatus(b).validationErrors.join(' ')).toContain(text);
      expect(bucket.has(name)).toBe(false);
    }
  });

  it('appears on the other cluster through the bucket, with its pod volume backups', async () => {
    annotate(t0, 'nb-0-0', 'nb-0-workspace');
    backup('shared', { includedNamespaces: [t0], defaultVolumesToFsBackup: false });
    await done('shared');
    const synced = await waitForPhase(green, V, 'Backup', 'shared', 'velero', ['Completed']);
    expect(synced.metadata.labels?.['velero.io/storage-location']).toBe('default');
    expect(veleroSpec(synced).includedNamespaces).toEqual([t0]);
    await waitFor('synced PVB', () => green.list(V, 'PodVolumeBackup', 'velero', { labelSelector: 'velero.io/backup-name=shared' }).length === 1);
  });

  it('deleting a Backup removes its data, and the other cluster drops its copy', async () => {
    annotate(t0, 'nb-0-0', 'nb-0-workspace');
    backup('doomed', { includedNamespaces: [t0] });
    await done('doomed');
    await waitForPhase(green, V, 'Backup', 'doomed', 'velero', ['Completed']);
    blue.delete(V, 'Backup', 'doomed', 'velero');
    await waitFor('bucket entry to go', () => !bucket.has('doomed'));
    expect(blue.list(V, 'PodVolumeBackup', 'velero')).toEqual([]);
    await waitFor('green copy to go', () => !green.get(V, 'Backup', 'doomed', 'velero'));
  });
});

describe('Restore', () => {
  // the manual's restore: user namespaces and velero, the listed kinds, cluster resources
  const manualRestore = (namespaces: string[]) => ({
    backupName: 'full',
    includedNamespaces: [...namespaces, 'velero'],
    includedResources: ['persistentvolume', 'persistentvolumeclaim', 'namespace', 'image', 'notebook', 'profile', 'inferenceservice', 'configmap', 'podvolumebackup', 'pod', 'serviceaccount'],
    includeClusterResources: true,
  });

  async function fullBackupSynced(): Promise<void> {
    for (const p of scenario.profiles) for (const nb of p.notebooks) annotate(p.namespace, `${nb}-0`, `${nb}-workspace`);
    backup('full', { defaultVolumesToFsBackup: false });
    expect(phaseOf(await done('full'))).toBe('Completed');
    await waitForPhase(green, V, 'Backup', 'full', 'velero', ['Completed']);
  }

  it('recreates notebooks, claims, volumes, profiles and pods on green, with pod volume restores', async () => {
    await fullBackupSynced();
    restore('r1', manualRestore([t0, t1]));
    const r = await restored('r1');
    expect(phaseOf(r)).toBe('Completed');
    const st = veleroStatus(r);
    expect(st.errors).toBe(0);
    expect(st.progress.itemsRestored).toBe(st.progress.totalItems);
    // the velero namespace and its synced PVBs were already there, the same as backed up:
    // skipped without a word (only differing objects give warnings, see below)
    expect(bucket.restoreResults('r1')).toBeDefined();

    expect(green.list('kubeflow.org/v1', 'Profile').map((p) => p.metadata.name).sort()).toEqual([scenario.profiles[0].name, scenario.profiles[1].name]);
    for (const ns of [t0, t1]) {
      expect(green.get('v1', 'Namespace', ns)!.metadata.labels?.['app.kubernetes.io/part-of']).toBe('kubeflow-profile');
      expect(green.list('kubeflow.org/v1', 'Notebook', ns).map((n) => n.metadata.name)).toEqual(['nb-0', 'nb-1']);
      expect(green.get('v1', 'ServiceAccount', 'default-editor', ns)!.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBeDefined();
      expect(green.list('v1', 'PersistentVolumeClaim', ns)).toHaveLength(3);
      expect(green.list('serving.kserve.io/v1beta1', 'InferenceService', ns)).toHaveLength(1);
      // statefulsets and endpoints were not in the list
      expect(green.list('apps/v1', 'StatefulSet', ns)).toEqual([]);
      expect(green.list('sagemaker.services.k8s.aws/v1alpha1', 'Endpoint', ns)).toEqual([]);
    }
    expect(green.list('v1', 'Namespace').some((n) => n.metadata.name === t2)).toBe(false);
    const pvs = green.list('v1', 'PersistentVolume');
    expect(pvs).toHaveLength(6);
    for (const pv of pvs) {
      const claimRef = (pv.spec as V1PersistentVolumeSpec).claimRef!;
      expect([t0, t1]).toContain(claimRef.namespace);
      expect(claimRef.uid).toBeUndefined();
      expect(pv.status).toBeUndefined();
      expect(pv.metadata.labels).toMatchObject({ 'velero.io/backup-name': 'full', 'velero.io/restore-name': 'r1' });
      expect(pv.metadata.uid).not.toBe(blue.get('v1', 'PersistentVolume', pv.metadata.name)!.metadata.uid);
    }
    const pod = green.get('v1', 'Pod', 'nb-0-0', t0)!;
    const pvrs = green.list(V, 'PodVolumeRestore', 'velero', { labelSelector: 'velero.io/restore-name=r1' });
    expect(pvrs).toHaveLength(4);
    const pvr = pvrs.find((p) => veleroSpec(p).pod.uid === pod.metadata.uid)!;
    expect(pvr.spec).toMatchObject({ volume: 'nb-0-workspace', sourceNamespace: t0 });
    expect(phaseOf(pvr)).toBe('Completed');

    // a second restore finds everything in place and the same: nothing new, every item processed
    const counts = () => ['Profile', 'Notebook'].map((k) => green.list('kubeflow.org/v1', k).length).concat(green.list('v1', 'PersistentVolume').length);
    const before = counts();
    restore('r2', manualRestore([t0, t1]));
    const again = veleroStatus(await restored('r2'));
    expect(again.phase).toBe('Completed');
    expect(again.progress.itemsRestored).toBe(again.progress.totalItems);
    expect(counts()).toEqual(before);
  });

  it('maps namespaces', async () => {
    await fullBackupSynced();
    restore('mapped', { backupName: 'full', includedNamespaces: [t2], includedResources: ['notebooks', 'pvc', 'namespaces'], namespaceMapping: { [t2]: 'team-copy' } });
    expect(phaseOf(await restored('mapped'))).toBe('Completed');
    expect(green.list('kubeflow.org/v1', 'Notebook', 'team-copy')).toHaveLength(2);
    expect(green.get('v1', 'Namespace', 'team-copy')).toBeDefined();
    expect(green.get('v1', 'Namespace', t2)).toBeUndefined();
  });

  it('fails validation when the backup is unknown on this cluster', async () => {
    const r = await restored(restore('lost', { backupName: 'never-made' }).metadata.name);
    expect(phaseOf(r)).toBe('FailedValidation');
    expect(veleroStatus(r).validationErrors.join()).toContain('never-made');
  });

  it.skipIf(!realCrdsAvailable())(`writes Backups, Restores and pod volume objects the real Velero CRDs accept (needs ${REAL_CRD_DIR})`, async () => {
    await fullBackupSynced();
    faults = { partialVeleroBackups: ['partial'] };
    backup('partial', { includedNamespaces: [t0] });
    backup('invalid', { storageLocation: 'nope' });
    restore('rv', manualRestore([t0]));
    restore('rbad', { backupName: 'nope' });
    await done('partial');
    await done('invalid');
    await restored('rv');
    await restored('rbad');
    const objs = [blue, green].flatMap((s) => ['Backup', 'Restore', 'PodVolumeBackup', 'PodVolumeRestore', 'BackupStorageLocation'].flatMap((k) => s.list(V, k)));
    expect(new Set(objs.map((o) => o.kind)).size).toBe(5);
    for (const o of objs) {
      expect(hasRealCrd(o)).toBe(true);
      expect(validateAgainstRealCrd(o), `${o.kind} ${o.metadata.name}`).toEqual([]);
    }
  });
});
