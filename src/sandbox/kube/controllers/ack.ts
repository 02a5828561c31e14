// The emulated ACK SageMaker controller of one sandbox cluster, modelled on the ACK runtime
// (aws-controllers-k8s/runtime, pkg/runtime/reconciler.go and, for AdoptedResource,
// pkg/runtime/adoption_reconciler.go before its removal in runtime PR #209):
//  - deleting a managed Endpoint object deletes the SageMaker endpoint when its deletion policy
//    is "delete", and only then. The policy is the object's `services.k8s.aws/deletion-policy`
//    annotation, else its namespace's `sagemaker.services.k8s.aws/deletion-policy` annotation,
//    else the controller's --deletion-policy (default "delete"); any value other than "delete"
//    keeps the endpoint. An object whose finalizer was removed first is not ACK's any more.
//    Runtimes before v0.22.0 (runtime PR #107) have no deletion policy and always delete: the
//    cluster's sagemaker-controller image tag says which runtime runs (see runtimeHasDeletionPolicy).
//  - an AdoptedResource creates the Endpoint object for an endpoint that exists: named and placed
//    by spec.kubernetes.metadata (else the AdoptedResource's own name and namespace), with its
//    labels and annotations, `services.k8s.aws/adopted: "true"` and ACK's finalizer. An object
//    that exists already is left as it is. ACK.Adopted turns True; on an error it is False with
//    the error as message, and ACK tries again later (only True is final).
import semver from 'semver';
import type { KubeObject, ObjectStore } from '../store-api.js';
import { createIfAbsent, modify, refOf, rfc3339, Timers } from './util.js';
import { safeList } from './resource-kinds.js';

export interface SageMakerEndpointInfo {
  endpointName: string;
  endpointArn: string;
  endpointConfigName: string;
  endpointStatus: string;
  creationTime?: number | string | Date;
  lastModifiedTime?: number | string | Date;
}

/** what the controller needs of the emulated SageMaker */
export interface AckSageMakerBackend {
  endpointExists(name: string): boolean;
  deleteEndpoint(name: string): void;
  describe(name: string): SageMakerEndpointInfo | undefined;
}

export type AckDeletionPolicy = 'delete' | 'retain';

export interface AckControllerOptions {
  store: ObjectStore;
  sagemaker: AckSageMakerBackend;
  /** the controller's --deletion-policy flag (default "delete", as ACK's pkg/config/config.go) */
  deletionPolicy?: AckDeletionPolicy;
  /** first delay before a failed adoption is tried again; it doubles up to 5 s (default 100 ms) */
  retryMs?: number;
}

export const ENDPOINT_API = 'sagemaker.services.k8s.aws/v1alpha1';
export const ADOPTED_API = 'services.k8s.aws/v1alpha1';
export const ENDPOINT_FINALIZER = 'finalizers.sagemaker.services.k8s.aws/Endpoint';
export const ADOPTED_FINALIZER = 'finalizers.services.k8s.aws/AdoptedResource';
export const DELETION_POLICY = 'services.k8s.aws/deletion-policy';
/** a namespace's default for one service: `<service alias>.services.k8s.aws/deletion-policy` */
export const NAMESPACE_DELETION_POLICY = 'sagemaker.services.k8s.aws/deletion-policy';
export const ADOPTED_ANNOTATION = 'services.k8s.aws/adopted';
/** the error ACK's ReadOne gives when the AWS resource does not exist (pkg/errors: NotFound) */
const NOT_FOUND = 'resource not found';

/**
 * Does the sagemaker-controller release in this image run on an ACK runtime with deletion
 * policies? Each release's go.mod (aws-controllers-k8s/sagemaker-controller) names its runtime:
 * v0.5.1 and earlier are on runtime v0.21.0 or older, v0.6.0 is the first on v0.23.0 (no
 * release used v0.22.x), and the deletion policy arrived in runtime v0.22.0. An image whose tag
 * is not a version (or no controller Deployment at all) counts as a current release.
 */
export function runtimeHasDeletionPolicy(image: string | undefined): boolean {
  const tag = image?.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : undefined;
  const v = tag ? semver.valid(semver.coerce(tag)) : null;
  return !v || semver.gte(v, '0.6.0');
}

/** the image of the cluster's ACK SageMaker controller, as its Deployment in ack-system says */
function controllerImage(store: ObjectStore): string | undefined {
  for (const d of safeList(store, 'apps/v1', 'Deployment', 'ack-system')) {
    const containers = (d.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined)?.template?.spec?.containers ?? [];
    const image = containers.find((c) => c.image?.includes('/sagemaker-controller:'))?.image;
    if (image) return image;
  }
  return undefined;
}

const iso = (t: number | string | Date | undefined): string => rfc3339(t === undefined ? new Date() : new Date(t));

/** the status ACK writes after reading the endpoint from SageMaker */
export function endpointStatusFrom(info: SageMakerEndpointInfo): Record<string, unknown> {
  // arn:aws:sagemaker:<region>:<account>:endpoint/<name>
  const [, , , region = '', account = ''] = info.endpointArn.split(':');
  return {
    ackResourceMetadata: { arn: info.endpointArn, ownerAccountID: account, region },
    endpointStatus: info.endpointStatus,
    creationTime: iso(info.creationTime),
    lastModifiedTime: iso(info.lastModifiedTime ?? info.creationTime),
    conditions: [
      { type: 'ACK.ResourceSynced', status: 'True', message: 'Resource synced successfully', lastTransitionTime: rfc3339() },
    ],
  };
}

export function startAckController(opts: AckControllerOptions): () => void {
  const { store, sagemaker } = opts;
  const controllerPolicy = opts.deletionPolicy ?? 'delete';
  const retryMs = opts.retryMs ?? 100;
  const timers = new Timers();
  const pending = new Set<string>();
  /** adoption retry delays by AdoptedResource uid */
  const backoff = new Map<string, number>();

  /** reconciler.go getDeletionPolicy: the object's annotation, its namespace's, the flag */
  function deletionPolicyOf(ep: KubeObject): string {
    if (!runtimeHasDeletionPolicy(controllerImage(store))) return 'delete';
    const own = ep.metadata.annotations?.[DELETION_POLICY];
    if (own !== undefined) return own;
    const ns = ep.metadata.namespace ? store.get('v1', 'Namespace', ep.metadata.namespace) : undefined;
    const nsPolicy = ns?.metadata.annotations?.[NAMESPACE_DELETION_POLICY];
    if (nsPolicy !== undefined) return nsPolicy;
    return controllerPolicy;
  }

  function reconcileEndpoint(ref: ReturnType<typeof refOf>): void {
    const ep = store.get(ref.apiVersion, ref.kind, ref.name, ref.namespace);
    // only objects that carry ACK's finalizer are managed; without it ACK does nothing
    if (!ep?.metadata.deletionTimestamp || !ep.metadata.finalizers?.includes(ENDPOINT_FINALIZER)) return;
    const name = (ep.spec as { endpointName?: string } | undefined)?.endpointName ?? ep.metadata.name;
    // the accident the upgrade must avoid: the object goes, and takes the live endpoint with it
    if (deletionPolicyOf(ep) === 'delete' && sagemaker.endpointExists(name)) sagemaker.deleteEndpoint(name);
    modify(store, ref, (cur) => {
      cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== ENDPOINT_FINALIZER);
    });
  }

  /** patchAdoptedCondition: Status, and the error as Message (no reason) */
  function setAdopted(ar: KubeObject, error: string | undefined): void {
    modify(store, refOf(ar), (cur) => {
      const conditions = ((cur.status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions ?? []).filter((c) => c.type !== 'ACK.Adopted');
      const before = ((cur.status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions ?? []).find((c) => c.type === 'ACK.Adopted');
      const next: Record<string, unknown> = error === undefined ? { type: 'ACK.Adopted', status: 'True' } : { type: 'ACK.Adopted', status: 'False', message: error };
      if (before && before.status === next.status && before.message === next.message) return false;
      cur.status = { ...(cur.status as Record<string, unknown> | undefined), conditions: [...conditions, next] };
    });
  }

  function retryLater(ar: KubeObject): void {
    const uid = ar.metadata.uid ?? '';
    const delay = backoff.get(uid) ?? retryMs;
    backoff.set(uid, Math.min(delay * 2, 5000));
    timers.after(delay, () => schedule(ar, reconcileAdopted));
  }

  function reconcileAdopted(ref: ReturnType<typeof refOf>): void {
    const ar = store.get(ref.apiVersion, ref.kind, ref.name, ref.namespace);
    if (!ar) return;
    const spec = ar.spec as {
      aws: { nameOrID?: string; arn?: string };
      kubernetes: { group: string; kind: string; metadata?: { name?: string; namespace?: string; generateName?: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: unknown[] } };
    };
    // other ACK service controllers own other groups; this one only answers for SageMaker endpoints
    if (spec.kubernetes.group !== 'sagemaker.services.k8s.aws' || spec.kubernetes.kind !== 'Endpoint') return;
    if (ar.metadata.deletionTimestamp) {
      // cleanup: the adopted object stays, the AdoptedResource's own finalizer goes
      modify(store, ref, (cur) => {
        if (!cur.metadata.finalizers?.includes(ADOPTED_FINALIZER)) return false;
        cur.metadata.finalizers = cur.metadata.finalizers.filter((f) => f !== ADOPTED_FINALIZER);
      });
      return;
    }
    const adopted = ((ar.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === 'ACK.Adopted');
    if (adopted?.status === 'True') return; // isAdopted: True is final

    // SetIdentifiers + ReadOne: the endpoint as SageMaker describes it
    const awsName = spec.aws.nameOrID ?? spec.aws.arn?.split('/').pop();
    const info = awsName && sagemaker.endpointExists(awsName) ? sagemaker.describe(awsName) : undefined;
    if (!info) {
      setAdopted(ar, NOT_FOUND);
      retryLater(ar);
      return;
    }
    const meta = spec.kubernetes.metadata ?? {};
    const target: KubeObject = {
      apiVersion: ENDPOINT_API,
      kind: 'Endpoint',
      metadata: {
        name: meta.name || ar.metadata.name,
        namespace: meta.namespace || ar.metadata.namespace || 'default',
        // MarkAdopted adds its annotation to those asked for; MarkManaged adds the finalizer
        annotations: { ...meta.annotations, [ADOPTED_ANNOTATION]: 'true' },
        finalizers: [ENDPOINT_FINALIZER],
      },
      spec: { endpointName: info.endpointName, endpointConfigName: info.endpointConfigName },
      status: endpointStatusFrom(info),
    };
    if (meta.labels && Object.keys(meta.labels).length) target.metadata.labels = { ...meta.labels };
    if (meta.ownerReferences?.length) target.metadata.ownerReferences = meta.ownerReferences;
    try {
      // only created when absent: an Endpoint object of that name is left as it is
      createIfAbsent(store, target);
    } catch (e) {
      setAdopted(ar, e instanceof Error ? e.message : String(e));
      retryLater(ar);
      return;
    }
    modify(store, ref, (cur) => {
      if (cur.metadata.finalizers?.includes(ADOPTED_FINALIZER)) return false;
      cur.metadata.finalizers = [...(cur.metadata.finalizers ?? []), ADOPTED_FINALIZER];
    });
    backoff.delete(ar.metadata.uid ?? '');
    setAdopted(ar, undefined);
  }

  const schedule = (o: KubeObject, fn: (ref: ReturnType<typeof refOf>) => void) => {
    const key = `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
    if (pending.has(key) || timers.stopped) return;
    pending.add(key);
    // act outside the store's call stack, as a controller's work queue does
    timers.after(0, () => {
      pending.delete(key);
      fn(refOf(o));
    });
  };
  const route = (o: KubeObject) => {
    if (o.apiVersion === ENDPOINT_API && o.kind === 'Endpoint') schedule(o, reconcileEndpoint);
    else if (o.apiVersion === ADOPTED_API && o.kind === 'AdoptedResource') schedule(o, reconcileAdopted);
  };
  const unwatch = store.watch(
    (type, o) => {
      if (type !== 'DELETED' && !timers.stopped) route(o);
    },
    ['sagemaker.services.k8s.aws/Endpoint', 'services.k8s.aws/AdoptedResource'],
  );
  for (const o of safeList(store, ENDPOINT_API, 'Endpoint')) route(o);
  for (const o of safeList(store, ADOPTED_API, 'AdoptedResource')) route(o);

  return () => {
    timers.stop();
    unwatch();
  };
}

/** the emulated AWS account's SageMaker state, as far as the ACK controller needs it */
export interface SageMakerEndpointStore {
  endpoints: Map<
    string,
    { EndpointName: string; EndpointArn: string; EndpointConfigName: string; EndpointStatus: string; CreationTime: number; LastModifiedTime: number }
  >;
  deleteEndpoint(name: string): void;
}

/** adapts the AWS emulator's SageMaker state (AwsState.sagemaker) to the controller's backend */
export function sagemakerBackend(state: SageMakerEndpointStore): AckSageMakerBackend {
  return {
    endpointExists: (name) => state.endpoints.has(name),
    deleteEndpoint: (name) => state.deleteEndpoint(name),
    describe: (name) => {
      const e = state.endpoints.get(name);
      return e
        ? {
            endpointName: e.EndpointName,
            endpointArn: e.EndpointArn,
            endpointConfigName: e.EndpointConfigName,
            endpointStatus: e.EndpointStatus,
            creationTime: e.CreationTime,
            lastModifiedTime: e.LastModifiedTime,
          }
        : undefined;
    },
  };
}
