// The address of an Ingress: the DNS name of the load balancer the AWS Load Balancer Controller made
// for it (status.loadBalancer.ingress[0].hostname, the ADDRESS of `kubectl get ingress`). The KServe
// tutorial's "Add DNS records" copies it into the serving record; the cut-over reads green's.
import { isKubeNotFound, kubeCallError, retryKube, TaskError, type KubeClients } from '../kit/index.js';
import { plainDnsName } from './dns-name.js';

export interface IngressRef {
  cluster: string;
  namespace: string;
  name: string;
}

export const ingressLabel = (r: IngressRef): string => `ingress ${r.namespace}/${r.name} on ${r.cluster}`;

/** the Ingress's load balancer DNS name; fails when the Ingress is absent or has no address yet */
export async function ingressAddress(kube: KubeClients, ref: IngressRef, signal: AbortSignal): Promise<string> {
  let ingress;
  try {
    ingress = await retryKube(() => kube.networking.readNamespacedIngress({ namespace: ref.namespace, name: ref.name }), { signal });
  } catch (e) {
    if (isKubeNotFound(e)) {
      throw new TaskError(`${ingressLabel(ref)} does not exist`, { code: 'ingressMissing', hint: `the record's target is that Ingress's load balancer; check to_ingress (kubectl -n ${ref.namespace} get ingress on ${ref.cluster})` });
    }
    throw kubeCallError(`reading ${ingressLabel(ref)}`, e);
  }
  const host = ingress.status?.loadBalancer?.ingress?.find((i) => i.hostname)?.hostname;
  if (!host) {
    throw new TaskError(`${ingressLabel(ref)} has no address yet`, {
      code: 'ingressNoAddress',
      retryable: true,
      hint: 'the AWS Load Balancer Controller sets it once the load balancer is provisioned, which may take a few minutes; run again then',
    });
  }
  return plainDnsName(host);
}
