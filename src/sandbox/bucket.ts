// The Velero S3 bucket both sandbox clusters point their BackupStorageLocation at. A backup
// written by blue's Velero is what green's Velero syncs and restores from, so this object is
// shared between the two clusters' controllers. Everything is stored as JSON text: what comes
// out is always a fresh copy, as it would be after a download.
import type { KubeObject } from './kube/store-api.js';

/** one backed-up Kubernetes object */
export interface BackupItem {
  apiVersion: string;
  kind: string;
  /** Velero's resource name: plural, with the group for non-core kinds (e.g. "notebooks.kubeflow.org") */
  resource: string;
  namespace?: string;
  name: string;
}

export interface StoredBackup {
  name: string;
  /** the Backup's spec as it was when the backup ran */
  spec: Record<string, unknown>;
  /** the Backup's status as Velero wrote it at the end (phase, timestamps, counts) */
  status: Record<string, unknown>;
  /** the cluster whose Velero wrote it ('blue' or 'green') */
  writtenBy: string;
  writtenAt: string;
  items: BackupItem[];
}

/**
 * Messages of a restore, grouped as Velero groups them (pkg/util/results/result.go): about Velero
 * itself, about cluster-scoped objects, and per namespace. `velero restore describe --details`
 * shows them from the restore's results file in the bucket.
 */
export interface VeleroResult {
  velero?: string[];
  cluster?: string[];
  namespaces?: Record<string, string[]>;
}

export interface RestoreResults {
  warnings: VeleroResult;
  errors: VeleroResult;
}

interface Entry {
  meta: string;
  /** item key -> object JSON */
  objects: Map<string, string>;
  podVolumeBackups: string[];
}

export const itemKey = (i: Pick<BackupItem, 'resource' | 'namespace' | 'name'>): string =>
  `${i.resource}/${i.namespace ?? ''}/${i.name}`;

export class VeleroBucket {
  private entries = new Map<string, Entry>();
  /** restore name -> its results JSON (restores/<name>/restore-<name>-results.gz in a real bucket) */
  private restores = new Map<string, string>();

  constructor(readonly name: string) {}

  put(backup: Omit<StoredBackup, 'items' | 'writtenAt'> & { writtenAt?: string }, objects: { item: BackupItem; object: KubeObject }[], podVolumeBackups: KubeObject[] = []): void {
    const items = objects.map((o) => o.item);
    const meta: StoredBackup = { ...backup, writtenAt: backup.writtenAt ?? new Date().toISOString(), items };
    this.entries.set(backup.name, {
      meta: JSON.stringify(meta),
      objects: new Map(objects.map((o) => [itemKey(o.item), JSON.stringify(o.object)])),
      podVolumeBackups: podVolumeBackups.map((p) => JSON.stringify(p)),
    });
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get(name: string): StoredBackup | undefined {
    const e = this.entries.get(name);
    return e ? (JSON.parse(e.meta) as StoredBackup) : undefined;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  list(): StoredBackup[] {
    return this.names().map((n) => this.get(n)!);
  }

  /** the backed-up object for an item, or undefined */
  object(backup: string, item: Pick<BackupItem, 'resource' | 'namespace' | 'name'>): KubeObject | undefined {
    const json = this.entries.get(backup)?.objects.get(itemKey(item));
    return json ? (JSON.parse(json) as KubeObject) : undefined;
  }

  /** every backed-up object with its item, in the order they were backed up */
  objects(backup: string): { item: BackupItem; object: KubeObject }[] {
    const meta = this.get(backup);
    if (!meta) return [];
    return meta.items.map((item) => ({ item, object: this.object(backup, item)! }));
  }

  podVolumeBackups(backup: string): KubeObject[] {
    return (this.entries.get(backup)?.podVolumeBackups ?? []).map((j) => JSON.parse(j) as KubeObject);
  }

  putRestoreResults(restore: string, results: RestoreResults): void {
    this.restores.set(restore, JSON.stringify(results));
  }

  restoreResults(restore: string): RestoreResults | undefined {
    const json = this.restores.get(restore);
    return json ? (JSON.parse(json) as RestoreResults) : undefined;
  }

  delete(name: string): boolean {
    return this.entries.delete(name);
  }

  /** bytes held, for "velero backup describe"-like summaries */
  size(name: string): number {
    const e = this.entries.get(name);
    if (!e) return 0;
    let n = e.meta.length;
    for (const j of e.objects.values()) n += j.length;
    for (const j of e.podVolumeBackups) n += j.length;
    return n;
  }
}
