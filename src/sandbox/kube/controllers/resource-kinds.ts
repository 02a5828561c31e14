// What the emulated controllers need to know about kinds: plural names (Velero's resource
// filters use them), scope, and the apiVersion to list them with. The store interface has no
// discovery, so built-in kinds come from this table and custom kinds from the CRDs in the store.
import type { KubeObject, ObjectStore } from '../store-api.js';

export interface ResourceKind {
  apiVersion: string;
  group: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
}

const builtin = (apiVersion: string, kind: string, plural: string, namespaced: boolean, shortNames: string[] = []): ResourceKind => ({
  apiVersion,
  group: apiVersion.includes('/') ? apiVersion.split('/')[0] : '',
  kind,
  plural,
  singular: kind.toLowerCase(),
  shortNames,
  namespaced,
});

/** the built-in kinds the sandbox clusters hold */
export const BUILTIN_KINDS: ResourceKind[] = [
  builtin('v1', 'Namespace', 'namespaces', false, ['ns']),
  builtin('v1', 'PersistentVolume', 'persistentvolumes', false, ['pv']),
  builtin('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc']),
  builtin('v1', 'Pod', 'pods', true, ['po']),
  builtin('v1', 'ServiceAccount', 'serviceaccounts', true, ['sa']),
  builtin('v1', 'ConfigMap', 'configmaps', true, ['cm']),
  builtin('v1', 'Secret', 'secrets', true),
  builtin('v1', 'Service', 'services', true, ['svc']),
  builtin('apps/v1', 'Deployment', 'deployments', true, ['deploy']),
  builtin('apps/v1', 'StatefulSet', 'statefulsets', true, ['sts']),
  builtin('apps/v1', 'DaemonSet', 'daemonsets', true, ['ds']),
  builtin('networking.k8s.io/v1', 'Ingress', 'ingresses', true, ['ing']),
  builtin('storage.k8s.io/v1', 'StorageClass', 'storageclasses', false, ['sc']),
  builtin('apps/v1', 'ReplicaSet', 'replicasets', true, ['rs']),
  builtin('v1', 'Node', 'nodes', false, ['no']),
  builtin('v1', 'Event', 'events', true, ['ev']),
  builtin('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, ['crd', 'crds']),
];

const CRD_API = 'apiextensions.k8s.io/v1';

export function kindFromCrd(crd: KubeObject): ResourceKind {
  const spec = crd.spec as {
    group: string;
    scope: string;
    names: { kind: string; plural: string; singular?: string; shortNames?: string[] };
    versions: { name: string; storage?: boolean; served?: boolean }[];
  };
  const version = spec.versions.find((v) => v.storage) ?? spec.versions[0];
  return {
    apiVersion: `${spec.group}/${version.name}`,
    group: spec.group,
    kind: spec.names.kind,
    plural: spec.names.plural,
    singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    shortNames: spec.names.shortNames ?? [],
    namespaced: spec.scope !== 'Cluster',
  };
}

/** built-in kinds plus every custom kind registered in this store */
export function discoverKinds(store: ObjectStore): ResourceKind[] {
  const crds = safeList(store, CRD_API, 'CustomResourceDefinition');
  return [...BUILTIN_KINDS, ...crds.map(kindFromCrd)];
}

/** list that treats a kind the store does not serve as empty */
export function safeList(store: ObjectStore, apiVersion: string, kind: string, namespace?: string, labelSelector?: string): KubeObject[] {
  try {
    return store.list(apiVersion, kind, namespace, labelSelector ? { labelSelector } : undefined);
  } catch {
    return [];
  }
}

/** Velero's name for a kind: the plural, qualified with the group unless it is the core group */
export const resourceName = (k: ResourceKind): string => (k.group ? `${k.plural}.${k.group}` : k.plural);

/**
 * Does a name from a Velero include/exclude list denote this kind? Velero accepts plurals,
 * singulars and short names, optionally qualified by group ("notebooks.kubeflow.org"), and "*".
 */
export function nameMatchesKind(name: string, k: ResourceKind): boolean {
  const n = name.toLowerCase();
  if (n === '*') return true;
  const dot = n.indexOf('.');
  const bare = dot < 0 ? n : n.slice(0, dot);
  const group = dot < 0 ? undefined : n.slice(dot + 1);
  if (group !== undefined && group !== k.group) return false;
  return bare === k.plural || bare === k.singular || k.shortNames.includes(bare);
}

export function findKind(kinds: ResourceKind[], apiVersion: string, kind: string): ResourceKind | undefined {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return kinds.find((k) => k.kind === kind && k.group === group);
}
