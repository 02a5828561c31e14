// knative-config: "Configure new cluster for knative serving". Sets the Knative Serving default
// domain (config-domain holds exactly the platform subdomain as its key), and optionally creates
// the ALB ingress for serving and the Istio AuthorizationPolicies KServe predictors need in profile
// namespaces. Check shows field diffs; apply is compare-and-set; revert restores what it replaced.
import type { V1Ingress } from '@kubernetes/client-node';
import { UserError } from '../runner/errors.js';
import { mapPool, valuesOrThrow } from './kit/kube/pool.js';
import { loadTaskSchema } from '../runner/load/package-root.js';
import type { Applied, Change, Context, KubeClients, TaskModule } from '../runner/types.js';
import { callError, equalJson, guardedWrite, isNotFound, isObj, plain, revertPatch, withRetry, type JsonObject } from './knative/kube-calls.js';
import { desiredDomainData, headerValues, INGRESS_DEFAULTS, owned, renderIngress, renderPolicies, satisfies, type IngressParams, type PolicyParams } from './knative/manifests.js';
import { profileNamespaces } from './knative/profiles.js';

export interface KnativeConfigParams {
  cluster: string;
  domain: string;
  replace?: boolean;
  namespace?: string;
  configmap?: string;
  ingress?: IngressParams;
  authorization_policy?: boolean | PolicyParams;
}

const AP = { group: 'security.istio.io', version: 'v1beta1', plural: 'authorizationpolicies' };
/** objects read or written at a time */
const IN_FLIGHT = 8;

interface ObjPlan {
  /** "ingress istio-system/istio-ingress-api" */
  target: string;
  namespace: string;
  name: string;
  /** owned fields as check saw them; null when absent */
  before: JsonObject | null;
  manifest: JsonObject;
}

interface KnativeData {
  cm?: { before: Record<string, string>; after: Record<string, string> };
  objects: ObjPlan[];
}

/** one persisted record per object, for revert */
interface ObjRecord {
  kind: 'Ingress' | 'AuthorizationPolicy';
  namespace: string;
  name: string;
  existed: boolean;
  before: JsonObject | null;
  after?: JsonObject;
}

const cmRef = (p: KnativeConfigParams) => ({ namespace: p.namespace ?? 'knative-serving', name: p.configmap ?? 'config-domain' });
const policyOptions = (p: KnativeConfigParams): PolicyParams | undefined => (p.authorization_policy === true ? {} : p.authorization_policy || undefined);

/** read helpers: undefined when absent, transient failures retried */
async function readIngress(kube: KubeClients, namespace: string, name: string, signal: AbortSignal): Promise<JsonObject | undefined> {
  try {
    return plain(await withRetry(() => kube.networking.readNamespacedIngress({ namespace, name }), { signal }));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw callError(`reading ingress ${namespace}/${name}`, e);
  }
}

async function readPolicy(kube: KubeClients, namespace: string, name: string, signal: AbortSignal): Promise<JsonObject | undefined> {
  try {
    return plain(await withRetry(() => kube.custom.getNamespacedCustomObject({ ...AP, namespace, name }), { signal }));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw callError(`reading authorizationpolicy ${namespace}/${name}`, e);
  }
}

async function readConfigMap(kube: KubeClients, namespace: string, name: string, signal: AbortSignal): Promise<JsonObject | undefined> {
  try {
    return plain(await withRetry(() => kube.core.readNamespacedConfigMap({ namespace, name }), { signal }));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw callError(`reading config map ${namespace}/${name}`, e);
  }
}

const readObj = (kube: KubeClients, kind: ObjRecord['kind'], ns: string, name: string, signal: AbortSignal) =>
  kind === 'Ingress' ? readIngress(kube, ns, name, signal) : readPolicy(kube, ns, name, signal);

const kindOf = (target: string): ObjRecord['kind'] => (target.startsWith('ingress') ? 'Ingress' : 'AuthorizationPolicy');

/** header values are secret wherever they turn up: in parameters and on live ingresses */
function markSecrets(ctx: Context, values: unknown[]): void {
  for (const v of values) if (typeof v === 'string' && v) ctx.secret(v);
}

/** data as a merge patch: keys to drop become null */
function dataPatch(before: Record<string, string>, after: Record<string, string>): JsonObject {
  const data: JsonObject = {};
  for (const k of Object.keys(before)) if (!(k in after)) data[k] = null;
  for (const [k, v] of Object.entries(after)) if (before[k] !== v) data[k] = v;
  return { data };
}

async function writeObj(kube: KubeClients, kind: ObjRecord['kind'], o: ObjPlan, live: JsonObject | undefined): Promise<JsonObject> {
  if (kind === 'Ingress') {
    const api = kube.networking;
    const res = live
      ? await api.patchNamespacedIngress({ namespace: o.namespace, name: o.name, body: owned(o.manifest) }, kube.patchAs.merge)
      : await api.createNamespacedIngress({ namespace: o.namespace, body: o.manifest as unknown as V1Ingress });
    return plain(res);
  }
  const res = live
    ? await kube.custom.patchNamespacedCustomObject({ ...AP, namespace: o.namespace, name: o.name, body: owned(o.manifest) }, kube.patchAs.merge)
    : await kube.custom.createNamespacedCustomObject({ ...AP, namespace: o.namespace, body: o.manifest });
  return plain(res);
}

const knativeConfig: TaskModule<KnativeConfigParams> = {
  name: 'knative-config',
  schema: loadTaskSchema('knative-config'),

  describe(p) {
    const { namespace, name } = cmRef(p);
    const lines = [`on cluster ${p.cluster}: make ${namespace}/${name} hold exactly "${p.domain}" as the default domain (_example removed${p.replace ? ', other keys removed' : ', other keys kept'})`];
    if (p.ingress) {
      const q = { ...INGRESS_DEFAULTS, ...p.ingress };
      lines.push(`create or update ingress ${q.namespace}/${q.name} (ALB, certificate ${p.ingress.certificate_arn}, header ${q.header_name} with ${p.ingress.header_values.length} secret value(s))`);
    }
    const pol = policyOptions(p);
    if (pol) lines.push(`create AuthorizationPolicies for KServe predictors in ${pol.namespaces?.length ? pol.namespaces.join(', ') : 'the namespaces of the Profiles on the cluster'}`);
    return lines;
  },

  async check(p, ctx) {
    const kube = ctx.kube(p.cluster);
    const { namespace, name } = cmRef(p);
    const changes: Change[] = [];
    const notes: string[] = [];
    const data: KnativeData = { objects: [] };

    const cm = await readConfigMap(kube, namespace, name, ctx.signal);
    if (!cm) {
      throw new UserError(`config map ${namespace}/${name} not found on cluster ${p.cluster}`, { hint: 'is Knative Serving installed on this cluster? (namespace and configmap can be set when it lives elsewhere)', exitCode: 1 });
    }
    const current = (isObj(cm.data) ? cm.data : {}) as Record<string, string>;
    const want = desiredDomainData(current, p.domain, p.replace ?? false);
    notes.push(...want.notes);
    if (!equalJson(current, want.data)) {
      changes.push({ action: 'update', target: `configmap ${namespace}/${name}`, summary: `set default domain ${p.domain}`, before: current, after: want.data });
      data.cm = { before: current, after: want.data };
    }

    const wanted: { target: string; manifest: JsonObject }[] = [];
    if (p.ingress) {
      markSecrets(ctx, p.ingress.header_values);
      const m = renderIngress(p.ingress);
      wanted.push({ target: `ingress ${m.metadata && (m.metadata as JsonObject).namespace}/${(m.metadata as JsonObject).name}`, manifest: m });
    }
    const pol = policyOptions(p);
    if (pol) {
      const namespaces = pol.namespaces?.length ? pol.namespaces : await profileNamespaces(kube, ctx.signal);
      if (!namespaces.length) notes.push('no Profiles on the cluster: no AuthorizationPolicy to create (list namespaces to create them anyway)');
      for (const ns of namespaces) {
        for (const m of renderPolicies(ns, pol)) wanted.push({ target: `authorizationpolicy ${ns}/${(m.metadata as JsonObject).name}`, manifest: m });
      }
    }
    const refOf = (w: (typeof wanted)[number]) => {
      const md = w.manifest.metadata as JsonObject;
      return { ns: String(md.namespace), nm: String(md.name) };
    };
    // one read per object, a few at a time: a cluster has two policies per profile namespace
    const lives = valuesOrThrow(await mapPool(wanted, IN_FLIGHT, (w) => readObj(kube, kindOf(w.target), refOf(w).ns, refOf(w).nm, ctx.signal), ctx.signal));
    for (const [i, w] of wanted.entries()) {
      const { ns, nm } = refOf(w);
      const live = lives[i];
      if (live) markSecrets(ctx, headerValues(live));
      if (live && satisfies(owned(live), owned(w.manifest))) continue;
      const before = live ? owned(live) : null;
      data.objects.push({ target: w.target, namespace: ns, name: nm, before, manifest: w.manifest });
      changes.push(
        live
          ? { action: 'update', target: w.target, summary: 'update to the rendered manifest', before, after: owned(mergeOwned(before!, owned(w.manifest))) }
          : { action: 'create', target: w.target, summary: `create from templates/knative`, after: w.manifest },
      );
    }
    const outputs = { domain: p.domain, ingress: p.ingress ? wanted[0]?.target.replace(/^ingress /, '') : null, policies: wanted.filter((w) => w.target.startsWith('authorizationpolicy')).map((w) => w.target.replace(/^authorizationpolicy /, '')) };
    return { changes, outputs, notes, data };
  },

  async apply(p, ctx, plan) {
    const kube = ctx.kube(p.cluster);
    const d = plan.data as KnativeData;
    const { namespace, name } = cmRef(p);
    if (d.cm) {
      const cm = d.cm;
      ctx.persist('configmap', { namespace, name, before: cm.before, after: cm.after });
      await guardedWrite<JsonObject>({
        what: `config map ${namespace}/${name}`,
        read: () => readConfigMap(kube, namespace, name, ctx.signal),
        state: (o) => (o && isObj(o.data) ? o.data : {}),
        before: cm.before,
        after: cm.after,
        write: () => kube.core.patchNamespacedConfigMap({ namespace, name, body: dataPatch(cm.before, cm.after) }, kube.patchAs.merge),
        signal: ctx.signal,
      });
      ctx.progress(`config map ${namespace}/${name}: default domain ${p.domain}`);
    }
    // every object is journaled (with what it held) before any is written, so that an interrupted
    // run can still be reverted: revert compares with what each object holds then, and one that
    // was never written is left as it is
    const records: ObjRecord[] = d.objects.map((o) => ({ kind: kindOf(o.target), namespace: o.namespace, name: o.name, existed: o.before !== null, before: o.before }));
    if (records.length) ctx.persist('objects', records);
    let done = 0;
    const results = await mapPool(
      d.objects,
      IN_FLIGHT,
      async (o, i) => {
        const rec = records[i];
        const wantOwned = owned(o.manifest);
        let written: JsonObject | undefined;
        await guardedWrite<JsonObject>({
          what: o.target,
          read: () => readObj(kube, rec.kind, o.namespace, o.name, ctx.signal),
          state: (live) => (live === undefined ? null : satisfies(owned(live), wantOwned) ? 'as planned' : owned(live)),
          before: o.before,
          after: 'as planned',
          write: async (live) => {
            written = await writeObj(kube, rec.kind, o, live);
          },
          signal: ctx.signal,
        });
        rec.after = written ? owned(written) : owned(await readObj(kube, rec.kind, o.namespace, o.name, ctx.signal));
        ctx.progress(`${o.target} ${rec.existed ? 'updated' : 'created'} (${++done}/${d.objects.length})`);
      },
      ctx.signal,
    );
    // what was written, for revert to tell kfup's fields from later changes
    if (records.length) ctx.persist('objects', records);
    valuesOrThrow(results);
    return plan.outputs;
  },

  async revert(record: Applied, ctx) {
    const p = record.params as KnativeConfigParams;
    const kube = ctx.kube(p.cluster);
    const changes: Change[] = [];
    const actions: (() => Promise<unknown>)[] = [];
    markSecrets(ctx, p.ingress?.header_values ?? []);

    const objects = [...((record.persisted.objects ?? []) as ObjRecord[])].reverse();
    const lives = valuesOrThrow(await mapPool(objects, IN_FLIGHT, (rec) => readObj(kube, rec.kind, rec.namespace, rec.name, ctx.signal), ctx.signal));
    for (const [i, rec] of objects.entries()) {
      const target = `${rec.kind.toLowerCase()} ${rec.namespace}/${rec.name}`;
      const live = lives[i];
      if (live) markSecrets(ctx, headerValues(live));
      if (!rec.existed) {
        if (!live) continue;
        changes.push({ action: 'delete', target, summary: 'created by the run: delete', before: owned(live) });
        actions.push(() =>
          withRetry(
            () => (rec.kind === 'Ingress' ? kube.networking.deleteNamespacedIngress({ namespace: rec.namespace, name: rec.name }) : kube.custom.deleteNamespacedCustomObject({ ...AP, namespace: rec.namespace, name: rec.name })),
            { write: true, signal: ctx.signal },
          ).catch((e) => {
            if (!isNotFound(e)) throw callError(`deleting ${target}`, e);
          }),
        );
        continue;
      }
      if (!live) {
        changes.push({ action: 'create', target, summary: 'deleted since the run: cannot restore it from the journal alone', after: rec.before ?? undefined });
        continue;
      }
      const { patch, skipped } = revertPatch(rec.before, rec.after ?? owned(live), owned(live));
      if (!patch) continue;
      const note = skipped.length ? ` (kept ${skipped.join(', ')}: its previous value was secret and is not in the journal)` : '';
      changes.push({ action: 'update', target, summary: `restore the previous fields${note}`, before: owned(live), after: owned(mergeOwned(owned(live), patch)) });
      actions.push(() =>
        withRetry(
          () =>
            rec.kind === 'Ingress'
              ? kube.networking.patchNamespacedIngress({ namespace: rec.namespace, name: rec.name, body: patch }, kube.patchAs.merge)
              : kube.custom.patchNamespacedCustomObject({ ...AP, namespace: rec.namespace, name: rec.name, body: patch }, kube.patchAs.merge),
          { write: true, signal: ctx.signal },
        ).catch((e) => {
          throw callError(`restoring ${target}`, e);
        }),
      );
    }

    const saved = record.persisted.configmap as { namespace: string; name: string; before: Record<string, string>; after: Record<string, string> } | undefined;
    if (saved) {
      const cm = await readConfigMap(kube, saved.namespace, saved.name, ctx.signal);
      if (cm) {
        const current = (isObj(cm.data) ? cm.data : {}) as Record<string, string>;
        const { patch } = revertPatch({ data: saved.before }, { data: saved.after }, { data: current });
        if (patch) {
          const restored = mergeOwned({ data: current }, patch).data as Record<string, string>;
          changes.push({ action: 'update', target: `configmap ${saved.namespace}/${saved.name}`, summary: 'restore the previous domain configuration', before: current, after: restored });
          actions.push(() =>
            withRetry(() => kube.core.patchNamespacedConfigMap({ namespace: saved.namespace, name: saved.name, body: patch }, kube.patchAs.merge), { write: true, signal: ctx.signal }).catch((e) => {
              throw callError(`restoring config map ${saved.namespace}/${saved.name}`, e);
            }),
          );
        }
      }
    }
    if (ctx.mode === 'run') valuesOrThrow(await mapPool(actions, IN_FLIGHT, (a) => a(), ctx.signal));
    return changes;
  },
};

/** a JSON merge patch applied to a plain object (for showing what a patch leads to) */
function mergeOwned(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObj(v) && isObj(out[k])) out[k] = mergeOwned(out[k] as JsonObject, v);
    else out[k] = v;
  }
  return out;
}

export default knativeConfig;
