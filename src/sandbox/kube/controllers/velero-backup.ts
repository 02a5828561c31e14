// What a Velero backup takes from a cluster: the selected objects, and a PodVolumeBackup for
// every pod volume that goes to the file-system backup (opt-in by pod annotation, or opt-out:
// every volume not excluded, with defaultVolumesToFsBackup).
import type { BackupItem } from '../../bucket.js';
import type { KubeObject, ObjectStore } from '../store-api.js';
import { resourceName, safeList, type ResourceKind } from './resource-kinds.js';
import { hex, nameSuffix, rfc3339 } from './util.js';
import { clusterScoped, explicitlyIncluded, labelsMatch, namespaceFilter, resourceFilter, type Scoping } from './velero-select.js';

/** Velero's pod annotations (pkg/apis/velero/v1 VolumesToBackupAnnotation, VolumesToExcludeAnnotation) */
export const BACKUP_VOLUMES = 'backup.velero.io/backup-volumes';
export const BACKUP_VOLUMES_EXCLUDES = 'backup.velero.io/backup-volumes-excludes';

export interface BackupSpec extends Scoping {
  storageLocation?: string;
  ttl?: string;
  defaultVolumesToFsBackup?: boolean | null;
}

/** kinds a backup never takes: Velero's own bookkeeping, and events */
const NEVER_BACKED_UP = new Set(['backups.velero.io', 'restores.velero.io', 'deletebackuprequests.velero.io', 'events', 'events.events.k8s.io']);

export function collectBackupItems(store: ObjectStore, kinds: ResourceKind[], spec: BackupSpec): { item: BackupItem; object: KubeObject }[] {
  const nsOk = namespaceFilter(spec);
  const kindOk = resourceFilter(spec);
  const out: { item: BackupItem; object: KubeObject }[] = [];
  const add = (k: ResourceKind, o: KubeObject) =>
    out.push({
      item: { apiVersion: o.apiVersion, kind: o.kind, resource: resourceName(k), namespace: o.metadata.namespace, name: o.metadata.name },
      object: o,
    });

  for (const k of kinds) {
    if (NEVER_BACKED_UP.has(resourceName(k)) || !kindOk(k)) continue;
    // CRDs only when asked for by name: the target cluster installs its own
    if (k.kind === 'CustomResourceDefinition' && !explicitlyIncluded(spec, k)) continue;
    const objects = safeList(store, k.apiVersion, k.kind);
    for (const o of objects) {
      if (o.metadata.deletionTimestamp) continue;
      if (k.kind === 'Namespace' && k.group === '') {
        // namespaces follow the namespace filter, whatever includeClusterResources says
        if (nsOk(o.metadata.name)) add(k, o);
      } else if (k.namespaced) {
        if (o.metadata.namespace && nsOk(o.metadata.namespace) && labelsMatch(spec, o)) add(k, o);
      } else if (clusterScoped(spec, k, o, nsOk) && (k.kind === 'PersistentVolume' || labelsMatch(spec, o))) {
        add(k, o);
      }
    }
  }
  return out;
}

/**
 * Volumes a pod sends to the file-system backup, as Velero's GetVolumesByPod decides
 * (vmware-tanzu/velero pkg/util/podvolume/pod_volume.go; pkg/podvolume/util.go in v1.11, alike):
 *  - opt-in mode (defaultVolumesToFsBackup false): exactly the volumes the pod's
 *    `backup.velero.io/backup-volumes` annotation lists;
 *  - opt-out mode (true): every volume except hostPath, secret, configMap, projected and
 *    downwardAPI volumes, volumes named default-token*, and those the
 *    `backup.velero.io/backup-volumes-excludes` annotation lists. The opt-in annotation is not
 *    read at all in this mode.
 * Names that match no volume of the pod are dropped, as the pod volume backupper skips them
 * (pkg/podvolume/backupper.go: "No volume named ... found in pod").
 */
export function fsBackupVolumes(pod: KubeObject, defaultVolumesToFsBackup: boolean): string[] {
  const annotations = pod.metadata.annotations ?? {};
  const volumes = ((pod.spec as { volumes?: Record<string, unknown>[] } | undefined)?.volumes ?? []);
  const names = new Set(volumes.map((v) => String(v.name)));
  const list = (s: string | undefined) => (s ?? '').split(',').filter(Boolean);
  if (!defaultVolumesToFsBackup) return [...new Set(list(annotations[BACKUP_VOLUMES]))].filter((n) => names.has(n));
  const excluded = new Set(list(annotations[BACKUP_VOLUMES_EXCLUDES]));
  // their content comes from the cluster's own objects (or the node), not from the volume
  const skipped = ['hostPath', 'secret', 'configMap', 'projected', 'downwardAPI'];
  return volumes
    .filter((v) => !skipped.some((t) => v[t] !== undefined && v[t] !== null))
    .map((v) => String(v.name))
    .filter((n) => !excluded.has(n) && !n.startsWith('default-token'));
}

export interface PvbContext {
  backup: KubeObject;
  veleroNamespace: string;
  storageLocation: string;
  bucket: string;
  region: string;
  /** give this volume a Failed status (the partial-failure fault) */
  fail?: (pod: KubeObject, volume: string) => boolean;
}

export function podVolumeBackups(ctx: PvbContext, pods: KubeObject[], defaultVolumesToFsBackup: boolean, store: ObjectStore): KubeObject[] {
  const out: KubeObject[] = [];
  const backupName = ctx.backup.metadata.name;
  const backupUid = ctx.backup.metadata.uid ?? '';
  for (const pod of pods) {
    const ns = pod.metadata.namespace ?? 'default';
    const podSpec = (pod.spec ?? {}) as { nodeName?: string; volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] };
    for (const volume of fsBackupVolumes(pod, defaultVolumesToFsBackup)) {
      const claim = podSpec.volumes?.find((v) => v.name === volume)?.persistentVolumeClaim?.claimName;
      const pvc = claim ? store.get('v1', 'PersistentVolumeClaim', claim, ns) : undefined;
      const pvName = (pvc?.spec as { volumeName?: string } | undefined)?.volumeName;
      const failed = ctx.fail?.(pod, volume) ?? false;
      const labels: Record<string, string> = { 'velero.io/backup-name': backupName, 'velero.io/backup-uid': backupUid };
      if (pvc?.metadata.uid) labels['velero.io/pvc-uid'] = pvc.metadata.uid;
      const now = rfc3339();
      const size = 1_048_576 * (1 + Math.floor(Math.random() * 512));
      out.push({
        apiVersion: 'velero.io/v1',
        kind: 'PodVolumeBackup',
        metadata: {
          name: `${backupName}-${nameSuffix()}`,
          namespace: ctx.veleroNamespace,
          labels,
          annotations: { 'velero.io/pvc-name': claim ?? '' },
          ownerReferences: [{ apiVersion: 'velero.io/v1', kind: 'Backup', name: backupName, uid: backupUid, controller: true }],
        },
        spec: {
          node: podSpec.nodeName ?? 'ip-10-0-1-10.ec2.internal',
          pod: { kind: 'Pod', namespace: ns, name: pod.metadata.name, uid: pod.metadata.uid ?? '' },
          volume,
          backupStorageLocation: ctx.storageLocation,
          repoIdentifier: `s3:s3-${ctx.region}.amazonaws.com/${ctx.bucket}/kopia/${ns}`,
          uploaderType: 'kopia',
          tags: {
            backup: backupName,
            'backup-uid': backupUid,
            ns,
            pod: pod.metadata.name,
            'pod-uid': pod.metadata.uid ?? '',
            'pvc-uid': pvc?.metadata.uid ?? '',
            volume,
          },
        },
        status: failed
          ? { phase: 'Failed', message: `error running kopia backup of volume ${volume}: unable to read the volume`, startTimestamp: now, completionTimestamp: now }
          : {
              phase: 'Completed',
              path: `/host_pods/${pod.metadata.uid ?? ''}/volumes/kubernetes.io~csi/${pvName ?? volume}/mount`,
              snapshotID: hex(32),
              startTimestamp: now,
              completionTimestamp: now,
              progress: { totalBytes: size, bytesDone: size },
            },
      });
    }
  }
  return out;
}
