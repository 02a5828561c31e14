// The emulated Velero of one sandbox cluster. It watches Backup and Restore objects in the
// Velero namespace and moves them through Velero's phases with short, configurable delays;
// backups land in the shared VeleroBucket, and each cluster's sync loop brings the other
// cluster's backups in, which is how green sees what blue backed up. A restore's results file
// goes to the sandbox's S3, where a DownloadRequest's pre-signed URL serves it.
import type { VeleroBucket } from '../../bucket.js';
import type { Side } from '../../scenario.js';
import type { ScenarioFaults } from '../../traffic.js';
import type { KubeObject, ObjectStore } from '../store-api.js';
import { discoverKinds, safeList } from './resource-kinds.js';
import { collectBackupItems, podVolumeBackups, type BackupSpec } from './velero-backup.js';
import { runRestore, selectRestoreItems, type RestoreSpec } from './velero-restore.js';
import { createIfAbsent, modify, parseDuration, rfc3339, refOf, Timers } from './util.js';
import { gzipSync } from 'node:zlib';
import { decideDownload, downloadKey, type VeleroObjectStore } from './velero-download.js';
import { validateScoping } from './velero-select.js';

export interface VeleroControllerOptions {
  store: ObjectStore;
  side: Side;
  bucket: VeleroBucket;
  timing?: { phaseMs?: number; syncMs?: number };
  scenarioFaults?: () => ScenarioFaults;
  /** the namespace Velero runs in (default "velero") */
  namespace?: string;
  /**
   * the server's --default-volumes-to-fs-backup (default true, as the EKS Blueprints add-on
   * installs Velero); a Backup without spec.defaultVolumesToFsBackup gets it written into its spec
   */
  defaultVolumesToFsBackup?: boolean;
  /**
   * the S3 the bucket's downloadable files live in (a restore's results); without it the
   * results are only in the VeleroBucket and DownloadRequests stay unprocessed
   */
  objects?: VeleroObjectStore;
}

const API = 'velero.io/v1';
const DEFAULT_TTL_MS = 720 * 3_600_000;
const LOCATION_LABEL = 'velero.io/storage-location';

type Status = Record<string, unknown>;

export function startVeleroController(opts: VeleroControllerOptions): () => void {
  const { store, bucket, side } = opts;
  const ns = opts.namespace ?? 'velero';
  const phaseMs = opts.timing?.phaseMs ?? 200;
  // the server's --backup-sync-period (Velero's default is 1m; the sandbox's is short)
  const syncMs = opts.timing?.syncMs ?? 300;
  const serverFsBackupDefault = opts.defaultVolumesToFsBackup ?? true;
  const faults = opts.scenarioFaults ?? ((): ScenarioFaults => ({}));
  const timers = new Timers();
  /** uids of Backups and Restores already taken up, so that MODIFIED events do not restart them */
  const taken = new Set<string>();

  const phaseOf = (o: KubeObject) => (o.status as Status | undefined)?.phase as string | undefined;
  const setStatus = (o: KubeObject, patch: Status, labels?: Record<string, string>) =>
    modify(store, refOf(o), (cur) => {
      if (cur.metadata.uid !== o.metadata.uid) return false;
      cur.status = { ...(cur.status as Status | undefined), ...patch };
      if (labels) cur.metadata.labels = { ...cur.metadata.labels, ...labels };
    });

  function location(name: string | undefined): { obj?: KubeObject; name: string } {
    if (name) return { obj: store.get(API, 'BackupStorageLocation', name, ns), name };
    const all = safeList(store, API, 'BackupStorageLocation', ns);
    const def = all.find((l) => (l.spec as { default?: boolean }).default) ?? all.find((l) => l.metadata.name === 'default');
    return { obj: def, name: def?.metadata.name ?? 'default' };
  }

  const partial = (name: string) => (faults().partialVeleroBackups ?? []).some((p) => p === '*' || p === name);

  // ---- backups ----

  function startBackup(b: KubeObject): void {
    // the server's defaults go into the Backup's spec before anything else, as Velero's backup
    // controller does (pkg/controller/backup_controller.go prepareBackupRequest; defaults of
    // pkg/cmd/server/server.go in v1.11): ttl 720h, csiSnapshotTimeout 10m, itemOperationTimeout
    // 1h, a nil defaultVolumesToFsBackup takes the server's --default-volumes-to-fs-backup, and an
    // empty storageLocation the default location
    const given = (b.spec ?? {}) as BackupSpec & { csiSnapshotTimeout?: string; itemOperationTimeout?: string };
    const zero = (d: string | undefined) => !d || parseDuration(d) === 0;
    const defaults: Record<string, unknown> = {};
    if (zero(given.ttl)) defaults.ttl = '720h0m0s';
    if (zero(given.csiSnapshotTimeout)) defaults.csiSnapshotTimeout = '10m0s';
    if (zero(given.itemOperationTimeout)) defaults.itemOperationTimeout = '1h0m0s';
    if (given.defaultVolumesToFsBackup === undefined || given.defaultVolumesToFsBackup === null) defaults.defaultVolumesToFsBackup = serverFsBackupDefault;
    if (!given.storageLocation) defaults.storageLocation = location(undefined).name;
    if (Object.keys(defaults).length) {
      const resolved = modify(store, refOf(b), (cur) => {
        if (cur.metadata.uid !== b.metadata.uid) return false;
        cur.spec = { ...(cur.spec as Record<string, unknown> | undefined), ...defaults };
      });
      if (!resolved) return;
      b = resolved;
    }
    const spec = (b.spec ?? {}) as BackupSpec;
    const loc = location(spec.storageLocation);
    const errors = validateScoping(spec);
    if (!loc.obj) errors.push(`backup storage location "${loc.name}" does not exist`);
    else if ((loc.obj.status as Status | undefined)?.phase !== 'Available') {
      errors.push(`backup storage location "${loc.name}" is not available (phase ${phaseOf(loc.obj) ?? 'unknown'})`);
    }
    if (spec.ttl !== undefined && parseDuration(spec.ttl) === undefined) errors.push(`ttl "${spec.ttl}" is not a duration`);
    if (errors.length) {
      setStatus(b, { phase: 'FailedValidation', validationErrors: errors, version: 1, formatVersion: '1.1.0' });
      return;
    }
    const start = new Date();
    const items = collectBackupItems(store, discoverKinds(store), spec);
    const total = items.length;
    const started = setStatus(
      b,
      {
        phase: 'InProgress',
        startTimestamp: rfc3339(start),
        expiration: rfc3339(new Date(start.getTime() + (spec.ttl ? parseDuration(spec.ttl)! : DEFAULT_TTL_MS))),
        version: 1,
        formatVersion: '1.1.0',
        progress: { totalItems: total, itemsBackedUp: 0 },
      },
      { [LOCATION_LABEL]: loc.name },
    );
    if (!started) return;
    // progress moves in a few steps, as `velero backup describe` shows it
    for (const step of [1, 2, 3]) {
      timers.after((phaseMs * step) / 4, () => setStatus(b, { progress: { totalItems: total, itemsBackedUp: Math.floor((total * step) / 4) } }));
    }
    timers.after(phaseMs, () => finishBackup(started, items, loc.obj!, spec));
  }

  function finishBackup(b: KubeObject, items: ReturnType<typeof collectBackupItems>, loc: KubeObject, spec: BackupSpec): void {
    if (!store.get(API, 'Backup', b.metadata.name, ns)) return;
    const faulty = partial(b.metadata.name);
    const pods = items.filter((i) => i.item.kind === 'Pod' && i.item.apiVersion === 'v1').map((i) => i.object);
    const locSpec = loc.spec as { objectStorage: { bucket: string }; config?: Record<string, string> };
    let failOne = faulty;
    const pvbs = podVolumeBackups(
      {
        backup: b,
        veleroNamespace: ns,
        storageLocation: loc.metadata.name,
        bucket: locSpec.objectStorage.bucket,
        region: locSpec.config?.region ?? 'us-east-1',
        fail: () => {
          const f = failOne;
          failOne = false;
          return f;
        },
      },
      pods,
      spec.defaultVolumesToFsBackup === true,
      store,
    );
    const created = pvbs.map((p) => createIfAbsent(store, p)).filter((p): p is KubeObject => !!p);
    const errors = faulty ? 1 : 0;
    const phase = errors ? 'PartiallyFailed' : 'Completed';
    const status: Status = {
      ...(b.status as Status),
      phase,
      completionTimestamp: rfc3339(),
      progress: { totalItems: items.length, itemsBackedUp: items.length - (faulty && pvbs.length === 0 ? 1 : 0) },
      warnings: 0,
      errors,
    };
    if (faulty) status.failureReason = '';
    // the data is in the bucket before the phase says so, as with Velero's upload then patch
    bucket.put(
      { name: b.metadata.name, spec: (b.spec ?? {}) as Record<string, unknown>, status, writtenBy: side },
      faulty && pvbs.length === 0 ? items.slice(0, -1) : items,
      created,
    );
    setStatus(b, status);
  }

  function deleteBackupData(b: KubeObject): void {
    const stored = bucket.get(b.metadata.name);
    if (!stored) return;
    bucket.delete(b.metadata.name);
    for (const p of safeList(store, API, 'PodVolumeBackup', ns, `velero.io/backup-name=${b.metadata.name}`)) {
      store.delete(API, 'PodVolumeBackup', p.metadata.name, ns);
    }
  }

  // ---- restores ----

  function startRestore(r: KubeObject): void {
    const spec = (r.spec ?? {}) as RestoreSpec;
    const errors = validateScoping(spec);
    const name = spec.backupName;
    const backup = name ? store.get(API, 'Backup', name, ns) : undefined;
    if (!name) errors.push('the restore names no backup (spec.backupName)');
    else if (!backup || !bucket.has(name)) errors.push(`backup "${name}" not found`);
    else if (!['Completed', 'PartiallyFailed'].includes(phaseOf(backup) ?? '')) {
      errors.push(`backup "${name}" is in phase ${phaseOf(backup) ?? 'New'}; only completed or partially failed backups can be restored`);
    }
    if (errors.length) {
      setStatus(r, { phase: 'FailedValidation', validationErrors: errors });
      return;
    }
    const kinds = discoverKinds(store);
    const stored = bucket.get(name!)!;
    const { selected } = selectRestoreItems(stored.items, (i) => bucket.object(name!, i)!, kinds, spec);
    const started = setStatus(r, { phase: 'InProgress', startTimestamp: rfc3339(), progress: { totalItems: selected.length, itemsRestored: 0 } });
    if (!started) return;
    timers.after(phaseMs / 2, () => setStatus(r, { progress: { totalItems: selected.length, itemsRestored: Math.floor(selected.length / 2) } }));
    timers.after(phaseMs, () => {
      const current = store.get(API, 'Restore', r.metadata.name, ns);
      if (!current || current.metadata.uid !== r.metadata.uid) return;
      const result = runRestore({ store, bucket, kinds, restore: current, veleroNamespace: ns }, selected);
      // the messages go to the bucket, the counts to the status (pkg/controller/restore_controller.go)
      bucket.putRestoreResults(current.metadata.name, result.results);
      const storage = (location((backup!.spec as BackupSpec | undefined)?.storageLocation).obj?.spec as { objectStorage?: { prefix?: string } } | undefined)?.objectStorage;
      const key = downloadKey(storage?.prefix, 'RestoreResults', current.metadata.name);
      // restore_controller.go putResults: JSON of {"warnings": Result, "errors": Result}, gzipped
      if (key) opts.objects?.put(bucket.name, key, gzipSync(JSON.stringify(result.results)));
      setStatus(r, {
        phase: result.errors.length ? 'PartiallyFailed' : 'Completed',
        completionTimestamp: rfc3339(),
        progress: { totalItems: result.totalItems, itemsRestored: result.itemsRestored },
        warnings: result.warnings.length,
        errors: result.errors.length,
      });
    });
  }

  // ---- download requests ----

  function processDownload(d: KubeObject): void {
    const current = store.get(API, 'DownloadRequest', d.metadata.name, ns);
    if (!current || current.metadata.uid !== d.metadata.uid) return;
    const decision = decideDownload(current, {
      get: (kind, name) => (name ? store.get(API, kind, name, ns) : undefined),
      bucket: bucket.name,
      objects: opts.objects,
      now: Date.now(),
    });
    if (decision.action === 'delete') store.delete(API, 'DownloadRequest', current.metadata.name, ns);
    else if (decision.action === 'process') setStatus(current, decision.status);
  }

  // ---- sync with the bucket ----

  /** when each location last synced (ms); its status.lastSyncedTime says the same to seconds */
  const lastSynced = new Map<string, number>();

  /** the location's own spec.backupSyncPeriod, else the server's; 0 turns its sync off */
  function periodOf(loc: KubeObject): number {
    const own = (loc.spec as { backupSyncPeriod?: string | null }).backupSyncPeriod;
    if (own === undefined || own === null) return syncMs;
    const d = parseDuration(own);
    // a negative or unreadable period falls back to the server's (backup_sync_controller.go locationFilterFunc)
    return d === undefined ? syncMs : d;
  }

  // Velero's backup sync controller (pkg/controller/backup_sync_controller.go): each available
  // location, when its sync period has passed since its lastSyncedTime, brings the bucket's
  // backups that this cluster lacks in as Backup objects, and drops completed ones the bucket
  // no longer has. So a backup blue's Velero writes shows on green only at green's next sync.
  function sync(): void {
    for (const loc of safeList(store, API, 'BackupStorageLocation', ns)) {
      const spec = loc.spec as { objectStorage?: { bucket?: string } };
      const ours = spec.objectStorage?.bucket === bucket.name;
      const phase = ours ? 'Available' : 'Unavailable';
      const current = (loc.status as Status | undefined)?.phase;
      if (current !== phase) {
        setStatus(loc, {
          phase,
          lastValidationTime: rfc3339(),
          ...(ours ? {} : { message: `bucket "${spec.objectStorage?.bucket}" does not exist or is not reachable` }),
        });
      }
      if (!ours || current === 'Unavailable') continue;
      const period = periodOf(loc);
      if (period === 0) continue;
      const name = loc.metadata.name;
      const last = lastSynced.get(name);
      const now = Date.now();
      // a tick can come a little early; syncing then is what Velero's one-minute requeue also does
      if (last !== undefined && now - last < period - 5) continue;
      lastSynced.set(name, now);
      syncLocation(name);
      const stamp = rfc3339(new Date(now));
      if ((loc.status as Status | undefined)?.lastSyncedTime !== stamp) setStatus(loc, { lastSyncedTime: stamp });
    }
  }

  function syncLocation(locName: string): void {
    const inCluster = new Map(safeList(store, API, 'Backup', ns).map((b) => [b.metadata.name, b]));
    for (const stored of bucket.list()) {
      if (inCluster.has(stored.name)) continue;
      createIfAbsent(store, {
        apiVersion: API,
        kind: 'Backup',
        metadata: { name: stored.name, namespace: ns, labels: { [LOCATION_LABEL]: locName } },
        // the location's name here may differ from the writer's (backup_sync_controller.go)
        spec: { ...stored.spec, storageLocation: locName },
        status: stored.status,
      });
      for (const pvb of bucket.podVolumeBackups(stored.name)) {
        const { uid: _u, resourceVersion: _r, creationTimestamp: _c, generation: _g, ownerReferences: _o, ...meta } = pvb.metadata;
        createIfAbsent(store, { ...pvb, metadata: { ...meta, namespace: ns } });
      }
    }
    // backups deleted from the bucket (by the other cluster) go away here too
    for (const b of inCluster.values()) {
      if (b.metadata.labels?.[LOCATION_LABEL] !== locName) continue;
      if (!['Completed', 'PartiallyFailed'].includes(phaseOf(b) ?? '') || bucket.has(b.metadata.name)) continue;
      store.delete(API, 'Backup', b.metadata.name, ns);
    }
  }

  // ---- wiring ----

  const isOurs = (o: KubeObject, kind: string) => o.apiVersion === API && o.kind === kind && o.metadata.namespace === ns;
  const take = (o: KubeObject, start: (o: KubeObject) => void) => {
    const phase = phaseOf(o);
    if ((phase && phase !== 'New') || !o.metadata.uid || taken.has(o.metadata.uid) || o.metadata.deletionTimestamp) return;
    taken.add(o.metadata.uid);
    // never act inside the store's own call stack
    timers.after(0, () => start(o));
  };

  const unwatch = store.watch((type, o) => {
    if (timers.stopped) return;
    if (isOurs(o, 'Backup')) {
      if (type === 'DELETED') deleteBackupData(o);
      else take(o, startBackup);
    } else if (isOurs(o, 'Restore') && type !== 'DELETED') {
      take(o, startRestore);
    } else if (isOurs(o, 'DownloadRequest') && type !== 'DELETED') {
      timers.after(0, () => processDownload(o));
    }
  }, ['velero.io/Backup', 'velero.io/Restore', 'velero.io/DownloadRequest']);
  for (const b of safeList(store, API, 'Backup', ns)) take(b, startBackup);
  for (const r of safeList(store, API, 'Restore', ns)) take(r, startRestore);
  timers.after(0, sync);
  timers.every(syncMs, sync);
  // the controller's periodic requeue, which deletes expired requests
  timers.every(syncMs, () => safeList(store, API, 'DownloadRequest', ns).forEach(processDownload));

  return () => {
    timers.stop();
    unwatch();
  };
}
