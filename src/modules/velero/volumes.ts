// Which pod volumes go to Velero's file-system backup: volumes whose claim is bound to a
// persistent volume of one of the given CSI drivers (EFS and FSx have no CSI snapshots, so
// Velero must copy their files). Reads pods, claims and volumes a page at a time, as plain JSON:
// thousands of pods through client-node's model deserialiser cost more CPU than the requests.
import type { V1PersistentVolume, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { kubeList, listAll, mapPool, valuesOrThrow, type KubeClients } from '../kit/index.js';

export const BACKUP_VOLUMES = 'backup.velero.io/backup-volumes';

export interface PodVolumes {
  namespace: string;
  pod: string;
  resourceVersion?: string;
  /** the annotation now (undefined when absent) */
  before?: string;
  /** the volume names on the drivers, in the pod's order */
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

export async function findPodVolumes(kube: KubeClients, namespaces: string[], drivers: string[], signal: AbortSignal): Promise<PodVolumes[]> {
  if (!namespaces.length) return [];
  const ns = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}`;
  const [pvs, pvcs, pods] = await Promise.all([
    listAll<V1PersistentVolume>((cont, limit) => kubeList(kube, '/api/v1/persistentvolumes', { limit, continue: cont, signal }), { signal, limit: 500 }),
    inNamespaces<V1PersistentVolumeClaim>(
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
    const volumes = (pod.spec?.volumes ?? []).filter((v) => v.persistentVolumeClaim && claimOnDriver.has(`${ns}/${v.persistentVolumeClaim.claimName}`)).map((v) => v.name);
    if (!volumes.length) continue;
    const before = pod.metadata?.annotations?.[BACKUP_VOLUMES];
    const { add, merged } = mergeNames(before, volumes);
    out.push({ namespace: ns, pod: pod.metadata!.name!, resourceVersion: pod.metadata?.resourceVersion, before, volumes, add, after: merged });
  }
  return out.sort((a, b) => (a.namespace === b.namespace ? a.pod.localeCompare(b.pod) : a.namespace.localeCompare(b.namespace)));
}
