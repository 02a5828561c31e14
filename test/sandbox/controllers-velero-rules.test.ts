// Velero behaviours the emulation takes from Velero's own source (vmware-tanzu/velero):
//  - pkg/controller/backup_controller.go: an unset spec.defaultVolumesToFsBackup takes the
//    server's --default-volumes-to-fs-backup (true as EKS Blueprints install Velero), and the
//    other server defaults (ttl, timeouts, storage location) are written into the spec too;
//  - pkg/util/podvolume/pod_volume.go GetVolumesByPod: the opt-in annotation counts only in
//    opt-in mode, the excludes annotation only in opt-out mode;
//  - pkg/restore/restore.go restoreItem: an existing object is never overwritten; it is skipped
//    quietly when it is the same, merged when it is a ServiceAccount, skipped with a warning
//    otherwise (patched with existingResourcePolicy: update); the warnings' text lands in the
//    restore's results, their count in status.warnings;
//  - pkg/controller/backup_sync_controller.go: backups reach the other cluster at its sync,
//    per location spec.backupSyncPeriod (0 turns it off), recording status.lastSyncedTime.
import { afterEach, describe, expect, it } from 'vitest';
import { VeleroBucket } from '../../src/sandbox/bucket.js';
import { startVeleroController } from '../../src/sandbox/kube/controllers/velero.js';
import { seedCluster } from '../../src/sandbox/kube/seed.js';
import { MemoryStore } from '../../src/sandbox/kube/store.js';
import { makeScenario } from '../../src/sandbox/scenario.js';
import { phaseOf, veleroSpec, veleroStatus, waitFor, waitForPhase } from './controllers-helpers.js';

const V = 'velero.io/v1';
const scenario = makeScenario({ profiles: 2, notebooks: 2 });
const [t0, t1] = scenario.profiles.map((p) => p.namespace);
const timing = { phaseMs: 40, syncMs: 25 };

let stops: (() => void)[] = [];
afterEach(() => {
  stops.forEach((s) => s());
  stops = [];
});

/** blue and green over one bucket, their Velero servers started with this fs-backup default */
function clusters(serverDefault?: boolean) {
  const bucket = new VeleroBucket(scenario.velero.bucket);
  const blue = new MemoryStore();
  const green = new MemoryStore();
  seedCluster(blue, scenario, 'blue');
  seedCluster(green, scenario, 'green');
  for (const [side, store] of [['blue', blue], ['green', green]] as const) {
    stops.push(startVeleroController({ store, side, bucket, timing, defaultVolumesToFsBackup: serverDefault }));
  }
  return { bucket, blue, green };
}

const backup = (store: MemoryStore, name: string, spec: Record<string, unknown>) =>
  store.create({ apiVersion: V, kind: 'Backup', metadata: { name, namespace: 'velero' }, spec });
const done = (store: MemoryStore, name: string) => waitForPhase(store, V, 'Backup', name, 'velero', ['Completed', 'PartiallyFailed', 'FailedValidation', 'Failed']);
const volumesOf = (store: MemoryStore, b: string) =>
  store
    .list(V, 'PodVolumeBackup', 'velero', { labelSelector: `velero.io/backup-name=${b}` })
    .map((p) => `${veleroSpec(p).pod.name}:${veleroSpec(p).volume}`)
    .sort();
function annotate(store: MemoryStore, ns: string, pod: string, annotations: Record<string, string>): void {
  const p = store.get('v1', 'Pod', pod, ns)!;
  p.metadata.annotations = { ...p.metadata.annotations, ...annotations };
  store.update(p);
}

describe('file-system backup of pod volumes (velero pkg/util/podvolume GetVolumesByPod)', () => {
  it('a Backup without defaultVolumesToFsBackup takes the server default, true as EKS Blueprints install it, and the opt-in annotation is then ignored', async () => {
    const { blue } = clusters();
    annotate(blue, t0, 'nb-0-0', { 'backup.velero.io/backup-volumes': 'nb-0-workspace' });
    backup(blue, 'b', { includedNamespaces: [t0] });
    const b = await done(blue, 'b');
    // the server writes its defaults into the spec (backup_controller.go prepareBackupRequest)
    expect(b.spec).toMatchObject({ defaultVolumesToFsBackup: true, ttl: '720h0m0s', csiSnapshotTimeout: '10m0s', itemOperationTimeout: '1h0m0s', storageLocation: 'default' });
    // every volume of every pod, emptyDir included: not just the annotated one
    expect(volumesOf(blue, 'b')).toEqual(['nb-0-0:dshm', 'nb-0-0:nb-0-workspace', 'nb-1-0:dshm', 'nb-1-0:nb-1-data', 'nb-1-0:nb-1-workspace']);
  });

  it('in opt-out mode backup.velero.io/backup-volumes-excludes leaves volumes out', async () => {
    const { blue } = clusters(true);
    annotate(blue, t0, 'nb-0-0', { 'backup.velero.io/backup-volumes-excludes': 'dshm' });
    annotate(blue, t0, 'nb-1-0', { 'backup.velero.io/backup-volumes-excludes': 'dshm,nb-1-data' });
    backup(blue, 'b', { includedNamespaces: [t0] });
    await done(blue, 'b');
    expect(volumesOf(blue, 'b')).toEqual(['nb-0-0:nb-0-workspace', 'nb-1-0:nb-1-workspace']);
  });

  it('spec.defaultVolumesToFsBackup false overrides the server: only annotated volumes, and the excludes annotation means nothing', async () => {
    const { blue } = clusters(true);
    annotate(blue, t0, 'nb-0-0', { 'backup.velero.io/backup-volumes': 'nb-0-workspace', 'backup.velero.io/backup-volumes-excludes': 'nb-0-workspace' });
    backup(blue, 'b', { includedNamespaces: [t0], defaultVolumesToFsBackup: false });
    const b = await done(blue, 'b');
    expect(veleroSpec(b).defaultVolumesToFsBackup).toBe(false);
    expect(volumesOf(blue, 'b')).toEqual(['nb-0-0:nb-0-workspace']);
  });

  it('a server started with --default-volumes-to-fs-backup=false is in opt-in mode for Backups that do not say', async () => {
    const { blue } = clusters(false);
    annotate(blue, t0, 'nb-1-0', { 'backup.velero.io/backup-volumes': 'nb-1-data' });
    backup(blue, 'b', { includedNamespaces: [t0] });
    const b = await done(blue, 'b');
    expect(veleroSpec(b).defaultVolumesToFsBackup).toBe(false);
    expect(volumesOf(blue, 'b')).toEqual(['nb-1-0:nb-1-data']);
  });

  it('the seeded Velero deployment carries the sandbox option', () => {
    const store = new MemoryStore();
    seedCluster(store, makeScenario({ profiles: 1, veleroDefaultVolumesToFsBackup: false }), 'blue');
    expect(JSON.stringify(store.get('apps/v1', 'Deployment', 'velero', 'velero')?.spec)).toContain('--default-volumes-to-fs-backup=false');
  });
});

describe('restoring over existing objects (velero pkg/restore/restore.go restoreItem)', () => {
  async function backedUpAndSynced(c: ReturnType<typeof clusters>): Promise<void> {
    backup(c.blue, 'full', { includedNamespaces: [t0, t1], defaultVolumesToFsBackup: false });
    expect(phaseOf(await done(c.blue, 'full'))).toBe('Completed');
    await waitForPhase(c.green, V, 'Backup', 'full', 'velero', ['Completed']);
  }
  const restore = (store: MemoryStore, name: string, spec: Record<string, unknown> = {}) =>
    store.create({ apiVersion: V, kind: 'Restore', metadata: { name, namespace: 'velero' }, spec: { backupName: 'full', includedNamespaces: [t0], includedResources: ['configmaps', 'serviceaccounts', 'namespaces'], ...spec } });
  const restored = (store: MemoryStore, name: string) => waitForPhase(store, V, 'Restore', name, 'velero', ['Completed', 'PartiallyFailed', 'FailedValidation']);

  it('skips an object that differs with a warning, and keeps the in-cluster version', async () => {
    const c = clusters(false);
    await backedUpAndSynced(c);
    // green already has its own kfp-launcher config map in t0, different from blue's
    c.green.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: t0 } });
    c.green.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kfp-launcher', namespace: t0 }, data: { defaultPipelineRoot: 's3://green-bucket/root' } });
    restore(c.green, 'r1');
    const r = await restored(c.green, 'r1');
    expect(phaseOf(r)).toBe('Completed');
    expect(veleroStatus(r).errors).toBe(0);
    expect((c.green.get('v1', 'ConfigMap', 'kfp-launcher', t0)!.data as Record<string, string>).defaultPipelineRoot).toBe('s3://green-bucket/root');
    const results = c.bucket.restoreResults('r1')!;
    expect(results.warnings.namespaces?.[t0]).toContain(
      'could not restore, ConfigMap:kfp-launcher already exists. Warning: the in-cluster version is different than the backed-up version',
    );
    const count = (x: { cluster?: string[]; namespaces?: Record<string, string[]> }) => (x.cluster?.length ?? 0) + Object.values(x.namespaces ?? {}).flat().length;
    expect(veleroStatus(r).warnings).toBe(count(results.warnings));
  });

  it('a second restore of unchanged objects gives no warnings; existingResourcePolicy none words it its own way; update patches', async () => {
    const c = clusters(false);
    await backedUpAndSynced(c);
    restore(c.green, 'first');
    expect(phaseOf(await restored(c.green, 'first'))).toBe('Completed');
    restore(c.green, 'again');
    const again = await restored(c.green, 'again');
    expect(veleroStatus(again).warnings).toBe(0);

    const cm = c.green.get('v1', 'ConfigMap', 'kfp-launcher', t0)!;
    c.green.update({ ...cm, data: { defaultPipelineRoot: 'changed-on-green' } });
    restore(c.green, 'none', { existingResourcePolicy: 'none' });
    await restored(c.green, 'none');
    expect(c.bucket.restoreResults('none')!.warnings.namespaces?.[t0]).toEqual([
      'could not restore, ConfigMap "kfp-launcher" already exists. Warning: the in-cluster version is different than the backed-up version',
    ]);
    expect((c.green.get('v1', 'ConfigMap', 'kfp-launcher', t0)!.data as Record<string, string>).defaultPipelineRoot).toBe('changed-on-green');

    restore(c.green, 'update', { existingResourcePolicy: 'update' });
    const upd = await restored(c.green, 'update');
    expect(veleroStatus(upd).warnings).toBe(0);
    expect((c.green.get('v1', 'ConfigMap', 'kfp-launcher', t0)!.data as Record<string, string>).defaultPipelineRoot).toBe(`s3://${scenario.s3.bucket}/${t0}/pipeline-root`);
  });

  it('merges a ServiceAccount: the in-cluster annotations win, missing ones are added, no warning', async () => {
    const c = clusters(false);
    await backedUpAndSynced(c);
    c.green.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: t0 } });
    c.green.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default-editor', namespace: t0, annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/green-own', team: 'green' } } });
    restore(c.green, 'sa');
    const r = await restored(c.green, 'sa');
    expect(c.bucket.restoreResults('sa')!.warnings.namespaces?.[t0] ?? []).not.toContainEqual(expect.stringContaining('ServiceAccount'));
    expect(veleroStatus(r).errors).toBe(0);
    const sa = c.green.get('v1', 'ServiceAccount', 'default-editor', t0)!;
    expect(sa.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/green-own', team: 'green' });
  });
});

describe('backup sync from the shared bucket (velero backup_sync_controller.go)', () => {
  const setPeriod = (store: MemoryStore, period: string) => {
    const loc = store.get(V, 'BackupStorageLocation', 'default', 'velero')!;
    store.update({ ...loc, spec: { ...(loc.spec as object), backupSyncPeriod: period } });
  };

  it("a backup written by blue shows on green only when green's location syncs: never with backupSyncPeriod 0s", async () => {
    const c = clusters(false);
    setPeriod(c.green, '0s');
    const synced = await waitFor('blue location synced once', () => veleroStatus(c.blue.get(V, 'BackupStorageLocation', 'default', 'velero')!).lastSyncedTime);
    expect(synced).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    backup(c.blue, 'b', { includedNamespaces: [t1], defaultVolumesToFsBackup: false });
    await done(c.blue, 'b');
    // ten of the server's sync periods go by: green's location does not sync at all
    await new Promise((r) => setTimeout(r, timing.syncMs * 10));
    expect(c.green.get(V, 'Backup', 'b', 'velero')).toBeUndefined();
    setPeriod(c.green, '10ms');
    const onGreen = await waitForPhase(c.green, V, 'Backup', 'b', 'velero', ['Completed']);
    // the location's name on this cluster goes into the synced backup
    expect(veleroSpec(onGreen).storageLocation).toBe('default');
    expect(onGreen.metadata.labels?.['velero.io/storage-location']).toBe('default');
  });
});
