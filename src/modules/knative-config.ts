// knative-config: "Configure new cluster for knative serving". Sets the Knative Serving default
// domain (config-domain holds exactly the platform subdomain as its key), and optionally creates
// the ALB ingress for serving and the Istio AuthorizationPolicies KServe predictors need in profile
// namespaces. Check shows field diffs; apply is compare-and-set; revert restores what it replaced.
import {
  applyMergePatch,
  defineTask,
  guardedWrite,
  isJsonObject as isObj,
  isKubeNotFound,
  jsonEqual,
  kubeCallError,
  mapPool,
  ownedFields as owned,
  plainJson as plain,
  retryKube,
  revertPatch,
  valuesOrThrow,
  type Change,
  type JsonObject,
  type KubeClients,
  type TaskContext,
  Unknown,
} from './kit/index.js';
import type { KnativeConfigOutputs, KnativeConfigParams } from './generated/knative-config.js';
import { desiredDomainData, headerValues, renderIngress, renderPolicies, satisfies, type PolicyParams } from './knative/manifests.js';
import { profileNamespaces } from './knative/profiles.js';

const AP = { group: 'security.istio.io', version: 'v1beta1', plural: 'authorizationpolicies' };
/** objects read or written at a time */
const IN_FLIGHT = 8;

type Kind = 'Ingress' | 'AuthorizationPolicy';
type DomainData = Record<string, string>;

interface ObjPlan {
  /** "ingress istio-system/istio-ingress-api" */
  target: string;
  kind: Kind;
  namespace: string;
  name: string;
  /** owned fields as check saw them; null when absent */
  before: JsonObject | null;
  manifest: JsonObject;
}

interface Data {
  cm?: { before: DomainData; after: DomainData };
  objects: ObjPlan[];
}

/** one persisted record per object, for revert */
interface ObjRecord {
  kind: Kind;
  namespace: string;
  name: string;
  existed: boolean;
  before: JsonObject | null;
  after?: JsonObject;
}

interface Persisted {
  configmap: { namespace: string; name: string; before: DomainData; after: DomainData };
  objects: ObjRecord[];
}

/** one step of a revert: exactly what revert.check showed */
type RevertStep = { op: 'delete'; kind: Kind; namespace: string; name: string } | { op: 'patch'; kind: Kind | 'ConfigMap'; namespace: string; name: string; patch: JsonObject };

interface RevertData {
  steps: RevertStep[];
}

const policyOptions = (p: KnativeConfigParams): PolicyParams | undefined => (p.authorization_policy === true ? {} : p.authorization_policy || undefined);
const targetOf = (kind: Kind, namespace: string, name: string) => `${kind.toLowerCase()} ${namespace}/${name}`;
const domainData = (cm: JsonObject | undefined): DomainData => (cm && isObj(cm.data) ? (cm.data as DomainData) : {});

/** a read: undefined when absent, transient failures retried */
async function readOrUndefined(what: string, read: () => Promise<unknown>, signal: AbortSignal): Promise<JsonObject | undefined> {
  try {
    return plain(await retryKube(read, { signal }));
  } catch (e) {
    if (isKubeNotFound(e)) return undefined;
    throw kubeCallError(`reading ${what}`, e);
  }
}

const readConfigMap = (kube: KubeClients, namespace: string, name: string, signal: AbortSignal) =>
  readOrUndefined(`config map ${namespace}/${name}`, () => kube.core.readNamespacedConfigMap({ namespace, name }), signal);

const readObj = (kube: KubeClients, kind: Kind, namespace: string, name: string, signal: AbortSignal) =>
  readOrUndefined(
    targetOf(kind, namespace, name),
    () => (kind === 'Ingress' ? kube.networking.readNamespacedIngress({ namespace, name }) : kube.custom.getNamespacedCustomObject({ ...AP, namespace, name })),
    signal,
  );

/** header values are secret wherever they turn up: in parameters and on live ingresses */
function markSecrets(ctx: TaskContext<Persisted>, values: unknown[]): void {
  for (const v of values) if (typeof v === 'string' && v) ctx.secret(v);
}

/** data as a merge patch: keys to drop become null */
function dataPatch(before: DomainData, after: DomainData): JsonObject {
  const data: JsonObject = {};
  for (const k of Object.keys(before)) if (!(k in after)) data[k] = null;
  for (const [k, v] of Object.entries(after)) if (before[k] !== v) data[k] = v;
  return { data };
}

async function writeObj(kube: KubeClients, o: ObjPlan, live: JsonObject | undefined): Promise<JsonObject> {
  if (o.kind === 'Ingress') {
    const api = kube.networking;
    const res = live
      ? await api.patchNamespacedIngress({ namespace: o.namespace, name: o.name, body: owned(o.manifest) }, kube.patchAs.merge)
      : await api.createNamespacedIngress({ namespace: o.namespace, body: o.manifest });
    return plain(res);
  }
  const res: unknown = live
    ? await kube.custom.patchNamespacedCustomObject({ ...AP, namespace: o.namespace, name: o.name, body: owned(o.manifest) }, kube.patchAs.merge)
    : await kube.custom.createNamespacedCustomObject({ ...AP, namespace: o.namespace, body: o.manifest });
  return plain(res);
}

function runStep(kube: KubeClients, s: RevertStep, signal: AbortSignal): Promise<unknown> {
  const { namespace, name } = s;
  if (s.op === 'delete') {
    const del = () => (s.kind === 'Ingress' ? kube.networking.deleteNamespacedIngress({ namespace, name }) : kube.custom.deleteNamespacedCustomObject({ ...AP, namespace, name }));
    return retryKube(del, { write: true, signal }).catch((e: unknown) => {
      if (!isKubeNotFound(e)) throw kubeCallError(`deleting ${targetOf(s.kind, namespace, name)}`, e);
    });
  }
  const body = s.patch;
  const patch = () =>
    s.kind === 'ConfigMap'
      ? kube.core.patchNamespacedConfigMap({ namespace, name, body }, kube.patchAs.merge)
      : s.kind === 'Ingress'
        ? kube.networking.patchNamespacedIngress({ namespace, name, body }, kube.patchAs.merge)
        : kube.custom.patchNamespacedCustomObject({ ...AP, namespace, name, body }, kube.patchAs.merge);
  return retryKube(patch, { write: true, signal }).catch((e: unknown) => {
    throw kubeCallError(`restoring ${s.kind === 'ConfigMap' ? `config map ${namespace}/${name}` : targetOf(s.kind, namespace, name)}`, e);
  });
}

export default defineTask<KnativeConfigParams, KnativeConfigOutputs, Data, Persisted, RevertData>({
  name: 'knative-config',
  messages: { configMapNotFound: 'config map {{namespace}}/{{name}} not found on cluster {{cluster}}' },

  describe(p) {
    const lines = [`on cluster ${p.cluster}: make ${p.namespace}/${p.configmap} hold exactly "${p.domain}" as the default domain (_example removed${p.replace ? ', other keys removed' : ', other keys kept'})`];
    const q = p.ingress;
    if (q) lines.push(`create or update ingress ${q.namespace}/${q.name} (ALB, certificate ${q.certificate_arn}, header ${q.header_name} with ${q.header_values.length} secret value(s))`);
    const pol = policyOptions(p);
    if (pol) lines.push(`create AuthorizationPolicies for KServe predictors in ${pol.namespaces?.length ? pol.namespaces.join(', ') : 'the namespaces of the Profiles on the cluster'}`);
    return lines;
  },

  async check(p, ctx) {
    const kube = ctx.kube(p.cluster);
    const { namespace, configmap: name } = p;
    const changes: Change[] = [];
    const notes: string[] = [];
    const data: Data = { objects: [] };

    const cm = await readConfigMap(kube, namespace, name, ctx.signal);
    if (!cm) {
      throw this.error('configMapNotFound', { namespace, name, cluster: p.cluster }, { hint: 'is Knative Serving installed on this cluster? (namespace and configmap can be set when it lives elsewhere)' });
    }
    const current = domainData(cm);
    const want = desiredDomainData(current, p.domain, p.replace);
    notes.push(...want.notes);
    if (!jsonEqual(current, want.data)) {
      changes.push({ action: 'update', target: `configmap ${namespace}/${name}`, summary: `set default domain ${p.domain}`, before: current, after: want.data });
      data.cm = { before: current, after: want.data };
    }

    const wanted: { kind: Kind; namespace: string; name: string; manifest: JsonObject }[] = [];
    const add = (kind: Kind, manifest: JsonObject) => {
      const md = isObj(manifest.metadata) ? manifest.metadata : {};
      // the templates always render both
      wanted.push({ kind, namespace: typeof md.namespace === 'string' ? md.namespace : '', name: typeof md.name === 'string' ? md.name : '', manifest });
    };
    if (p.ingress) {
      markSecrets(ctx, p.ingress.header_values);
      add('Ingress', renderIngress(p.ingress));
    }
    const pol = policyOptions(p);
    // in check, earlier tasks that plan changes on this cluster (a restore of the profile
    // namespaces) may add Profiles before this task runs: the policies for those are known only after apply
    const pending = pol && !pol.namespaces?.length ? ctx.pendingOn(p.cluster, ['create', 'delete']) : [];
    if (pol) {
      const namespaces = pol.namespaces?.length ? pol.namespaces : await profileNamespaces(kube, ctx.signal);
      if (!namespaces.length && !pending.length) notes.push('no Profiles on the cluster: no AuthorizationPolicy to create (list namespaces to create them anyway)');
      for (const ns of namespaces) for (const m of renderPolicies(ns, pol)) add('AuthorizationPolicy', m);
    }
    // one read per object, a few at a time: a cluster has two policies per profile namespace
    const lives = valuesOrThrow(await mapPool(wanted, IN_FLIGHT, (w) => readObj(kube, w.kind, w.namespace, w.name, ctx.signal), ctx.signal));
    for (const [i, w] of wanted.entries()) {
      const live = lives[i];
      const target = targetOf(w.kind, w.namespace, w.name);
      if (live) markSecrets(ctx, headerValues(live));
      if (live && satisfies(owned(live), owned(w.manifest))) continue;
      const before = live ? owned(live) : null;
      data.objects.push({ target, kind: w.kind, namespace: w.namespace, name: w.name, before, manifest: w.manifest });
      changes.push(
        before
          ? { action: 'update', target, summary: 'update to the rendered manifest', before, after: owned(applyMergePatch(before, owned(w.manifest))) }
          : { action: 'create', target, summary: `create from templates/knative`, after: w.manifest },
      );
    }
    if (pol && pending.length) {
      const per = renderPolicies('profile', pol).length;
      const after = `${pending.map((t) => `"${t}"`).join(', ')} ${pending.length > 1 ? 'have' : 'has'} applied`;
      changes.push({
        action: 'create',
        target: `authorizationpolicies in the Profile namespaces on ${p.cluster}`,
        summary: `${per} per Profile namespace on ${p.cluster} once ${after}; how many is known after apply`,
        countAfterApply: `the Profiles on ${p.cluster} once ${after}`,
      });
    }
    const ref = (w: (typeof wanted)[number]) => `${w.namespace}/${w.name}`;
    const ingress = wanted.find((w) => w.kind === 'Ingress');
    const policies = wanted.filter((w) => w.kind === 'AuthorizationPolicy').map(ref);
    const outputs = {
      domain: p.domain,
      ingress: ingress ? ref(ingress) : null,
      policies: pending.length ? new Unknown(`the Profiles on ${p.cluster} after ${pending.join(', ')}`) : policies,
    };
    return { changes, outputs, notes, data };
  },

  async apply(p, ctx, plan) {
    const kube = ctx.kube(p.cluster);
    const d = plan.data ?? { objects: [] };
    const { namespace, configmap: name } = p;
    if (d.cm) {
      const cm = d.cm;
      ctx.persist('configmap', { namespace, name, before: cm.before, after: cm.after });
      await guardedWrite<JsonObject>({
        what: `config map ${namespace}/${name}`,
        read: () => readConfigMap(kube, namespace, name, ctx.signal),
        state: domainData,
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
    const records: ObjRecord[] = d.objects.map((o) => ({ kind: o.kind, namespace: o.namespace, name: o.name, existed: o.before !== null, before: o.before }));
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
          read: () => readObj(kube, o.kind, o.namespace, o.name, ctx.signal),
          state: (live) => (live === undefined ? null : satisfies(owned(live), wantOwned) ? 'as planned' : owned(live)),
          before: o.before,
          after: 'as planned',
          write: async (live) => {
            written = await writeObj(kube, o, live);
          },
          signal: ctx.signal,
        });
        rec.after = owned(written ?? (await readObj(kube, o.kind, o.namespace, o.name, ctx.signal)));
        ctx.progress(`${o.target} ${rec.existed ? 'updated' : 'created'} (${++done}/${d.objects.length})`);
      },
      ctx.signal,
    );
    // what was written, for revert to tell kfup's fields from later changes
    if (records.length) ctx.persist('objects', records);
    valuesOrThrow(results);
    return {};
  },

  revert: {
    async check(record, ctx) {
      const p = record.params;
      const kube = ctx.kube(p.cluster);
      const changes: Change[] = [];
      const notes: string[] = [];
      const steps: RevertStep[] = [];
      markSecrets(ctx, p.ingress?.header_values ?? []);

      const objects = [...(record.persisted.objects ?? [])].reverse();
      const lives = valuesOrThrow(await mapPool(objects, IN_FLIGHT, (rec) => readObj(kube, rec.kind, rec.namespace, rec.name, ctx.signal), ctx.signal));
      for (const [i, rec] of objects.entries()) {
        const target = targetOf(rec.kind, rec.namespace, rec.name);
        const live = lives[i];
        if (live) markSecrets(ctx, headerValues(live));
        if (!rec.existed) {
          if (!live) continue;
          changes.push({ action: 'delete', target, summary: 'created by the run: delete', before: owned(live) });
          steps.push({ op: 'delete', kind: rec.kind, namespace: rec.namespace, name: rec.name });
          continue;
        }
        if (!live) {
          notes.push(`${target} was deleted since the run: it cannot be restored from the journal alone`);
          continue;
        }
        const { patch, skipped } = revertPatch(rec.before, rec.after ?? owned(live), owned(live));
        if (!patch) continue;
        const note = skipped.length ? ` (kept ${skipped.join(', ')}: its previous value was secret and is not in the journal)` : '';
        changes.push({ action: 'update', target, summary: `restore the previous fields${note}`, before: owned(live), after: owned(applyMergePatch(owned(live), patch)) });
        steps.push({ op: 'patch', kind: rec.kind, namespace: rec.namespace, name: rec.name, patch });
      }

      const saved = record.persisted.configmap;
      if (saved) {
        const cm = await readConfigMap(kube, saved.namespace, saved.name, ctx.signal);
        if (cm) {
          const current = domainData(cm);
          const { patch } = revertPatch({ data: saved.before }, { data: saved.after }, { data: current });
          if (patch) {
            const restored = applyMergePatch({ data: current }, patch).data;
            changes.push({ action: 'update', target: `configmap ${saved.namespace}/${saved.name}`, summary: 'restore the previous domain configuration', before: current, after: restored });
            steps.push({ op: 'patch', kind: 'ConfigMap', namespace: saved.namespace, name: saved.name, patch });
          }
        } else notes.push(`config map ${saved.namespace}/${saved.name} is gone: nothing to restore`);
      }
      return { changes, notes, data: { steps } };
    },

    async apply(record, ctx, plan) {
      const kube = ctx.kube(record.params.cluster);
      valuesOrThrow(await mapPool(plan.data?.steps ?? [], IN_FLIGHT, (s) => runStep(kube, s, ctx.signal), ctx.signal));
    },
  },
});
