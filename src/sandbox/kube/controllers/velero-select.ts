// Which objects a Velero Backup or Restore takes: the namespace, resource, cluster-scope and
// label filters both share. Semantics follow Velero's, with one deliberate simplification noted
// at clusterScoped().
import type { KubeObject } from '../store-api.js';
import { nameMatchesKind, type ResourceKind } from './resource-kinds.js';

export interface Scoping {
  includedNamespaces?: string[] | null;
  excludedNamespaces?: string[] | null;
  includedResources?: string[] | null;
  excludedResources?: string[] | null;
  includeClusterResources?: boolean | null;
  labelSelector?: LabelSelector | null;
  orLabelSelectors?: LabelSelector[] | null;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

const globToRegExp = (g: string): RegExp =>
  new RegExp('^' + g.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');

const matchesAny = (patterns: string[], name: string): boolean => patterns.some((p) => globToRegExp(p).test(name));

export function namespaceFilter(s: Scoping): (ns: string) => boolean {
  const inc = s.includedNamespaces ?? [];
  const exc = s.excludedNamespaces ?? [];
  return (ns) => (inc.length === 0 || matchesAny(inc, ns)) && !matchesAny(exc, ns);
}

/** true when the namespace filter takes every namespace (then cluster-scoped objects follow by default) */
export const allNamespaces = (s: Scoping): boolean =>
  ((s.includedNamespaces ?? []).length === 0 || (s.includedNamespaces ?? []).includes('*')) && (s.excludedNamespaces ?? []).length === 0;

export function resourceFilter(s: Scoping): (k: ResourceKind) => boolean {
  const inc = s.includedResources ?? [];
  const exc = s.excludedResources ?? [];
  return (k) => (inc.length === 0 || inc.some((n) => nameMatchesKind(n, k))) && !exc.some((n) => nameMatchesKind(n, k));
}

/** was this kind named explicitly (not through "*" or an empty list)? */
export const explicitlyIncluded = (s: Scoping, k: ResourceKind): boolean =>
  (s.includedResources ?? []).some((n) => n !== '*' && nameMatchesKind(n, k));

export function selectorMatches(sel: LabelSelector, labels: Record<string, string> = {}): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[e.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export function labelsMatch(s: Scoping, obj: KubeObject): boolean {
  const labels = obj.metadata.labels ?? {};
  if (s.labelSelector && !selectorMatches(s.labelSelector, labels)) return false;
  if (s.orLabelSelectors?.length && !s.orLabelSelectors.some((sel) => selectorMatches(sel, labels))) return false;
  return true;
}

/**
 * Does a cluster-scoped object (other than a Namespace) go along?
 *  - includeClusterResources false: never.
 *  - every namespace selected: always (unless explicitly false).
 *  - namespaces filtered, includeClusterResources unset: only PersistentVolumes bound to a claim
 *    in a selected namespace (Velero's PVC action pulls them in).
 *  - namespaces filtered, includeClusterResources true: those PVs, and Profiles whose namespace
 *    is selected. Velero would take every cluster-scoped object here, every Profile included;
 *    the sandbox keeps the ones that belong to the selected namespaces so that a restore of
 *    some profiles does not bring back all of them. Other cluster-scoped kinds are all taken.
 */
export function clusterScoped(s: Scoping, k: ResourceKind, obj: KubeObject, nsOk: (ns: string) => boolean): boolean {
  if (s.includeClusterResources === false) return false;
  if (allNamespaces(s)) return true;
  if (k.kind === 'PersistentVolume') {
    const claimNs = (obj.spec as { claimRef?: { namespace?: string } } | undefined)?.claimRef?.namespace;
    return claimNs !== undefined && nsOk(claimNs);
  }
  if (s.includeClusterResources !== true) return false;
  if (k.kind === 'Profile' && k.group === 'kubeflow.org') return nsOk(obj.metadata.name);
  return true;
}

/** the checks Velero's validation makes on the scoping fields */
export function validateScoping(s: Scoping): string[] {
  const errors: string[] = [];
  const overlap = (a: string[] | null | undefined, b: string[] | null | undefined) => (a ?? []).filter((x) => (b ?? []).includes(x));
  for (const x of overlap(s.includedNamespaces, s.excludedNamespaces)) {
    errors.push(`namespace ${x} is both included and excluded`);
  }
  for (const x of overlap(s.includedResources, s.excludedResources)) {
    errors.push(`resource ${x} is both included and excluded`);
  }
  if ((s.excludedResources ?? []).includes('*')) errors.push('excludedResources may not hold "*"');
  return errors;
}
