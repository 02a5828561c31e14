// The address of an Ingress: the DNS name of the load balancer the AWS Load Balancer Controller made
// for it (status.loadBalancer.ingress[0].hostname, the ADDRESS of `kubectl get ingress`). The KServe
// tutorial's "Add DNS records" copies it into the serving record; the cut-over reads green's.
import { isKubeNotFound, kubeCallError, poll, retryKube, TaskError, type KubeClients, type TaskContext } from '../kit/index.js';
import { plainDnsName } from './dns-name.js';

export interface IngressRef {
  cluster: string;
  namespace: string;
  name: string;
}

export const ingressLabel = (r: IngressRef): string => `ingress ${r.namespace}/${r.name} on ${r.cluster}`;

/** the Ingress's load balancer DNS name, undefined while it has none; fails when the Ingress is absent */
async function readAddress(kube: KubeClients, ref: IngressRef, signal: AbortSignal): Promise<string | undefined> {
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
  return host ? plainDnsName(host) : undefined;
}

/**
 * The address a record is to point at. In check mode an Ingress that an earlier task of the run
 * creates (green's serving ingress) may not exist yet, or have no load balancer yet: undefined,
 * the target is known after apply. In run mode a missing Ingress fails, and one without an
 * address is waited for (the AWS Load Balancer Controller provisions the load balancer, which
 * "may take a few minutes", the KServe tutorial says) for at most `waitMs`.
 */
export async function ingressAddress(ctx: Pick<TaskContext, 'kube' | 'signal' | 'mode' | 'progress'>, ref: IngressRef, waitMs: number): Promise<string | undefined> {
  const kube = ctx.kube(ref.cluster);
  if (ctx.mode !== 'run') {
    try {
      return await readAddress(kube, ref, ctx.signal);
    } catch (e) {
      if (e instanceof TaskError && e.code === 'ingressMissing') return undefined;
      throw e;
    }
  }
  return poll<string>(
    {
      what: `the load balancer of ${ingressLabel(ref)}`,
      signal: ctx.signal,
      timeoutMs: waitMs,
      progress: (state, waited) => ctx.progress(`${ingressLabel(ref)}: ${state} (${Math.round(waited / 1000)} s)`),
      onStop: 'the AWS Load Balancer Controller sets the address once the load balancer is provisioned; run again then',
    },
    async () => {
      const host = await readAddress(kube, ref, ctx.signal);
      return host ? { done: true, value: host } : { done: false, state: 'no address yet' };
    },
  );
}
