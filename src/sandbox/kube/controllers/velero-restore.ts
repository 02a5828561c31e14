// A Velero restore: recreate the selected objects from a backup in the bucket, in Velero's
// order (namespaces and volumes before the pods that use them). An object that already exists
// is never overwritten (pkg/restore/restore.go restoreItem): skipped quietly when it is the same
// as the backed-up one, merged for ServiceAccounts, and otherwise skipped with a warning (or
// patched when the Restore asks for existingResourcePolicy: update).
import type { BackupItem, RestoreResults, VeleroBucket, VeleroResult } from '../../bucket.js';
import { StoreError, type KubeObject, type ObjectStore } from '../store-api.js';
import { findKind, type ResourceKind } from './resource-kinds.js';
import { nameSuffix, rfc3339 } from './util.js';
import { clusterScoped, labelsMatch, namespaceFilter, resourceFilter, type Scoping } from './velero-select.js';

export interface RestoreSpec extends Scoping {
  backupName?: string;
  namespaceMapping?: Record<string, string>;
  /** "none" (the default) or "update" */
  existingResourcePolicy?: string | null;
}

export interface RestoreResult {
  totalItems: number;
  itemsRestored: number;
  warnings: string[];
  errors: string[];
  /** the same messages grouped as Velero's results file groups them */
  results: RestoreResults;
  podVolumeRestores: number;
}

/** Result.Add: cluster-scoped messages (namespace "") under cluster, the others under their namespace */
function addTo(r: VeleroResult, namespace: string | undefined, message: string): void {
  if (!namespace) (r.cluster ??= []).push(message);
  else ((r.namespaces ??= {})[namespace] ??= []).push(message);
}

const VELERO_LABELS = ['velero.io/backup-name', 'velero.io/restore-name'];

/**
 * Is the in-cluster object the backed-up one? Velero compares both after dropping status and
 * the server-set metadata (resetMetadataAndStatus), with the restore's labels put on the
 * in-cluster copy. The sandbox compares labels, annotations and everything outside metadata
 * and status (it leaves finalizers and managedFields out of the comparison).
 */
function sameAsBackedUp(live: KubeObject, target: KubeObject): boolean {
  const view = (o: KubeObject, labels: Record<string, string>) => {
    const { metadata, status: _s, ...rest } = o;
    return JSON.stringify(sortKeys({ ...rest, labels, annotations: metadata.annotations ?? {} }));
  };
  const liveLabels = { ...live.metadata.labels };
  for (const l of VELERO_LABELS) if (target.metadata.labels?.[l] !== undefined) liveLabels[l] = target.metadata.labels[l];
  return view(live, liveLabels) === view(target, target.metadata.labels ?? {});
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
}

/**
 * Velero's mergeServiceAccounts (pkg/restore/merge_service_account.go): the in-cluster account
 * keeps what it has and gains the backed-up secrets, image pull secrets, labels and annotations
 * it lacks. Returns undefined when nothing is to be added.
 */
function mergedServiceAccount(live: KubeObject, backedUp: KubeObject): KubeObject | undefined {
  const out = structuredClone(live);
  let changed = false;
  const mergeRefs = (field: 'secrets' | 'imagePullSecrets') => {
    const mine = ((out[field] as { name?: string }[] | undefined) ?? []).slice();
    for (const r of (backedUp[field] as { name?: string }[] | undefined) ?? []) {
      if (!mine.some((m) => m.name === r.name)) {
        mine.push(r);
        changed = true;
      }
    }
    if (mine.length) out[field] = mine;
  };
  mergeRefs('secrets');
  mergeRefs('imagePullSecrets');
  for (const key of ['labels', 'annotations'] as const) {
    const mine = { ...out.metadata[key] };
    for (const [k, v] of Object.entries(backedUp.metadata[key] ?? {})) {
      if (!(k in mine)) {
        mine[k] = v;
        changed = true;
      }
    }
    out.metadata[key] = mine;
  }
  return changed ? out : undefined;
}

/** kinds Velero refuses to restore */
const NOT_RESTORABLE = new Set(['Backup', 'Restore', 'DeleteBackupRequest', 'BackupRepository', 'Event', 'Node']);

/** Velero restores these first, in this order; everything else follows */
const PRIORITY = ['CustomResourceDefinition', 'Namespace', 'StorageClass', 'PersistentVolume', 'PersistentVolumeClaim', 'Secret', 'ConfigMap', 'ServiceAccount', 'LimitRange', 'Pod', 'ReplicaSet'];
const rank = (kind: string) => {
  const i = PRIORITY.indexOf(kind);
  return i < 0 ? PRIORITY.length : i;
};

export function selectRestoreItems(
  items: BackupItem[],
  objectOf: (i: BackupItem) => KubeObject,
  kinds: ResourceKind[],
  spec: RestoreSpec,
): { selected: { item: BackupItem; kind?: ResourceKind; object: KubeObject }[] } {
  const nsOk = namespaceFilter(spec);
  const kindOk = resourceFilter(spec);
  const selected: { item: BackupItem; kind?: ResourceKind; object: KubeObject }[] = [];
  for (const item of items) {
    if (NOT_RESTORABLE.has(item.kind)) continue;
    const kind = findKind(kinds, item.apiVersion, item.kind);
    // a kind this cluster does not serve is still selected (by name) so that it counts as an error
    const pseudo: ResourceKind = kind ?? {
      apiVersion: item.apiVersion,
      group: item.resource.includes('.') ? item.resource.slice(item.resource.indexOf('.') + 1) : '',
      kind: item.kind,
      plural: item.resource.split('.')[0],
      singular: item.kind.toLowerCase(),
      shortNames: [],
      namespaced: item.namespace !== undefined,
    };
    if (!kindOk(pseudo)) continue;
    const object = objectOf(item);
    if (item.kind === 'Namespace' && pseudo.group === '') {
      if (!nsOk(item.name)) continue;
    } else if (item.namespace !== undefined) {
      if (!nsOk(item.namespace) || !labelsMatch(spec, object)) continue;
    } else if (!clusterScoped(spec, pseudo, object, nsOk) || (item.kind !== 'PersistentVolume' && !labelsMatch(spec, object))) {
      continue;
    }
    selected.push({ item, kind, object });
  }
  selected.sort((a, b) => rank(a.item.kind) - rank(b.item.kind));
  return { selected };
}

/** what Velero keeps of an object's metadata when it recreates it */
function forRestore(obj: KubeObject, backupName: string, restoreName: string, mapNs: (ns: string) => string): KubeObject {
  const m = obj.metadata;
  const metadata: KubeObject['metadata'] = { name: m.name };
  if (m.namespace !== undefined) metadata.namespace = mapNs(m.namespace);
  if (m.generateName) metadata.generateName = m.generateName;
  metadata.labels = { ...m.labels, 'velero.io/backup-name': backupName, 'velero.io/restore-name': restoreName };
  if (m.annotations) metadata.annotations = { ...m.annotations };
  const out: KubeObject = { ...structuredClone(obj), metadata };
  delete out.status;
  if (obj.kind === 'Namespace' && obj.apiVersion === 'v1') metadata.name = mapNs(m.name);
  if (obj.kind === 'PersistentVolume' && obj.apiVersion === 'v1') {
    // the claim is recreated with a new uid; the binding is re-established by name
    const claimRef = (out.spec as { claimRef?: Record<string, unknown> } | undefined)?.claimRef;
    if (claimRef) {
      delete claimRef.uid;
      delete claimRef.resourceVersion;
      if (typeof claimRef.namespace === 'string') claimRef.namespace = mapNs(claimRef.namespace);
    }
  }
  if (obj.kind === 'Pod' && obj.apiVersion === 'v1') {
    // a restored pod is scheduled anew
    delete (out.spec as Record<string, unknown> | undefined)?.nodeName;
  }
  return out;
}

export interface RestoreContext {
  store: ObjectStore;
  bucket: VeleroBucket;
  kinds: ResourceKind[];
  restore: KubeObject;
  veleroNamespace: string;
}

export function runRestore(ctx: RestoreContext, selected: { item: BackupItem; kind?: ResourceKind; object: KubeObject }[]): RestoreResult {
  const spec = (ctx.restore.spec ?? {}) as RestoreSpec;
  const backupName = spec.backupName ?? '';
  const restoreName = ctx.restore.metadata.name;
  const mapping = spec.namespaceMapping ?? {};
  const mapNs = (ns: string) => mapping[ns] ?? ns;
  const results: RestoreResults = { warnings: {}, errors: {} };
  const result: RestoreResult = { totalItems: selected.length, itemsRestored: 0, warnings: [], errors: [], results, podVolumeRestores: 0 };
  const warn = (namespace: string | undefined, message: string) => {
    result.warnings.push(message);
    addTo(results.warnings, namespace, message);
  };
  const fail = (namespace: string | undefined, message: string) => {
    result.errors.push(message);
    addTo(results.errors, namespace, message);
  };
  const backedUpNamespaces = new Map(
    ctx.bucket
      .objects(backupName)
      .filter((o) => o.item.kind === 'Namespace' && o.item.apiVersion === 'v1')
      .map((o) => [o.item.name, o.object]),
  );
  const pvbs = ctx.bucket.podVolumeBackups(backupName);

  const ensureNamespace = (ns: string, original: string) => {
    if (ctx.store.get('v1', 'Namespace', ns)) return;
    const from = backedUpNamespaces.get(original);
    const obj = from ? forRestore(from, backupName, restoreName, mapNs) : { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } };
    try {
      ctx.store.create(obj);
    } catch (e) {
      if (!(e instanceof StoreError && e.code === 409)) throw e;
    }
  };

  /** the object is there already: never overwritten, only skipped, merged or (policy update) patched */
  const existing = (target: KubeObject, backedUp: KubeObject, namespace: string | undefined) => {
    const m = target.metadata;
    const live = ctx.store.get(target.apiVersion, target.kind, m.name, m.namespace);
    if (!live) {
      warn(namespace, `could not restore, ${target.kind} "${m.name}" already exists but could not be read back`);
      return;
    }
    if (sameAsBackedUp(live, target)) return; // "skipped: it already exists in the cluster and is the same as the backed up version"
    if (target.kind === 'ServiceAccount' && target.apiVersion === 'v1') {
      const merged = mergedServiceAccount(live, backedUp);
      if (!merged) return;
      try {
        ctx.store.update(merged);
      } catch (e) {
        warn(namespace, `${e instanceof Error ? e.message : String(e)}`);
      }
      return;
    }
    const policy = spec.existingResourcePolicy;
    if (policy === 'update') {
      const patched = structuredClone(live);
      patched.metadata.labels = { ...live.metadata.labels, ...target.metadata.labels };
      patched.metadata.annotations = { ...live.metadata.annotations, ...target.metadata.annotations };
      for (const [k, v] of Object.entries(target)) if (k !== 'metadata' && k !== 'status' && k !== 'apiVersion' && k !== 'kind') patched[k] = structuredClone(v);
      try {
        ctx.store.update(patched);
      } catch (e) {
        warn(namespace, `could not restore, ${target.kind} "${m.name}" already exists and could not be updated: ${e instanceof Error ? e.message : String(e)}`);
      }
      return;
    }
    // the messages of pkg/restore/restore.go, with and without an explicit policy "none"
    warn(
      namespace,
      policy === 'none'
        ? `could not restore, ${target.kind} "${m.name}" already exists. Warning: the in-cluster version is different than the backed-up version`
        : `could not restore, ${target.kind}:${m.name} already exists. Warning: the in-cluster version is different than the backed-up version`,
    );
  };

  for (const { item, kind, object } of selected) {
    const what = `${item.resource} ${item.namespace ? item.namespace + '/' : ''}${item.name}`;
    const namespace = item.namespace !== undefined ? mapNs(item.namespace) : undefined;
    if (!kind) {
      fail(namespace, `${what}: the cluster has no resource type ${item.resource}`);
      continue;
    }
    const target = forRestore(object, backupName, restoreName, mapNs);
    try {
      if (item.namespace !== undefined) ensureNamespace(mapNs(item.namespace), item.namespace);
      const created = ctx.store.create(target);
      result.itemsRestored++;
      if (item.kind === 'Pod' && item.apiVersion === 'v1') {
        result.podVolumeRestores += restorePodVolumes(ctx, object, created, pvbs, restoreName);
      }
    } catch (e) {
      if (e instanceof StoreError && e.code === 409) {
        // Velero counts a skipped item as processed (progress.itemsRestored)
        result.itemsRestored++;
        existing(target, object, namespace);
      } else {
        fail(namespace, `error restoring ${what}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  return result;
}

/** one PodVolumeRestore per file-system-backed-up volume of the original pod */
function restorePodVolumes(ctx: RestoreContext, original: KubeObject, created: KubeObject, pvbs: KubeObject[], restoreName: string): number {
  const mine = pvbs.filter((p) => {
    const spec = p.spec as { pod?: { uid?: string; name?: string; namespace?: string } };
    const status = p.status as { phase?: string } | undefined;
    if (status?.phase !== 'Completed') return false;
    return original.metadata.uid ? spec.pod?.uid === original.metadata.uid : spec.pod?.name === original.metadata.name && spec.pod?.namespace === original.metadata.namespace;
  });
  for (const pvb of mine) {
    const spec = pvb.spec as { volume: string; backupStorageLocation: string; repoIdentifier: string; uploaderType?: string; pod: { namespace: string } };
    const status = pvb.status as { snapshotID?: string; progress?: { totalBytes?: number } };
    const now = rfc3339();
    const total = status.progress?.totalBytes ?? 0;
    ctx.store.create({
      apiVersion: 'velero.io/v1',
      kind: 'PodVolumeRestore',
      metadata: {
        name: `${restoreName}-${nameSuffix()}`,
        namespace: ctx.veleroNamespace,
        labels: {
          'velero.io/restore-name': restoreName,
          'velero.io/restore-uid': ctx.restore.metadata.uid ?? '',
          'velero.io/pod-uid': created.metadata.uid ?? '',
        },
        ownerReferences: [{ apiVersion: 'velero.io/v1', kind: 'Restore', name: restoreName, uid: ctx.restore.metadata.uid ?? '', controller: true }],
      },
      spec: {
        pod: { kind: 'Pod', namespace: created.metadata.namespace, name: created.metadata.name, uid: created.metadata.uid ?? '' },
        volume: spec.volume,
        backupStorageLocation: spec.backupStorageLocation,
        repoIdentifier: spec.repoIdentifier,
        uploaderType: spec.uploaderType ?? 'kopia',
        snapshotID: status.snapshotID ?? '',
        sourceNamespace: spec.pod.namespace,
      },
      status: { phase: 'Completed', startTimestamp: now, completionTimestamp: now, progress: { totalBytes: total, bytesDone: total } },
    });
  }
  return mine.length;
}
