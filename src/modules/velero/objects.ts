// The Backup and Restore objects kfup creates: the fields `velero backup create` and
// `velero restore create` set from their flags (only the ones given; unset means Velero's default).
import { VELERO_API, type VeleroObject } from './api.js';

export interface BackupScope {
  included_namespaces: string[];
  excluded_namespaces?: string[];
  included_resources?: string[];
  excluded_resources?: string[];
  include_cluster_resources?: boolean | null;
}

export interface BackupFields extends BackupScope {
  name: string;
  namespace: string;
  default_volumes_to_fs_backup?: boolean | null;
  snapshot_volumes?: boolean | null;
  ttl?: string;
  storage_location: string;
  labels?: Labels;
}

/** labels as the schema gives them (a map of strings) */
type Labels = Record<string, string | undefined>;

const nonEmpty = (a: string[] | undefined) => (a && a.length ? [...a] : undefined);

function scopeSpec(s: BackupScope): Record<string, unknown> {
  const spec: Record<string, unknown> = { includedNamespaces: [...s.included_namespaces] };
  const put = (k: string, v: unknown) => {
    if (v !== undefined && v !== null) spec[k] = v;
  };
  put('excludedNamespaces', nonEmpty(s.excluded_namespaces));
  put('includedResources', nonEmpty(s.included_resources));
  put('excludedResources', nonEmpty(s.excluded_resources));
  put('includeClusterResources', s.include_cluster_resources);
  return spec;
}

function metadata(name: string, namespace: string, labels?: Labels): VeleroObject['metadata'] {
  const set = Object.entries(labels ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [[k, v] as const]));
  return set.length ? { name, namespace, labels: Object.fromEntries(set) } : { name, namespace };
}

export function backupObject(f: BackupFields): VeleroObject {
  const spec = scopeSpec(f);
  if (f.default_volumes_to_fs_backup !== undefined && f.default_volumes_to_fs_backup !== null) spec.defaultVolumesToFsBackup = f.default_volumes_to_fs_backup;
  if (f.snapshot_volumes !== undefined && f.snapshot_volumes !== null) spec.snapshotVolumes = f.snapshot_volumes;
  if (f.ttl) spec.ttl = f.ttl;
  spec.storageLocation = f.storage_location;
  return { apiVersion: VELERO_API, kind: 'Backup', metadata: metadata(f.name, f.namespace, f.labels), spec };
}

export interface RestoreFields extends BackupScope {
  name: string;
  namespace: string;
  backup: string;
  restore_pvs?: boolean | null;
  existing_resource_policy?: 'none' | 'update';
  labels?: Labels;
}

export function restoreObject(f: RestoreFields): VeleroObject {
  const spec: Record<string, unknown> = { backupName: f.backup, ...scopeSpec(f) };
  if (f.restore_pvs !== undefined && f.restore_pvs !== null) spec.restorePVs = f.restore_pvs;
  if (f.existing_resource_policy) spec.existingResourcePolicy = f.existing_resource_policy;
  return { apiVersion: VELERO_API, kind: 'Restore', metadata: metadata(f.name, f.namespace, f.labels), spec };
}
