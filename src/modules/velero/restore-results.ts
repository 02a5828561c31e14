// A restore's results: Velero keeps its warnings and errors, message by message, in the bucket
// (restores/<name>/restore-<name>-results.gz), and only their counts in Restore.status. A client
// reads the file as `velero restore describe --details` does: only when the counts say there is
// something (pkg/cmd/util/output/restore_describer.go describeRestoreResults), by creating a
// DownloadRequest (target kind RestoreResults), waiting for Velero to write a pre-signed URL in
// its status, and GETting that gzip file (pkg/cmd/util/downloadrequest/downloadrequest.go). Velero
// deletes the request once its expiration passes (10 minutes): until then a read-only check can
// read the same URL again.
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { watchUntil, type KubeClients } from '../kit/index.js';
import { collectionPath, createVelero, getVelero, listVelero, VELERO_API, type VeleroObject } from './api.js';

/** pkg/util/results Result: messages about Velero, cluster-scoped objects, and per namespace */
export interface VeleroResult {
  velero?: string[];
  cluster?: string[];
  namespaces?: Record<string, string[]>;
}

export interface RestoreResults {
  warnings?: VeleroResult;
  errors?: VeleroResult;
}

/** an object Velero did not restore because one of the same name was already in the cluster */
export interface SkippedResource {
  /** "" for a cluster-scoped object */
  namespace: string;
  kind: string;
  name: string;
}

// pkg/restore/restore.go restoreItem, when the in-cluster object differs from the backed-up one:
// `could not restore, Kind:name already exists. ...` (no existingResourcePolicy) and
// `could not restore, Kind "name" already exists. ...` (policy none). An object equal to the
// backed-up one is skipped silently (only the restore's log says so), so it is not listed.
const ALREADY_EXISTS = /^could not restore, ([A-Za-z0-9]+)(?::(\S+)| "([^"]+)") already exists\b/;

export function skippedExisting(results: RestoreResults): SkippedResource[] {
  const w = results.warnings ?? {};
  const out: SkippedResource[] = [];
  const scan = (namespace: string, messages: string[] | undefined) => {
    for (const m of messages ?? []) {
      const hit = ALREADY_EXISTS.exec(m);
      if (hit) out.push({ namespace, kind: hit[1], name: hit[2] ?? hit[3] });
    }
  };
  scan('', w.cluster);
  for (const [ns, messages] of Object.entries(w.namespaces ?? {})) scan(ns, messages);
  return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/** "team-a/ConfigMap/x", "cluster/Profile/y" */
export const skippedLine = (s: SkippedResource): string => `${s.namespace || 'cluster'}/${s.kind}/${s.name}`;

interface DownloadStatus {
  phase?: string;
  downloadURL?: string;
  expiration?: string | null;
}

const statusOf = (d: VeleroObject): DownloadStatus => d.status ?? {};
const targetOf = (d: VeleroObject) => ((d.spec ?? {}) as { target?: { kind?: string; name?: string } }).target ?? {};

/** a URL for the restore's results that is still valid (at least a minute left): one an earlier read asked for */
async function processedRequest(kube: KubeClients, namespace: string, restore: string, signal: AbortSignal): Promise<string | undefined> {
  const all = await listVelero(kube, namespace, 'downloadrequests', undefined, signal);
  const usable = all.filter((d) => {
    const t = targetOf(d);
    const s = statusOf(d);
    return t.kind === 'RestoreResults' && t.name === restore && s.downloadURL && s.expiration && Date.parse(s.expiration) > Date.now() + 60_000;
  });
  return usable.map((d) => statusOf(d).downloadURL!)[0];
}

/** creates a DownloadRequest and waits for Velero to answer it with a URL */
async function requestUrl(kube: KubeClients, namespace: string, restore: string, signal: AbortSignal, timeoutMs: number): Promise<string> {
  // the name the velero CLI gives its requests: <restore>-<uuid>
  const name = `${restore}-${randomUUID()}`.slice(0, 253);
  await createVelero(kube, 'downloadrequests', { apiVersion: VELERO_API, kind: 'DownloadRequest', metadata: { name, namespace }, spec: { target: { kind: 'RestoreResults', name: restore } } }, signal);
  return watchUntil<VeleroObject, string>({
    watch: kube.watch,
    path: collectionPath(namespace, 'downloadrequests'),
    name,
    get: () => getVelero(kube, namespace, 'downloadrequests', name, signal),
    decide: (d) => (d ? statusOf(d).downloadURL : undefined) || undefined,
    signal,
    timeoutMs,
    timeoutMessage: `Velero did not answer DownloadRequest ${namespace}/${name} within ${Math.round(timeoutMs / 1000)} s (is its storage location Available?)`,
  });
}

async function download(url: string, signal: AbortSignal): Promise<RestoreResults> {
  const res = await fetch(url, { signal });
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status === 404) throw new Error('the results file is not in the bucket (404)');
  if (!res.ok) throw new Error(`GET of the results file answered ${res.status}: ${body.toString('utf8').slice(0, 200)}`);
  return JSON.parse(gunzipSync(body).toString('utf8')) as RestoreResults;
}

export interface ReadOptions {
  signal: AbortSignal;
  /** ask Velero for a URL (creates a DownloadRequest); false: only reuse a URL still valid */
  create: boolean;
  timeoutMs?: number;
}

/** the restore's results, or undefined when create is false and no valid URL exists */
export async function readRestoreResults(kube: KubeClients, namespace: string, restore: string, o: ReadOptions): Promise<RestoreResults | undefined> {
  let url = await processedRequest(kube, namespace, restore, o.signal);
  if (!url && !o.create) return undefined;
  url ??= await requestUrl(kube, namespace, restore, o.signal, o.timeoutMs ?? 60_000);
  return download(url, o.signal);
}
