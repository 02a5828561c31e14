// Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for
// (Accept: application/json;as=Table;v=v1;g=meta.k8s.io), so that it shows the columns a real
// cluster shows. Sources: the built-in printers of kubernetes/kubernetes
// pkg/printers/internalversion/printers.go (columns and cell values per kind), the CRD table
// convertor of apiextensions-apiserver pkg/registry/customresource/tableconvertor (Name plus
// additionalPrinterColumns, or Name and Age when a CRD declares none), and
// apimachinery pkg/util/duration HumanDuration for ages.
import { JSONPath } from 'jsonpath-plus';
import type { KindInfo, PrinterColumn } from './kinds.js';
import type { KubeObject } from './store-api.js';

interface Column {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  cell: (o: Printed, now: number) => unknown;
}

interface Container { name?: string; image?: string }
interface ContainerStatus {
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number } };
}

/** the fields of the built-in kinds that the printers read (the store's objects are schema-checked, so
 *  each field present has the type its kind's schema gives it); every field is optional: a printer
 *  reads only its own kind's */
interface Printed {
  metadata?: { name?: string; creationTimestamp?: string; deletionTimestamp?: string; labels?: Record<string, string> };
  type?: string;
  data?: Record<string, unknown>;
  binaryData?: Record<string, unknown>;
  secrets?: unknown[];
  spec?: {
    containers?: Container[];
    readinessGates?: unknown[];
    nodeName?: string;
    type?: string;
    clusterIP?: string;
    externalIPs?: string[];
    ports?: { port?: number; nodePort?: number; protocol?: string }[];
    /** a Service's selector is a label map, a Deployment's a LabelSelector */
    selector?: { matchLabels?: Record<string, string>; [label: string]: unknown };
    replicas?: number;
    template?: { spec?: { containers?: Container[]; nodeSelector?: Record<string, string> } };
    volumeName?: string;
    capacity?: { storage?: string };
    accessModes?: string[];
    storageClassName?: string;
    persistentVolumeReclaimPolicy?: string;
    claimRef?: { namespace?: string; name?: string };
  };
  status?: {
    reason?: string;
    phase?: string;
    podIP?: string;
    nominatedNodeName?: string;
    initContainerStatuses?: ContainerStatus[];
    containerStatuses?: ContainerStatus[];
    loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] };
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    replicas?: number;
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    numberReady?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    conditions?: { type?: string; status?: string }[];
    nodeInfo?: { kubeletVersion?: string };
    accessModes?: string[];
    capacity?: { storage?: string };
  };
}

/** the Accept header asks for a Table (kubectl get) */
export function wantsTable(accept: string): boolean {
  return /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** apimachinery duration.HumanDuration */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  if (h < 24 * 365 * 8) {
    const d = Math.floor(h / 24) % 365;
    return d === 0 ? `${Math.floor(h / 24 / 365)}y` : `${Math.floor(h / 24 / 365)}y${d}d`;
  }
  return `${Math.floor(h / 24 / 365)}y`;
}

const since = (t: unknown, now: number) => (typeof t === 'string' && t ? humanDuration(now - Date.parse(t)) : '<unknown>');

const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', cell: (o) => o.metadata?.name };
const AGE: Column = { name: 'Age', type: 'string', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', cell: (o, now) => since(o.metadata?.creationTimestamp, now) };
const col = (name: string, type: string, cell: Column['cell'], priority = 0): Column => ({ name, type, cell, ...(priority ? { priority } : {}) });
const list = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);
const orNone = (v: unknown) => (v === undefined || v === null || v === '' ? '<none>' : v);

/** printers.go printPod: READY counts ready containers, STATUS the most telling reason */
function podStatus(o: Printed): string {
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  let reason = o.status?.reason ?? o.status?.phase ?? 'Pending';
  for (const c of list(o.status?.initContainerStatuses)) {
    if (c.state?.terminated?.exitCode === 0) continue;
    if (c.state?.terminated) return `Init:${c.state.terminated.reason ?? `ExitCode:${c.state.terminated.exitCode}`}`;
    if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') return `Init:${c.state.waiting.reason}`;
  }
  for (const c of [...list(o.status?.containerStatuses)].reverse()) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
  }
  return reason;
}

const podColumns: Column[] = [
  NAME,
  col('Ready', 'string', (o) => `${list(o.status?.containerStatuses).filter((c) => c.ready).length}/${list(o.spec?.containers).length}`),
  col('Status', 'string', podStatus),
  col('Restarts', 'string', (o) => String(list(o.status?.containerStatuses).reduce((n, c) => n + (c.restartCount ?? 0), 0))),
  AGE,
  col('IP', 'string', (o) => orNone(o.status?.podIP), 1),
  col('Node', 'string', (o) => orNone(o.spec?.nodeName), 1),
  col('Nominated Node', 'string', (o) => orNone(o.status?.nominatedNodeName), 1),
  col('Readiness Gates', 'string', (o) => (list(o.spec?.readinessGates).length ? `${list(o.spec?.readinessGates).length}` : '<none>'), 1),
];

const ready = (a: number | undefined, b: number | undefined) => `${a ?? 0}/${b ?? 0}`;
const images = (o: Printed) => list(o.spec?.template?.spec?.containers);

/** printers.go columns of the built-in kinds the sandbox serves, by `group/Kind` */
const BUILTIN: Record<string, Column[]> = {
  '/Pod': podColumns,
  '/Namespace': [NAME, col('Status', 'string', (o) => o.status?.phase ?? ''), AGE],
  '/ConfigMap': [NAME, col('Data', 'integer', (o) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length), AGE],
  '/Secret': [NAME, col('Type', 'string', (o) => o.type ?? 'Opaque'), col('Data', 'integer', (o) => Object.keys(o.data ?? {}).length), AGE],
  '/ServiceAccount': [NAME, col('Secrets', 'integer', (o) => list(o.secrets).length), AGE],
  '/Service': [
    NAME,
    col('Type', 'string', (o) => o.spec?.type ?? 'ClusterIP'),
    col('Cluster-IP', 'string', (o) => orNone(o.spec?.clusterIP)),
    col('External-IP', 'string', (o) => orNone(list(o.status?.loadBalancer?.ingress).map((i) => i.ip ?? i.hostname).join(',') || list(o.spec?.externalIPs).join(','))),
    col('Port(s)', 'string', (o) => orNone(list(o.spec?.ports).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(','))),
    AGE,
    col('Selector', 'string', (o) => orNone(Object.entries(o.spec?.selector ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(',')), 1),
  ],
  'apps/Deployment': [
    NAME,
    col('Ready', 'string', (o) => ready(o.status?.readyReplicas, o.spec?.replicas ?? 1)),
    col('Up-to-date', 'integer', (o) => o.status?.updatedReplicas ?? 0),
    col('Available', 'integer', (o) => o.status?.availableReplicas ?? 0),
    AGE,
    col('Containers', 'string', (o) => images(o).map((c) => c.name).join(','), 1),
    col('Images', 'string', (o) => images(o).map((c) => c.image).join(','), 1),
    col('Selector', 'string', (o) => orNone(Object.entries(o.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(',')), 1),
  ],
  'apps/StatefulSet': [
    NAME,
    col('Ready', 'string', (o) => ready(o.status?.readyReplicas, o.spec?.replicas ?? 1)),
    AGE,
    col('Containers', 'string', (o) => images(o).map((c) => c.name).join(','), 1),
    col('Images', 'string', (o) => images(o).map((c) => c.image).join(','), 1),
  ],
  'apps/ReplicaSet': [
    NAME,
    col('Desired', 'integer', (o) => o.spec?.replicas ?? 1),
    col('Current', 'integer', (o) => o.status?.replicas ?? 0),
    col('Ready', 'integer', (o) => o.status?.readyReplicas ?? 0),
    AGE,
  ],
  'apps/DaemonSet': [
    NAME,
    col('Desired', 'integer', (o) => o.status?.desiredNumberScheduled ?? 0),
    col('Current', 'integer', (o) => o.status?.currentNumberScheduled ?? 0),
    col('Ready', 'integer', (o) => o.status?.numberReady ?? 0),
    col('Up-to-date', 'integer', (o) => o.status?.updatedNumberScheduled ?? 0),
    col('Available', 'integer', (o) => o.status?.numberAvailable ?? 0),
    col('Node Selector', 'string', (o) => orNone(Object.entries(o.spec?.template?.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(','))),
    AGE,
  ],
  '/Node': [
    NAME,
    col('Status', 'string', (o) => (list(o.status?.conditions).find((c) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'NotReady')),
    col('Roles', 'string', (o) => orNone(Object.keys(o.metadata?.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice(24)).join(','))),
    AGE,
    col('Version', 'string', (o) => o.status?.nodeInfo?.kubeletVersion ?? ''),
  ],
  '/PersistentVolumeClaim': [
    NAME,
    col('Status', 'string', (o) => (o.metadata?.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? 'Pending'))),
    col('Volume', 'string', (o) => o.spec?.volumeName ?? ''),
    col('Capacity', 'string', (o) => o.status?.capacity?.storage ?? ''),
    col('Access Modes', 'string', (o) => list(o.status?.accessModes ?? o.spec?.accessModes).map((m) => ({ ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' })[m] ?? m).join(',')),
    col('StorageClass', 'string', (o) => orNone(o.spec?.storageClassName)),
    AGE,
  ],
  '/PersistentVolume': [
    NAME,
    col('Capacity', 'string', (o) => o.spec?.capacity?.storage ?? ''),
    col('Reclaim Policy', 'string', (o) => o.spec?.persistentVolumeReclaimPolicy ?? 'Retain'),
    col('Status', 'string', (o) => o.status?.phase ?? 'Pending'),
    col('Claim', 'string', (o) => (o.spec?.claimRef ? `${o.spec.claimRef.namespace}/${o.spec.claimRef.name}` : '')),
    col('StorageClass', 'string', (o) => o.spec?.storageClassName ?? ''),
    AGE,
  ],
  'apiextensions.k8s.io/CustomResourceDefinition': [NAME, col('Created At', 'date', (o) => o.metadata?.creationTimestamp)],
};

/** a CRD column's cell: its JSONPath's first result, dates shown as ages */
function crdColumn(c: PrinterColumn): Column {
  return {
    name: c.name,
    type: c.type,
    ...(c.format ? { format: c.format } : {}),
    ...(c.description ? { description: c.description } : {}),
    ...(c.priority ? { priority: c.priority } : {}),
    cell: (o, now) => {
      let v: unknown;
      try {
        v = JSONPath<unknown[]>({ path: `$${c.jsonPath}`, json: o, wrap: true })[0];
      } catch {
        v = undefined;
      }
      if (v === undefined || v === null) return null;
      if (c.type === 'date') return since(v, now);
      return typeof v === 'object' ? JSON.stringify(v) : v;
    },
  };
}

function columnsOf(info: KindInfo, version: string): Column[] {
  if (info.builtin) return BUILTIN[`${info.group}/${info.kind}`] ?? [NAME, AGE];
  const declared = info.printerColumns?.get(version);
  return declared?.length ? [NAME, ...declared.map(crdColumn)] : [NAME, AGE];
}

/** a list answer as a Table; includeObject None | Metadata (default) | Object */
export function toTable(info: KindInfo, version: string, listMeta: Record<string, unknown>, items: KubeObject[], includeObject: string | null): Record<string, unknown> {
  const columns = columnsOf(info, version);
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map(({ cell: _c, ...d }) => ({ description: '', format: '', priority: 0, ...d })),
    rows: items.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      ...(includeObject === 'None'
        ? {}
        : { object: includeObject === 'Object' ? o : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } }),
    })),
  };
}
