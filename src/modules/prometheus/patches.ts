// The objects prometheus-scrape patches: where each patch comes from (a file, a template, inline),
// which object it applies to, and the typed client calls for the kinds a strategic merge patch
// can target.
import { existsSync, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { isJsonObject as isObj, packagePath, plainJson as plain, renderString, TaskError, type JsonObject, type KubeClients, type TaskContext } from '../kit/index.js';
import type { PrometheusScrapeParams } from '../generated/prometheus-scrape.js';

/** one entry of `patches` (the schema's default: the two notebook-controller templates) */
export type PatchSpec = PrometheusScrapeParams['patches'][number];

export interface ResolvedPatch {
  kind: Kind;
  namespace: string;
  name: string;
  patch: JsonObject;
  /** where it came from, for messages */
  source: string;
}

/** a template's values when the entry's vars leave them out (per value, so not a schema default) */
export const DEFAULT_PATCH_VARS = { namespace: 'kubeflow', metrics_port: 8080 };

type Ref = { namespace: string; name: string };
interface KindApi {
  read(k: KubeClients, r: Ref): Promise<unknown>;
  patch(k: KubeClients, r: Ref, body: JsonObject, merge?: boolean): Promise<unknown>;
}

export const KINDS = {
  Deployment: {
    read: (k, r) => k.apps.readNamespacedDeployment(r),
    patch: (k, r, body, merge) => k.apps.patchNamespacedDeployment({ ...r, body }, merge ? k.patchAs.merge : k.patchAs.strategicMerge),
  },
  StatefulSet: {
    read: (k, r) => k.apps.readNamespacedStatefulSet(r),
    patch: (k, r, body, merge) => k.apps.patchNamespacedStatefulSet({ ...r, body }, merge ? k.patchAs.merge : k.patchAs.strategicMerge),
  },
  DaemonSet: {
    read: (k, r) => k.apps.readNamespacedDaemonSet(r),
    patch: (k, r, body, merge) => k.apps.patchNamespacedDaemonSet({ ...r, body }, merge ? k.patchAs.merge : k.patchAs.strategicMerge),
  },
  Service: {
    read: (k, r) => k.core.readNamespacedService(r),
    patch: (k, r, body, merge) => k.core.patchNamespacedService({ ...r, body }, merge ? k.patchAs.merge : k.patchAs.strategicMerge),
  },
  ServiceAccount: {
    read: (k, r) => k.core.readNamespacedServiceAccount(r),
    patch: (k, r, body, merge) => k.core.patchNamespacedServiceAccount({ ...r, body }, merge ? k.patchAs.merge : k.patchAs.strategicMerge),
  },
} satisfies Record<string, KindApi>;
export type Kind = keyof typeof KINDS;
const isKind = (k: string): k is Kind => Object.hasOwn(KINDS, k);

export const readObject = async (kube: KubeClients, kind: Kind, r: Ref): Promise<JsonObject> => plain(await KINDS[kind].read(kube, r));

function loadText(spec: PatchSpec, ctx: Pick<TaskContext, 'resolvePath'>): { text: string; source: string } {
  if (spec.inline) return { text: '', source: 'inline patch' };
  const raw = spec.file ?? spec.template ?? '';
  const builtin = raw.startsWith('kfup:');
  const path = builtin ? packagePath('templates', raw.slice(5)) : ctx.resolvePath(raw);
  if (!existsSync(path)) throw new TaskError(`patch ${spec.file ? 'file' : 'template'} not found: ${raw}`, { code: 'patchNotFound', hint: builtin ? 'kfup: names a template shipped under templates/' : 'paths are relative to the playbook directory' });
  let text = readFileSync(path, 'utf8');
  if (spec.template) text = String(renderString(text, { ...DEFAULT_PATCH_VARS, ...(spec.vars ?? {}) }));
  return { text, source: raw };
}

export function resolvePatch(spec: PatchSpec, ctx: Pick<TaskContext, 'resolvePath'>): ResolvedPatch {
  const { text, source } = loadText(spec, ctx);
  let patch: unknown = spec.inline;
  if (!spec.inline) {
    const doc = parseDocument(text);
    if (doc.errors.length) throw new TaskError(`patch ${source} is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`, { code: 'invalidPatch' });
    patch = doc.toJSON();
  }
  if (!isObj(patch)) throw new TaskError(`patch ${source} is not a mapping (a strategic merge patch is an object)`, { code: 'invalidPatch' });
  const md = isObj(patch.metadata) ? patch.metadata : {};
  const kind = spec.kind ?? (typeof patch.kind === 'string' ? patch.kind : undefined);
  const name = spec.name ?? (typeof md.name === 'string' ? md.name : undefined);
  const namespace = spec.namespace ?? (typeof md.namespace === 'string' ? md.namespace : undefined);
  if (!kind || !name || !namespace) {
    throw new TaskError(`patch ${source}: the object to patch is not known`, { code: 'invalidPatch', hint: 'give kind, namespace and name on the patch entry, or in the patch document itself' });
  }
  if (!isKind(kind)) throw new TaskError(`patch ${source}: kind ${kind} cannot be patched here`, { code: 'invalidPatch', hint: `supported kinds: ${Object.keys(KINDS).join(', ')}` });
  for (const [field, want, got] of [
    ['kind', kind, patch.kind],
    ['metadata.name', name, md.name],
    ['metadata.namespace', namespace, md.namespace],
  ] as const) {
    if (got !== undefined && got !== want) throw new TaskError(`patch ${source}: its ${field} ${JSON.stringify(got)} does not match the target's "${want}"`, { code: 'invalidPatch' });
  }
  return { kind, namespace, name, patch, source };
}
