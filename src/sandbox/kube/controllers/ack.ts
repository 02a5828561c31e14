// The emulated ACK SageMaker controller of one sandbox cluster. Two behaviours matter to the
// upgrade: deleting an Endpoint object deletes the real SageMaker endpoint unless the object
// says `services.k8s.aws/deletion-policy: retain` (or lost its finalizer first), and an
// AdoptedResource binds a new Endpoint object to an endpoint that already exists.
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

export interface AckControllerOptions {
  store: ObjectStore;
  sagemaker: AckSageMakerBackend;
}

export const ENDPOINT_API = 'sagemaker.services.k8s.aws/v1alpha1';
export const ADOPTED_API = 'services.k8s.aws/v1alpha1';
export const ENDPOINT_FINALIZER = 'finalizers.sagemaker.services.k8s.aws/Endpoint';
export const DELETION_POLICY = 'services.k8s.aws/deletion-policy';
const ADOPTION_POLICY = 'services.k8s.aws/adoption-policy';

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
  const timers = new Timers();
  const pending = new Set<string>();

  function reconcileEndpoint(ref: ReturnType<typeof refOf>): void {
    const ep = store.get(ref.apiVersion, ref.kind, ref.name, ref.namespace);
    if (!ep?.metadata.deletionTimestamp || !ep.metadata.finalizers?.includes(ENDPOINT_FINALIZER)) return;
    const retain = (ep.metadata.annotations?.[DELETION_POLICY] ?? '').toLowerCase() === 'retain';
    const name = (ep.spec as { endpointName?: string } | undefined)?.endpointName ?? ep.metadata.name;
    // the accident the upgrade must avoid: the object goes, and takes the live endpoint with it
    if (!retain && sagemaker.endpointExists(name)) sagemaker.deleteEndpoint(name);
    modify(store, ref, (cur) => {
      cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== ENDPOINT_FINALIZER);
    });
  }

  function setAdopted(ar: KubeObject, status: 'True' | 'False', reason: string, message: string): void {
    modify(store, refOf(ar), (cur) => {
      cur.status = { conditions: [{ type: 'ACK.Adopted', status, reason, message, lastTransitionTime: rfc3339() }] };
    });
  }

  function reconcileAdopted(ref: ReturnType<typeof refOf>): void {
    const ar = store.get(ref.apiVersion, ref.kind, ref.name, ref.namespace);
    if (!ar || ar.metadata.deletionTimestamp) return;
    const conds = ((ar.status as { conditions?: { type: string }[] } | undefined)?.conditions ?? []).filter((c) => c.type === 'ACK.Adopted');
    if (conds.length) return; // adoption is attempted once, as ACK does for a given object
    const spec = ar.spec as {
      aws: { nameOrID?: string; arn?: string };
      kubernetes: { group: string; kind: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } };
    };
    // other ACK service controllers own other groups; this one only answers for SageMaker endpoints
    if (spec.kubernetes.group !== 'sagemaker.services.k8s.aws' || spec.kubernetes.kind !== 'Endpoint') return;
    const awsName = spec.aws.nameOrID ?? spec.aws.arn?.split('/').pop();
    if (!awsName) {
      setAdopted(ar, 'False', 'InvalidSpec', 'spec.aws must give nameOrID or arn');
      return;
    }
    const info = sagemaker.endpointExists(awsName) ? sagemaker.describe(awsName) : undefined;
    if (!info) {
      setAdopted(ar, 'False', 'NotFound', `SageMaker endpoint "${awsName}" does not exist in this account and region`);
      return;
    }
    const meta = spec.kubernetes.metadata ?? {};
    const name = meta.name ?? awsName;
    const namespace = meta.namespace ?? ar.metadata.namespace ?? 'default';
    const target: KubeObject = {
      apiVersion: ENDPOINT_API,
      kind: 'Endpoint',
      metadata: {
        name,
        namespace,
        labels: meta.labels,
        annotations: { ...meta.annotations, [ADOPTION_POLICY]: 'adopt' },
        finalizers: [ENDPOINT_FINALIZER],
      },
      spec: { endpointName: info.endpointName, endpointConfigName: info.endpointConfigName },
      status: endpointStatusFrom(info),
    };
    if (!target.metadata.labels) delete target.metadata.labels;
    if (!createIfAbsent(store, target)) {
      setAdopted(ar, 'False', 'AlreadyExists', `Endpoint ${namespace}/${name} already exists in the cluster`);
      return;
    }
    setAdopted(ar, 'True', 'Adopted', `adopted SageMaker endpoint ${info.endpointArn}`);
  }

  const schedule = (o: KubeObject, fn: (ref: ReturnType<typeof refOf>) => void) => {
    const key = `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
    if (pending.has(key)) return;
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
