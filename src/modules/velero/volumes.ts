// Which pod volumes to mark for Velero's file-system backup, in either of its volume policies
// (https://velero.io/docs/main/file-system-backup/, "opt-in" and "opt-out"):
//  - opt-in: volumes whose claim is bound to a persistent volume of one of the given CSI drivers
//    (EFS and FSx have no CSI snapshots, so Velero must copy their files), for
//    backup.velero.io/backup-volumes;
//  - opt-out: Velero copies every pod volume but the kinds it skips by itself; the volumes that
//    are not claims (emptyDir scratch, ephemeral and inline volumes) go to
//    backup.velero.io/backup-volumes-excludes, so that exactly the claims are copied.
// Reads pods, claims and volumes a page at a time, as plain JSON: thousands of pods through
// client-node's model deserialiser cost more CPU than the requests.
import type { V1PersistentVolume, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { kubeList, listAll, mapPool, valuesOrThrow, type KubeClients } from '../kit/index.js';

/** Velero's pod annotations (pkg/apis/velero/v1/labels_annotations.go VolumesToBackupAnnotation, VolumesToExcludeAnnotation) */
export const BACKUP_VOLUMES = 'backup.velero.io/backup-volumes';
export const BACKUP_VOLUMES_EXCLUDES = 'backup.velero.io/backup-volumes-excludes';
export type VolumeAnnotation = typeof BACKUP_VOLUMES | typeof BACKUP_VOLUMES_EXCLUDES;

/** the annotation Velero reads in each mode (pkg/util/podvolume GetVolumesByPod) */
export const annotationFor = (optOut: boolean): VolumeAnnotation => (optOut ? BACKUP_VOLUMES_EXCLUDES : BACKUP_VOLUMES);

/**
 * Volume sources Velero's opt-out mode never copies by itself (GetVolumesByPod: hostPath,
 * Secret, ConfigMap, projected and downwardAPI volumes, and default-token* volumes)
 */
const SKIPPED_BY_VELERO = ['hostPath', 'secret', 'configMap', 'projected', 'downwardAPI'] as const;

export interface PodVolumes {
  namespace: string;
  pod: string;
  resourceVersion?: string;
  /** the annotation this pod gets (the one of the backup's mode) */
  annotation: VolumeAnnotation;
  /** the annotation now (undefined when absent) */
  before?: string;
  /** the volume names to mark (opt-in: on the drivers; opt-out: not claims), in the pod's order */
  volumes: string[];
  /** those not in the annotation yet */
  add: string[];
  /** the annotation with them merged in */
  after: string;
}

export const splitNames = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** existing names first, in their order, then the new ones */
export function mergeNames(existing: string | undefined, names: string[]): { add: string[]; merged: string } {
  const have = splitNames(existing);
  const add = names.filter((n, i) => !have.includes(n) && names.indexOf(n) === i);
  return { add, merged: [...have, ...add].join(',') };
}

/** lists per namespace for a few namespaces, cluster-wide (filtered) for many */
async function inNamespaces<T extends { metadata?: { namespace?: string } }>(
  namespaces: string[],
  perNamespace: (ns: string, cont: string | undefined, limit: number) => Promise<{ items: T[] }>,
  all: (cont: string | undefined, limit: number) => Promise<{ items: T[] }>,
  signal: AbortSignal,
): Promise<T[]> {
  if (namespaces.length > 20) {
    const wanted = new Set(namespaces);
    return (await listAll(all, { signal, limit: 500 })).filter((o) => wanted.has(o.metadata?.namespace ?? ''));
  }
  return valuesOrThrow(await mapPool(namespaces, 8, (ns) => listAll((c, l) => perNamespace(ns, c, l), { signal, limit: 500 }), signal)).flat();
}

/** opt-out: the pod's volumes that Velero would copy although they hold no claim */
function notClaims(pod: V1Pod): string[] {
  return (pod.spec?.volumes ?? [])
    .filter((v) => !v.persistentVolumeClaim && !SKIPPED_BY_VELERO.some((k) => v[k] !== undefined && v[k] !== null) && !v.name.startsWith('default-token'))
    .map((v) => v.name);
}

/** the volumes to mark in each pod of the namespaces, for the backup's mode (optOut: defaultVolumesToFsBackup) */
export async function findPodVolumes(kube: KubeClients, namespaces: string[], drivers: string[], signal: AbortSignal, optOut = false): Promise<PodVolumes[]> {
  if (!namespaces.length) return [];
  const ns = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}`;
  // opt-out needs only the pods: which claims are on which driver does not matter there
  const [pvs, pvcs, pods] = await Promise.all([
    optOut ? [] : listAll<V1PersistentVolume>((cont, limit) => kubeList(kube, '/api/v1/persistentvolumes', { limit, continue: cont, signal }), { signal, limit: 500 }),
    optOut
      ? []
      : inNamespaces<V1PersistentVolumeClaim>(
          namespaces,
          (namespace, cont, limit) => kubeList(kube, `${ns(namespace)}/persistentvolumeclaims`, { limit, continue: cont, signal }),
          (cont, limit) => kubeList(kube, '/api/v1/persistentvolumeclaims', { limit, continue: cont, signal }),
          signal,
        ),
    inNamespaces<V1Pod>(
      namespaces,
      (namespace, cont, limit) => kubeList(kube, `${ns(namespace)}/pods`, { limit, continue: cont, signal }),
      (cont, limit) => kubeList(kube, '/api/v1/pods', { limit, continue: cont, signal }),
      signal,
    ),
  ]);
  const driverOf = new Map(pvs.map((pv) => [pv.metadata!.name!, pv.spec?.csi?.driver]));
  const wanted = new Set(drivers);
  const claimOnDriver = new Set(
    pvcs.filter((c) => c.spec?.volumeName && wanted.has(driverOf.get(c.spec.volumeName) ?? '')).map((c) => `${c.metadata!.namespace}/${c.metadata!.name}`),
  );
  const out: PodVolumes[] = [];
  for (const pod of pods) {
    const ns = pod.metadata!.namespace!;
    // a finished or terminating pod has no volume left for the node agent to read
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const volumes = optOut
      ? notClaims(pod)
      : (pod.spec?.volumes ?? []).filter((v) => v.persistentVolumeClaim && claimOnDriver.has(`${ns}/${v.persistentVolumeClaim.claimName}`)).map((v) => v.name);
    if (!volumes.length) continue;
    const annotation = annotationFor(optOut);
    const before = pod.metadata?.annotations?.[annotation];
    const { add, merged } = mergeNames(before, volumes);
    out.push({ namespace: ns, pod: pod.metadata!.name!, resourceVersion: pod.metadata?.resourceVersion, annotation, before, volumes, add, after: merged });
  }
  return out.sort((a, b) => (a.namespace === b.namespace ? a.pod.localeCompare(b.pod) : a.namespace.localeCompare(b.namespace)));
}
