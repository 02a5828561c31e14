// Shared by the controllers-*.test.ts files: waiting on a store without fixed sleeps.
import type { KubeObject, ObjectStore } from '../../src/sandbox/kube/store-api.js';

/** polls `probe` until it returns a value other than undefined/false, or fails after `ms` */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, ms = 3000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const phaseOf = (o: KubeObject | undefined): string | undefined => (o?.status as { phase?: string } | undefined)?.phase;

/** waits until the object reaches one of the phases and returns it */
export function waitForPhase(store: ObjectStore, apiVersion: string, kind: string, name: string, namespace: string, phases: string[], ms = 3000): Promise<KubeObject> {
  return waitFor(`${kind} ${namespace}/${name} in ${phases.join('|')}`, () => {
    const o = store.get(apiVersion, kind, name, namespace);
    return o && phases.includes(phaseOf(o) ?? '') ? o : undefined;
  }, ms);
}

/**
 * The status fields of Velero's Backup, Restore, PodVolumeBackup and PodVolumeRestore the tests read
 * (velero.io/v1, see the real CRDs under ../shared); each test reads only those its kind has.
 */
export interface VeleroStatus {
  phase: string;
  errors: number;
  warnings: number;
  version: number;
  expiration: string;
  startTimestamp: string;
  completionTimestamp: string;
  progress: { totalItems: number; itemsBackedUp: number; itemsRestored: number };
  validationErrors: string[];
  snapshotID: string;
  /** BackupStorageLocation: when it last synced backups from the bucket */
  lastSyncedTime?: string;
}
export const veleroStatus = (o: KubeObject): VeleroStatus => o.status as VeleroStatus;

/** the spec fields of Velero's Backup, PodVolumeBackup and PodVolumeRestore the tests read */
export interface VeleroSpec {
  includedNamespaces: string[];
  pod: { name: string; namespace: string; uid: string };
  volume: string;
  repoIdentifier: string;
  defaultVolumesToFsBackup?: boolean;
  storageLocation?: string;
}
export const veleroSpec = (o: KubeObject): VeleroSpec => o.spec as VeleroSpec;
