// The kinds a sandbox cluster knows: a fixed set of built-in kinds plus whatever
// CustomResourceDefinitions have been created. The store keys its maps by `group/kind`
// (all versions of a kind share one storage, as in Kubernetes); the HTTP layer looks kinds
// up by group/version/plural.

export interface KindInfo {
  /** '' for the legacy core group */
  group: string;
  /** served versions, preferred (storage) first */
  versions: string[];
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  verbs: string[];
  builtin: boolean;
  /** PUT/PATCH .../status only changes status, and the main endpoint ignores status changes */
  statusSubresource: boolean;
  /** openAPIV3Schema per version (custom resources only) */
  schemas: Map<string, Record<string, unknown>>;
  /** additionalPrinterColumns per version (custom resources only), for `kubectl get` tables */
  printerColumns?: Map<string, PrinterColumn[]>;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

/** the parts of a CustomResourceDefinition (apiextensions.k8s.io/v1) that registerCrd reads; the
 *  fields it checks itself are `unknown` until checked */
export interface CrdInput {
  metadata?: { name?: string };
  spec?: {
    group?: unknown;
    scope?: unknown;
    names?: { kind?: unknown; plural?: unknown; listKind?: string; singular?: string; shortNames?: string[]; categories?: string[] };
    versions?: (CrdVersion | null | undefined)[];
  };
}

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: Record<string, unknown> };
  additionalPrinterColumns?: PrinterColumn[];
  subresources?: { status?: unknown };
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** the built-in kinds with a /scale subresource (autoscaling/v1 Scale), as `kubectl scale` uses it */
export function hasScale(info: KindInfo): boolean {
  return info.builtin && info.group === 'apps' && ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(info.kind);
}

export function kindKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}

/** "apps/v1" -> { group: "apps", version: "v1" }; "v1" -> { group: "", version: "v1" } */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export function joinApiVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

type BuiltinSpec = [group: string, version: string, kind: string, plural: string, namespaced: boolean, shortNames: string[], verbs?: string[]];

/** the kinds `kubectl get all` shows */
const CATEGORY_ALL = new Set(['pods', 'services', 'deployments', 'statefulsets', 'daemonsets', 'replicasets']);

const BUILTINS: BuiltinSpec[] = [
  ['', 'v1', 'Namespace', 'namespaces', false, ['ns']],
  ['', 'v1', 'Pod', 'pods', true, ['po']],
  ['', 'v1', 'PersistentVolume', 'persistentvolumes', false, ['pv']],
  ['', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc']],
  ['', 'v1', 'ConfigMap', 'configmaps', true, ['cm']],
  ['', 'v1', 'Service', 'services', true, ['svc']],
  ['', 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa']],
  ['', 'v1', 'Secret', 'secrets', true, []],
  ['', 'v1', 'Node', 'nodes', false, ['no']],
  ['', 'v1', 'Event', 'events', true, ['ev']],
  ['apps', 'v1', 'Deployment', 'deployments', true, ['deploy']],
  ['apps', 'v1', 'StatefulSet', 'statefulsets', true, ['sts']],
  ['apps', 'v1', 'DaemonSet', 'daemonsets', true, ['ds']],
  ['apps', 'v1', 'ReplicaSet', 'replicasets', true, ['rs']],
  ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, ['crd', 'crds']],
  ['networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, ['ing']],
  ['storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, ['sc']],
  // `kubectl auth can-i` asks this; it is answered, never stored (server.ts)
  ['authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, [], ['create']],
];

export class KindRegistry {
  private byKind = new Map<string, KindInfo>();
  private byPlural = new Map<string, KindInfo>();

  constructor() {
    for (const [group, version, kind, plural, namespaced, shortNames, verbs] of BUILTINS) {
      this.add({
        group,
        versions: [version],
        kind,
        listKind: `${kind}List`,
        plural,
        singular: kind.toLowerCase(),
        shortNames,
        categories: CATEGORY_ALL.has(plural) ? ['all'] : [],
        namespaced,
        verbs: verbs ?? ALL_VERBS,
        builtin: true,
        statusSubresource: false,
        schemas: new Map(),
      });
    }
  }

  private add(info: KindInfo): void {
    this.byKind.set(kindKey(info.group, info.kind), info);
    for (const v of info.versions) this.byPlural.set(`${info.group}/${v}/${info.plural}`, info);
  }

  remove(group: string, kind: string): KindInfo | undefined {
    const info = this.byKind.get(kindKey(group, kind));
    if (!info || info.builtin) return undefined;
    this.byKind.delete(kindKey(group, kind));
    for (const v of info.versions) this.byPlural.delete(`${group}/${v}/${info.plural}`);
    return info;
  }

  /** by apiVersion + kind; undefined when that version is not served */
  lookup(apiVersion: string, kind: string): KindInfo | undefined {
    const { group, version } = splitApiVersion(apiVersion);
    const info = this.byKind.get(kindKey(group, kind));
    return info && info.versions.includes(version) ? info : undefined;
  }

  byGroupKind(group: string, kind: string): KindInfo | undefined {
    return this.byKind.get(kindKey(group, kind));
  }

  byResource(group: string, version: string, plural: string): KindInfo | undefined {
    return this.byPlural.get(`${group}/${version}/${plural}`);
  }

  all(): KindInfo[] {
    return [...this.byKind.values()];
  }

  /** group -> versions served (preferred first), core group under '' */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const info of this.byKind.values()) {
      const vs = out.get(info.group) ?? [];
      for (const v of info.versions) if (!vs.includes(v)) vs.push(v);
      out.set(info.group, vs);
    }
    return out;
  }

  inGroupVersion(group: string, version: string): KindInfo[] {
    return this.all().filter((k) => k.group === group && k.versions.includes(version));
  }

  /**
   * Registers (or re-registers) the kind a CustomResourceDefinition describes. Throws a
   * message when the CRD is malformed; the store turns it into 422 Invalid.
   */
  registerCrd(crd: CrdInput): KindInfo {
    const spec = crd.spec ?? {};
    const names = spec.names ?? {};
    const problems: string[] = [];
    const group = typeof spec.group === 'string' ? spec.group : '';
    const kind = typeof names.kind === 'string' ? names.kind : '';
    const plural = typeof names.plural === 'string' ? names.plural : '';
    if (!group) problems.push('spec.group: Required value');
    if (!kind) problems.push('spec.names.kind: Required value');
    if (!plural) problems.push('spec.names.plural: Required value');
    if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') problems.push('spec.scope: Unsupported value: must be Namespaced or Cluster');
    const versions: CrdVersion[] = Array.isArray(spec.versions) ? spec.versions.filter((v): v is CrdVersion => Boolean(v) && v?.served !== false) : [];
    if (versions.length === 0) problems.push('spec.versions: Required value: at least one served version');
    if (problems.length) throw new Error(problems.join('; '));
    const expected = `${plural}.${group}`;
    if (crd.metadata?.name !== expected) throw new Error(`metadata.name: Invalid value: must be spec.names.plural+"."+spec.group (${expected})`);
    // the storage version first, so that it is the preferred version in discovery
    versions.sort((a, b) => Number(Boolean(b.storage)) - Number(Boolean(a.storage)));
    const schemas = new Map<string, Record<string, unknown>>();
    for (const v of versions) if (v.schema?.openAPIV3Schema) schemas.set(v.name, v.schema.openAPIV3Schema);
    const printerColumns = new Map<string, PrinterColumn[]>();
    for (const v of versions) if (Array.isArray(v.additionalPrinterColumns)) printerColumns.set(v.name, v.additionalPrinterColumns);
    const old = this.byKind.get(kindKey(group, kind));
    if (old?.builtin) throw new Error(`spec.names.kind: Invalid value: ${kind} is a built-in kind of group "${group}"`);
    if (old) this.remove(group, kind);
    const info: KindInfo = {
      group,
      versions: versions.map((v) => String(v.name)),
      kind,
      listKind: names.listKind ?? `${kind}List`,
      plural,
      singular: names.singular ?? kind.toLowerCase(),
      shortNames: Array.isArray(names.shortNames) ? names.shortNames : [],
      categories: Array.isArray(names.categories) ? names.categories : [],
      namespaced: spec.scope === 'Namespaced',
      verbs: ALL_VERBS,
      builtin: false,
      statusSubresource: versions.some((v) => v.subresources?.status !== undefined),
      schemas,
      printerColumns,
    };
    this.add(info);
    return info;
  }
}
