// Discovery documents (/version, /api, /apis, /apis/GROUP, /api/v1, /apis/GROUP/VERSION) and the
// aggregated discovery (apidiscovery.k8s.io/v2) that kubectl 1.32 asks for first. All are built
// from the kind registry on each request, so CRDs show up as soon as they are created.
import type { KindInfo, KindRegistry } from './kinds.js';
import { hasScale, joinApiVersion } from './kinds.js';

export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export function versionInfo(): Record<string, string> {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0-kfup-sandbox',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(name: string, versions: string[]): Record<string, unknown> {
  const vs = versions.map((v) => ({ groupVersion: joinApiVersion(name, v), version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(kinds: KindRegistry): Record<string, unknown> {
  const groups = [...kinds.groups().entries()].filter(([g]) => g !== '').sort(([a], [b]) => a.localeCompare(b));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(([g, vs]) => groupDoc(g, vs)) };
}

export function apiGroup(kinds: KindRegistry, group: string): Record<string, unknown> | undefined {
  const vs = kinds.groups().get(group);
  if (!vs || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(group, vs) };
}

export function apiResourceList(kinds: KindRegistry, group: string, version: string): Record<string, unknown> | undefined {
  const list = kinds.inGroupVersion(group, version);
  if (list.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const k of list.sort((a, b) => a.plural.localeCompare(b.plural))) {
    resources.push({
      name: k.plural,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: k.verbs,
      ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
      ...(k.categories.length ? { categories: k.categories } : {}),
    });
    if (k.statusSubresource) {
      resources.push({ name: `${k.plural}/status`, singularName: '', namespaced: k.namespaced, kind: k.kind, verbs: ['get', 'patch', 'update'] });
    }
    if (hasScale(k)) {
      resources.push({ name: `${k.plural}/scale`, singularName: '', namespaced: k.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: joinApiVersion(group, version), resources };
}

function discoveryResource(k: KindInfo, version: string): Record<string, unknown> {
  const responseKind = { group: k.group, version, kind: k.kind };
  return {
    resource: k.plural,
    responseKind,
    scope: k.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: k.singular,
    verbs: k.verbs,
    ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
    ...(k.categories.length ? { categories: k.categories } : {}),
    ...(k.statusSubresource || hasScale(k)
      ? {
          subresources: [
            ...(k.statusSubresource ? [{ subresource: 'status', responseKind, verbs: ['get', 'patch', 'update'] }] : []),
            ...(hasScale(k) ? [{ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] }] : []),
          ],
        }
      : {}),
  };
}

/** aggregated discovery: `legacy` true for /api (the core group), false for /apis */
export function aggregatedDiscovery(kinds: KindRegistry, legacy: boolean): Record<string, unknown> {
  const items: Record<string, unknown>[] = [];
  const groups = [...kinds.groups().entries()].filter(([g]) => (legacy ? g === '' : g !== '')).sort(([a], [b]) => a.localeCompare(b));
  for (const [group, versions] of groups) {
    items.push({
      metadata: { name: group, creationTimestamp: null },
      versions: versions.map((v) => ({
        version: v,
        resources: kinds
          .inGroupVersion(group, v)
          .sort((a, b) => a.plural.localeCompare(b.plural))
          .map((k) => discoveryResource(k, v)),
        freshness: 'Current',
      })),
    });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
