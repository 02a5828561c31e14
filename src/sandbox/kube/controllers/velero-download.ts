// Velero's files in its bucket that clients download, and its download request controller.
// Velero keeps what `velero restore describe --details` shows (a restore's warnings and errors,
// message by message) in the object store, not in the Restore: a client creates a
// DownloadRequest naming the file, the server answers in its status with a pre-signed URL
// valid for 10 minutes, and the client GETs it (gzip; vmware-tanzu/velero
// pkg/controller/download_request_controller.go, pkg/persistence/object_store.go GetDownloadURL,
// object_store_layout.go, pkg/cmd/util/downloadrequest/downloadrequest.go).
import type { KubeObject } from '../store-api.js';

/** persistence.DownloadURLTTL: how long a URL (and its DownloadRequest) lives */
export const DOWNLOAD_URL_TTL_MS = 10 * 60_000;

/** where the emulated Velero reads and writes its bucket's files: the sandbox's S3 */
export interface VeleroObjectStore {
  put(bucket: string, key: string, body: Buffer): void;
  /** a pre-signed GET URL for the object, valid for ttlMs */
  presignedUrl(bucket: string, key: string, ttlMs: number): string;
}

/** the key of each downloadable file (object_store_layout.go), under the location's prefix */
export function downloadKey(prefix: string | undefined, kind: string, name: string): string | undefined {
  const b = `backups/${name}/${name}`;
  const r = `restores/${name}/restore-${name}`;
  const keys: Record<string, string> = {
    BackupContents: `${b}.tar.gz`,
    BackupLog: `${b}-logs.gz`,
    BackupVolumeSnapshots: `${b}-volumesnapshots.json.gz`,
    BackupItemOperations: `${b}-itemoperations.json.gz`,
    BackupResourceList: `${b}-resource-list.json.gz`,
    BackupResults: `${b}-results.gz`,
    BackupVolumeInfos: `${b}-volumeinfo.json.gz`,
    CSIBackupVolumeSnapshots: `${b}-csi-volumesnapshots.json.gz`,
    CSIBackupVolumeSnapshotContents: `${b}-csi-volumesnapshotcontents.json.gz`,
    RestoreLog: `${r}-logs.gz`,
    RestoreResults: `${r}-results.gz`,
    RestoreResourceList: `${r}-resource-list.json.gz`,
    RestoreItemOperations: `${r}-itemoperations.json.gz`,
    RestoreVolumeInfo: `restores/${name}/${name}-volumeinfo.json.gz`,
  };
  const key = keys[kind];
  if (!key) return undefined;
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return p ? `${p}/${key}` : key;
}

export interface DownloadContext {
  get(kind: 'Restore' | 'Backup' | 'BackupStorageLocation', name: string): KubeObject | undefined;
  /** the bucket this Velero can reach: a location on another bucket has no backup store */
  bucket: string;
  objects?: VeleroObjectStore;
  now: number;
}

export type DownloadDecision = { action: 'delete' } | { action: 'none' } | { action: 'process'; status: Record<string, unknown> };

/**
 * What the download request controller does with one DownloadRequest (Reconcile): an expired
 * one is deleted, whatever its phase; a processed one is left alone; a new one gets its URL, or,
 * when its restore, backup or location cannot be found or the location's bucket is not
 * reachable, is left as it is (the real controller logs the error and does not requeue).
 */
export function decideDownload(d: KubeObject, ctx: DownloadContext): DownloadDecision {
  const status = (d.status ?? {}) as { phase?: string; expiration?: string | null };
  if (status.expiration && Date.parse(status.expiration) < ctx.now) return { action: 'delete' };
  if (status.phase === 'Processed') return { action: 'none' };
  const target = ((d.spec ?? {}) as { target?: { kind?: string; name?: string } }).target;
  if (!target?.kind || !target.name) return { action: 'none' };
  let backupName = target.name;
  if (target.kind.startsWith('Restore')) {
    const restore = ctx.get('Restore', target.name);
    if (!restore) return { action: 'none' };
    backupName = String((restore.spec as { backupName?: string } | undefined)?.backupName ?? '');
  }
  const backup = ctx.get('Backup', backupName);
  if (!backup) return { action: 'none' };
  const loc = ctx.get('BackupStorageLocation', String((backup.spec as { storageLocation?: string } | undefined)?.storageLocation ?? ''));
  const storage = (loc?.spec as { objectStorage?: { bucket?: string; prefix?: string } } | undefined)?.objectStorage;
  if (!storage || storage.bucket !== ctx.bucket || !ctx.objects) return { action: 'none' };
  const key = downloadKey(storage.prefix, target.kind, target.name);
  if (!key) return { action: 'none' };
  return {
    action: 'process',
    status: {
      phase: 'Processed',
      downloadURL: ctx.objects.presignedUrl(storage.bucket, key, DOWNLOAD_URL_TTL_MS),
      expiration: new Date(ctx.now + DOWNLOAD_URL_TTL_MS).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  };
}
