// ack-adopt: carries ACK SageMaker endpoints from blue to green without deleting or duplicating
// them ("Transfer ACK resources" in the upgrade guide). On the source cluster every Endpoint
// object is protected, by the `services.k8s.aws/deletion-policy: retain` annotation (ACK runtime
// > 0.22.1) or by removing ACK's finalizer (older runtimes), so deleting the object or the whole
// cluster leaves the SageMaker endpoint alive. Then an AdoptedResource per endpoint is rendered
// to a file and, with `apply_to`, created on the target cluster, where ACK binds a new Endpoint
// object to the live endpoint. `revert` takes the protection off again (the annotation or the
// finalizer); the objects created on the target are left alone, since deleting an adopted
// Endpoint there would delete the live endpoint.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import {
  TaskError,
  defineTask,
  getOrUndefined,
  isAlreadyExists,
  isKubeNotFound,
  isMissing,
  isRetryable,
  kubeMessage,
  withKubeRetry,
  type Change,
  type Context,
  type KubeClients,
  type KubeRetryOptions,
} from './kit/index.js';
import type { AckAdoptOutputs, AckAdoptParams } from './generated/ack-adopt.js';
import { adoptedCondition, adoptedObject, renderAdopted, type AdoptedResourceObject } from './ack/adopted.js';
import { detectAckRuntime } from './ack/detect-runtime.js';
import { ADOPTED, DELETION_POLICY, ENDPOINT, ENDPOINT_FINALIZER, endpointKey, getEndpoint, listEndpoints, sagemakerName, type EndpointObject } from './ack/endpoints.js';
import { LAST_RUNTIME_WITHOUT_DELETION_POLICY, supportsDeletionPolicy } from './ack/runtime-version.js';
import { waitForAdoption } from './ack/wait-adopted.js';

export type AckMethod = AckAdoptParams['method'];

/** what apply changed on one Endpoint object, kept in the journal for revert */
export interface ProtectedRecord {
  namespace: string;
  name: string;
  method: AckMethod;
  /** annotate: the annotation's value before (null when absent) */
  previous?: string | null;
  /** remove-finalizers: the finalizers removed */
  removed?: string[];
}

/** one step of the plan, in the order apply takes them */
type Op =
  | { kind: 'protect'; namespace: string; name: string; method: AckMethod }
  | { kind: 'file'; path: string; content: string }
  | { kind: 'adopt'; cluster: string; object: AdoptedResourceObject };

interface Persisted {
  protected: ProtectedRecord[];
}

type EndpointInfo = AckAdoptOutputs['endpoints'][number];

type Ctx = Pick<Context, 'signal' | 'log'>;

const retryOpts = (ctx: Ctx): KubeRetryOptions => ({
  signal: ctx.signal,
  onRetry: ({ status, delayMs, message }) => ctx.log(`Kubernetes ${status ?? 'connection'} (${message}); retrying in ${Math.round(delayMs)} ms`),
});

/** a read inside withKubeRetry (which retries it), undefined when the object does not exist; alone, reads use the kit's getOrUndefined */
async function readInRetry<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (e) {
    if (isKubeNotFound(e)) return undefined;
    throw e;
  }
}

const protectSummary = (method: AckMethod) =>
  method === 'annotate' ? `annotate ${DELETION_POLICY}: retain` : `remove finalizer ${ENDPOINT_FINALIZER}`;

/** is the object already protected the way `method` protects it? */
function isProtected(ep: EndpointObject, method: AckMethod): boolean {
  if (method === 'annotate') return (ep.metadata.annotations?.[DELETION_POLICY] ?? '').toLowerCase() === 'retain';
  return !(ep.metadata.finalizers ?? []).includes(ENDPOINT_FINALIZER);
}

const protectionView = (ep: EndpointObject) => ({
  annotations: { [DELETION_POLICY]: ep.metadata.annotations?.[DELETION_POLICY] ?? null },
  finalizers: ep.metadata.finalizers ?? [],
});

/** with method annotate: the source cluster's ACK runtime must honour the annotation */
async function resolveRuntime(p: AckAdoptParams, ctx: Ctx, kube: KubeClients, notes: string[]): Promise<void> {
  if (p.method !== 'annotate') return;
  let runtime = p.ack_runtime_version;
  let source = 'ack_runtime_version';
  if (!runtime) {
    const found = await detectAckRuntime(kube, p.ack_namespace, retryOpts(ctx));
    if (!found.runtime) {
      throw new TaskError(`cannot tell the ACK runtime version on ${p.cluster}: ${found.problem}`, {
        code: 'unknownRuntime',
        hint: `set ack_runtime_version (the deletion-policy annotation needs a runtime newer than ${LAST_RUNTIME_WITHOUT_DELETION_POLICY}), or use method: remove-finalizers`,
      });
    }
    runtime = found.runtime;
    source = `${found.deployment} runs ${found.image}`;
  }
  let ok: boolean;
  try {
    ok = supportsDeletionPolicy(runtime);
  } catch {
    throw new TaskError(`ack_runtime_version "${runtime}" is not a version`, { code: 'badRuntime', hint: 'write it as major.minor.patch, e.g. 0.25.0' });
  }
  if (!ok) {
    throw new TaskError(
      `method annotate cannot protect the endpoints: ACK runtime ${runtime} (${source}) ignores ${DELETION_POLICY}; it needs a runtime newer than ${LAST_RUNTIME_WITHOUT_DELETION_POLICY}`,
      { code: 'runtimeTooOld', hint: 'use method: remove-finalizers, or upgrade the ACK SageMaker controller first' },
    );
  }
  notes.push(`ACK runtime ${runtime} (${source}) honours ${DELETION_POLICY}`);
}

/** each object's SageMaker endpoint; every missing one named in one error */
async function describeEndpoints(ctx: Pick<Context, 'aws'>, eps: EndpointObject[]): Promise<EndpointInfo[]> {
  const sm = ctx.aws(SageMakerClient);
  const infos: EndpointInfo[] = [];
  const missing: string[] = [];
  for (const ep of eps) {
    const endpointName = sagemakerName(ep);
    try {
      const d = await sm.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
      const info: EndpointInfo = { namespace: ep.metadata.namespace, name: ep.metadata.name, endpoint_name: endpointName, status: d.EndpointStatus ?? 'Unknown' };
      if (d.EndpointArn) info.arn = d.EndpointArn;
      infos.push(info);
    } catch (e) {
      if (!isMissing(e)) throw e;
      missing.push(`${endpointKey(ep)} (SageMaker endpoint "${endpointName}")`);
    }
  }
  if (missing.length) {
    throw new TaskError(`SageMaker endpoint${missing.length > 1 ? 's' : ''} not found for ${missing.join(', ')}`, {
      code: 'endpointsNotFound',
      hint: 'an Endpoint object without its SageMaker endpoint cannot be adopted; fix or delete the object on the source cluster, or leave its namespace out of `namespaces`',
    });
  }
  return infos;
}

/** whether the AdoptedResource must be created on the target cluster (false: the endpoint is there already) */
async function planAdopt(ctx: Pick<Context, 'signal' | 'mode'>, target: KubeClients, targetName: string, obj: AdoptedResourceObject, notes: string[]): Promise<boolean> {
  const { namespace, name } = obj.metadata;
  const ns = await getOrUndefined(() => target.core.readNamespace({ name: namespace }), ctx.signal);
  if (!ns) {
    // in a check of the whole playbook the restore before this task has not run yet
    if (ctx.mode === 'check') {
      notes.push(`namespace ${namespace} is not on ${targetName} yet: it must be restored (velero-restore) before this task runs`);
      return true;
    }
    throw new TaskError(`namespace ${namespace} does not exist on ${targetName}`, { code: 'noNamespace', hint: 'restore the profile namespaces to the target cluster (velero-restore) before adopting their endpoints' });
  }
  const cur = (await getOrUndefined(
    () => target.custom.getNamespacedCustomObject({ group: ADOPTED.group, version: ADOPTED.version, plural: ADOPTED.plural, namespace, name }),
    ctx.signal,
  )) as AdoptedResourceObject | undefined;
  if (cur) {
    if (cur.spec?.aws?.nameOrID !== obj.spec.aws.nameOrID) {
      throw new TaskError(`AdoptedResource ${namespace}/${name} on ${targetName} adopts "${cur.spec?.aws?.nameOrID}", not "${obj.spec.aws.nameOrID}"`, {
        code: 'adoptsOther',
        hint: 'delete that AdoptedResource (deleting it leaves the SageMaker endpoint alone) and run again',
      });
    }
    const cond = adoptedCondition(cur);
    if (cond?.status === 'False') notes.push(`AdoptedResource ${namespace}/${name} on ${targetName}: adoption failed (${cond.reason}: ${cond.message})`);
    return false;
  }
  // a 404 for the object could also mean the CRD is missing: the collection tells them apart
  const collection = await getOrUndefined<unknown>(
    () => target.custom.listNamespacedCustomObject({ group: ADOPTED.group, version: ADOPTED.version, plural: ADOPTED.plural, namespace, limit: 1 }),
    ctx.signal,
  );
  if (collection === undefined) {
    throw new TaskError(`the AdoptedResource CRD (${ADOPTED.plural}.${ADOPTED.group}) is not installed on ${targetName}`, {
      code: 'noCrd',
      hint: 'install the ACK SageMaker controller on the target cluster first',
    });
  }
  // an Endpoint object of that name already there means the endpoint is carried over already
  if (await getOrUndefined(() => getEndpoint(target, namespace, name), ctx.signal)) {
    notes.push(`${namespace}/${name}: an Endpoint object exists on ${targetName} already; no AdoptedResource needed`);
    return false;
  }
  return true;
}

interface RestorePatch {
  summary: string;
  metadata: { resourceVersion?: string; annotations?: Record<string, string | null>; finalizers?: string[] };
}

/** the merge patch that takes one record's protection off again, or undefined when it is off */
function restorePatch(rec: ProtectedRecord, cur: EndpointObject): RestorePatch | undefined {
  const resourceVersion = cur.metadata.resourceVersion;
  if (rec.method === 'annotate') {
    const now = cur.metadata.annotations?.[DELETION_POLICY] ?? null;
    const want = rec.previous ?? null;
    if (now === want) return undefined;
    return {
      summary: want === null ? `remove annotation ${DELETION_POLICY}` : `set annotation ${DELETION_POLICY} back to ${want}`,
      metadata: { resourceVersion, annotations: { [DELETION_POLICY]: want } },
    };
  }
  const missing = (rec.removed ?? []).filter((f) => !(cur.metadata.finalizers ?? []).includes(f));
  if (!missing.length) return undefined;
  return { summary: `restore finalizer ${missing.join(', ')}`, metadata: { resourceVersion, finalizers: [...(cur.metadata.finalizers ?? []), ...missing] } };
}

export default defineTask<AckAdoptParams, AckAdoptOutputs, Op[], Persisted, ProtectedRecord[]>({
  name: 'ack-adopt',
  messages: {
    applyToSource: 'apply_to names the source cluster {{cluster}}',
    disappeared: 'Endpoint {{key}} disappeared from {{cluster}} since check; run again to re-plan',
    beingDeleted: 'Endpoint {{key}} on {{cluster}} started being deleted since check; its SageMaker endpoint may go with it',
    createFailed: 'creating AdoptedResource {{key}} on {{cluster}} failed: {{problem}}',
  },

  describe(p) {
    const where = p.namespaces?.length ? `namespaces ${p.namespaces.join(', ')}` : 'all namespaces';
    const lines = [
      `find ACK SageMaker Endpoint objects on ${p.cluster} (${where}) and check each endpoint exists in SageMaker`,
      p.method === 'annotate'
        ? `protect each from deletion with ${DELETION_POLICY}: retain (needs ACK runtime > ${LAST_RUNTIME_WITHOUT_DELETION_POLICY}${p.ack_runtime_version ? `; given ${p.ack_runtime_version}` : '; read from the controller image'})`
        : `protect each from deletion by removing finalizer ${ENDPOINT_FINALIZER}`,
    ];
    if (p.output_dir) lines.push(`write <endpoint>-adopted.yaml AdoptedResource manifests to ${p.output_dir}`);
    if (p.apply_to) lines.push(`create the AdoptedResource objects on ${p.apply_to} and wait for ACK to adopt each endpoint`);
    return lines;
  },

  async check(p, ctx) {
    const { cluster, method } = p;
    if (p.apply_to === cluster) {
      throw this.error('applyToSource', { cluster }, { hint: 'apply_to is the new cluster (e.g. green) where the endpoints are adopted' });
    }
    const kube = ctx.kube(cluster);
    const notes: string[] = [];
    const eps = (await listEndpoints(kube, p.namespaces, retryOpts(ctx))).filter((ep) => {
      if (ep.metadata.deletionTimestamp) {
        notes.push(`${endpointKey(ep)} is being deleted already; left alone`);
        return false;
      }
      return true;
    });
    if (!eps.length) {
      return { changes: [], outputs: { endpoints: [], manifests: [], method }, notes, skip: `no ACK SageMaker Endpoint objects on ${cluster}${p.namespaces?.length ? ` in ${p.namespaces.join(', ')}` : ''}` };
    }
    await resolveRuntime(p, ctx, kube, notes);
    const infos = await describeEndpoints(ctx, eps);

    const target = p.apply_to ? ctx.kube(p.apply_to) : undefined;
    const manifests: string[] = [];
    // protect the source before anything else, so no later failure leaves it unprotected
    const protect = { changes: [] as Change[], ops: [] as Op[] };
    const files = { changes: [] as Change[], ops: [] as Op[] };
    const adopt = { changes: [] as Change[], ops: [] as Op[] };
    for (const [i, ep] of eps.entries()) {
      const info = infos[i];
      const key = endpointKey(ep);
      const actions: string[] = [];
      if (!isProtected(ep, method)) {
        const before = protectionView(ep);
        const after =
          method === 'annotate'
            ? { ...before, annotations: { [DELETION_POLICY]: 'retain' } }
            : { ...before, finalizers: before.finalizers.filter((f) => f !== ENDPOINT_FINALIZER) };
        protect.changes.push({ action: 'update', target: `${cluster} endpoints.sagemaker.services.k8s.aws ${key}`, summary: protectSummary(method), before, after });
        protect.ops.push({ kind: 'protect', namespace: ep.metadata.namespace, name: ep.metadata.name, method });
        actions.push(protectSummary(method));
      } else actions.push('protected already');

      const manifest = renderAdopted(ep, info.arn);
      if (p.output_dir) {
        const path = join(ctx.resolvePath(p.output_dir), `${ep.metadata.name}-adopted.yaml`);
        manifests.push(path);
        const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
        if (current !== manifest) {
          files.changes.push({ action: current === undefined ? 'create' : 'update', target: `file ${path}`, summary: `AdoptedResource manifest for ${key}`, before: current, after: manifest });
          files.ops.push({ kind: 'file', path, content: manifest });
          actions.push(`write ${path}`);
        }
      }
      if (target && p.apply_to) {
        const obj = adoptedObject(manifest);
        if (await planAdopt(ctx, target, p.apply_to, obj, notes)) {
          adopt.changes.push({ action: 'create', target: `${p.apply_to} adoptedresources.services.k8s.aws ${key}`, summary: `adopt SageMaker endpoint ${info.endpoint_name}`, after: obj });
          adopt.ops.push({ kind: 'adopt', cluster: p.apply_to, object: obj });
          actions.push(`adopt on ${p.apply_to}`);
        } else actions.push(`on ${p.apply_to} already`);
      }
      notes.push(`${key}: SageMaker endpoint ${info.endpoint_name} is ${info.status}; ${actions.join('; ')}`);
    }
    return {
      changes: [...protect.changes, ...files.changes, ...adopt.changes],
      outputs: { endpoints: infos, manifests, method },
      notes,
      data: [...protect.ops, ...files.ops, ...adopt.ops],
    };
  },

  async apply(p, ctx, plan) {
    const { cluster } = p;
    const r = retryOpts(ctx);
    const done: ProtectedRecord[] = [...(ctx.recall('protected') ?? [])];
    const kube = ctx.kube(cluster);
    for (const op of plan.data ?? []) {
      if (op.kind === 'protect') {
        const key = `${op.namespace}/${op.name}`;
        ctx.progress(`${cluster}: ${key}: ${protectSummary(op.method)}`);
        await withKubeRetry(async () => {
          // re-read inside the retry: a conflict means someone changed it, so decide again
          const cur = await readInRetry(getEndpoint(kube, op.namespace, op.name));
          if (!cur) throw this.error('disappeared', { key, cluster }, { retryable: true });
          if (cur.metadata.deletionTimestamp) throw this.error('beingDeleted', { key, cluster });
          if (isProtected(cur, op.method)) return;
          const rec: ProtectedRecord =
            op.method === 'annotate'
              ? { namespace: op.namespace, name: op.name, method: op.method, previous: cur.metadata.annotations?.[DELETION_POLICY] ?? null }
              : { namespace: op.namespace, name: op.name, method: op.method, removed: [ENDPOINT_FINALIZER] };
          // journal first: if the patch lands and we are killed, revert still knows
          const i = done.findIndex((d) => d.namespace === rec.namespace && d.name === rec.name);
          if (i >= 0) done[i] = rec;
          else done.push(rec);
          ctx.persist('protected', done);
          const patch =
            op.method === 'annotate'
              ? { metadata: { resourceVersion: cur.metadata.resourceVersion, annotations: { [DELETION_POLICY]: 'retain' } } }
              : { metadata: { resourceVersion: cur.metadata.resourceVersion, finalizers: (cur.metadata.finalizers ?? []).filter((f) => f !== ENDPOINT_FINALIZER) } };
          await kube.custom.patchNamespacedCustomObject(
            { group: ENDPOINT.group, version: ENDPOINT.version, plural: ENDPOINT.plural, namespace: op.namespace, name: op.name, body: patch },
            kube.patchAs.merge,
          );
        }, r);
      } else if (op.kind === 'file') {
        ctx.writeFile(op.path, op.content, { backup: true });
      } else {
        const target = ctx.kube(op.cluster);
        const { namespace, name } = op.object.metadata;
        ctx.progress(`${op.cluster}: creating AdoptedResource ${namespace}/${name}`);
        try {
          await withKubeRetry(
            () => target.custom.createNamespacedCustomObject({ group: ADOPTED.group, version: ADOPTED.version, plural: ADOPTED.plural, namespace, body: op.object }),
            { ...r, retryConflict: false },
          );
        } catch (e) {
          // a retried create whose first attempt landed: the object is ours
          if (!isAlreadyExists(e)) throw this.error('createFailed', { key: `${namespace}/${name}`, cluster: op.cluster, problem: kubeMessage(e) }, { cause: e, retryable: isRetryable(e, false) });
        }
        await waitForAdoption(ctx, target, op.cluster, namespace, name, p.adopt_timeout_seconds * 1000);
      }
    }
    return {};
  },

  revert: {
    async check(record, ctx) {
      const { cluster } = record.params;
      const recs = record.persisted.protected ?? [];
      const changes: Change[] = [];
      const notes: string[] = [];
      const restore: ProtectedRecord[] = [];
      if (!recs.length) return { changes, data: restore };
      const kube = ctx.kube(cluster);
      for (const rec of recs) {
        const key = `${rec.namespace}/${rec.name}`;
        const cur = await getOrUndefined(() => getEndpoint(kube, rec.namespace, rec.name), ctx.signal);
        if (!cur) {
          notes.push(`${key} is gone from ${cluster}; nothing to restore`);
          continue;
        }
        if (cur.metadata.deletionTimestamp) {
          notes.push(`${key} on ${cluster} is being deleted; its protection is left in place`);
          continue;
        }
        const patch = restorePatch(rec, cur);
        if (!patch) continue;
        const before = protectionView(cur);
        const meta = patch.metadata;
        const after = {
          annotations: meta.annotations ? { [DELETION_POLICY]: meta.annotations[DELETION_POLICY] } : before.annotations,
          finalizers: meta.finalizers ?? before.finalizers,
        };
        changes.push({ action: 'update', target: `${cluster} endpoints.sagemaker.services.k8s.aws ${key}`, summary: patch.summary, before, after });
        restore.push(rec);
      }
      return { changes, notes, data: restore };
    },

    async apply(record, ctx, plan) {
      const { cluster } = record.params;
      const kube = ctx.kube(cluster);
      for (const rec of plan.data ?? []) {
        await withKubeRetry(async () => {
          // re-read inside the retry: after a conflict the decision is made again on fresh state
          const fresh = await readInRetry(getEndpoint(kube, rec.namespace, rec.name));
          const again = fresh && !fresh.metadata.deletionTimestamp ? restorePatch(rec, fresh) : undefined;
          if (!again) return;
          await kube.custom.patchNamespacedCustomObject(
            { group: ENDPOINT.group, version: ENDPOINT.version, plural: ENDPOINT.plural, namespace: rec.namespace, name: rec.name, body: { metadata: again.metadata } },
            kube.patchAs.merge,
          );
        }, retryOpts(ctx));
      }
    },
  },
});
