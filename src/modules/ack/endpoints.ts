// The ACK SageMaker Endpoint objects of a cluster, and the names ACK gives their parts.
import { listAll, type KubeClients, type KubeRetryOptions } from '../kit/index.js';

export const ENDPOINT = { group: 'sagemaker.services.k8s.aws', version: 'v1alpha1', plural: 'endpoints', kind: 'Endpoint' } as const;
export const ADOPTED = { group: 'services.k8s.aws', version: 'v1alpha1', plural: 'adoptedresources', kind: 'AdoptedResource' } as const;
export const ENDPOINT_FINALIZER = 'finalizers.sagemaker.services.k8s.aws/Endpoint';
export const DELETION_POLICY = 'services.k8s.aws/deletion-policy';

export interface EndpointObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
  };
  spec?: { endpointName?: string; endpointConfigName?: string };
  status?: { ackResourceMetadata?: { arn?: string }; endpointStatus?: string };
}

/** the SageMaker name of an Endpoint object (spec.endpointName, else the object's name) */
export const sagemakerName = (ep: EndpointObject): string => ep.spec?.endpointName ?? ep.metadata.name;

export const endpointKey = (ep: { metadata: { namespace: string; name: string } }): string => `${ep.metadata.namespace}/${ep.metadata.name}`;

/** every Endpoint object, of all namespaces or of the ones given, sorted by namespace and name */
export async function listEndpoints(kube: KubeClients, namespaces: string[] | undefined, retry: KubeRetryOptions): Promise<EndpointObject[]> {
  const { group, version, plural } = ENDPOINT;
  const out: EndpointObject[] = [];
  if (namespaces?.length) {
    for (const namespace of namespaces) {
      out.push(
        ...(await listAll<EndpointObject>((cont, limit) => kube.custom.listNamespacedCustomObject({ group, version, plural, namespace, limit, _continue: cont }), retry)),
      );
    }
  } else {
    out.push(...(await listAll<EndpointObject>((cont, limit) => kube.custom.listClusterCustomObject({ group, version, plural, limit, _continue: cont }), retry)));
  }
  return out.sort((a, b) => endpointKey(a).localeCompare(endpointKey(b)));
}

export async function getEndpoint(kube: KubeClients, namespace: string, name: string): Promise<EndpointObject> {
  const { group, version, plural } = ENDPOINT;
  return (await kube.custom.getNamespacedCustomObject({ group, version, plural, namespace, name })) as EndpointObject;
}
