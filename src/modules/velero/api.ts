// Reading and creating velero.io/v1 objects (Backup, Restore, BackupStorageLocation,
// PodVolumeBackup, DownloadRequest) through the custom objects API, with the shared retries.
import { getOrUndefined, isAlreadyExists, jsonEqual, listAll, withKubeRetry, type KubeClients } from '../kit/index.js';

export const VELERO_GROUP = 'velero.io';
export const VELERO_VERSION = 'v1';
export const VELERO_API = `${VELERO_GROUP}/${VELERO_VERSION}`;

export type VeleroPlural = 'backups' | 'restores' | 'backupstoragelocations' | 'podvolumebackups' | 'downloadrequests';

export interface VeleroObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string; uid?: string; creationTimestamp?: string; deletionTimestamp?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export const collectionPath = (namespace: string, plural: VeleroPlural): string => `/apis/${VELERO_GROUP}/${VELERO_VERSION}/namespaces/${namespace}/${plural}`;

export function getVelero(kube: KubeClients, namespace: string, plural: VeleroPlural, name: string, signal?: AbortSignal): Promise<VeleroObject | undefined> {
  return getOrUndefined(
    () => kube.custom.getNamespacedCustomObject({ group: VELERO_GROUP, version: VELERO_VERSION, namespace, plural, name }) as Promise<VeleroObject>,
    signal,
  );
}

export async function listVelero(kube: KubeClients, namespace: string, plural: VeleroPlural, labelSelector?: string, signal?: AbortSignal): Promise<VeleroObject[]> {
  return listAll<VeleroObject>(
    (cont, limit) =>
      kube.custom.listNamespacedCustomObject({ group: VELERO_GROUP, version: VELERO_VERSION, namespace, plural, labelSelector, limit, _continue: cont }) as Promise<{ items: VeleroObject[] }>,
    { signal },
  );
}

/**
 * Creates the object; a 409 AlreadyExists after a retried request (the first one may have
 * landed before the connection dropped) is accepted when the existing object has our spec.
 */
export async function createVelero(kube: KubeClients, plural: VeleroPlural, body: VeleroObject, signal?: AbortSignal): Promise<VeleroObject> {
  const namespace = body.metadata.namespace!;
  let attempts = 0;
  try {
    return await withKubeRetry(
      () => {
        attempts++;
        return kube.custom.createNamespacedCustomObject({ group: VELERO_GROUP, version: VELERO_VERSION, namespace, plural, body }) as Promise<VeleroObject>;
      },
      { signal },
    );
  } catch (e) {
    if (!isAlreadyExists(e) || attempts < 2) throw e;
    const existing = await getVelero(kube, namespace, plural, body.metadata.name, signal);
    if (existing && jsonEqual(existing.spec ?? {}, body.spec ?? {})) return existing;
    throw e;
  }
}
