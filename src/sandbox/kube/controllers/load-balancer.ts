// The AWS Load Balancer Controller, as far as the upgrade sees it: an Ingress of class `alb` gets
// an application load balancer, and the load balancer's DNS name in the Ingress's
// status.loadBalancer.ingress[0].hostname (its ADDRESS in `kubectl get ingress`); deleting the
// Ingress deletes the load balancer. Names as the real controller gives them
// (../../ingress-load-balancer.ts). Provisioning takes `provisionMs` (default 0 ms; the KServe
// tutorial warns that it "may take a few minutes").
import type { LoadBalancer } from '../../aws/state.js';
import { ingressLoadBalancer, ingressLoadBalancerName } from '../../ingress-load-balancer.js';
import type { Scenario } from '../../scenario.js';
import type { KubeObject, ObjectStore } from '../store-api.js';
import { modify, refOf, Timers } from './util.js';

export interface LoadBalancerControllerOptions {
  store: ObjectStore;
  scenario: Scenario;
  clusterName: string;
  securityGroup: string;
  /** the AWS emulator's load balancers, by ARN (AwsState.elbv2.loadBalancers) */
  loadBalancers: Map<string, LoadBalancer>;
  provisionMs?: number;
}

const isAlb = (o: KubeObject) =>
  (o.spec as { ingressClassName?: string } | undefined)?.ingressClassName === 'alb' || o.metadata.annotations?.['kubernetes.io/ingress.class'] === 'alb';
const addressOf = (o: KubeObject) => (o.status as { loadBalancer?: { ingress?: { hostname?: string }[] } } | undefined)?.loadBalancer?.ingress?.[0]?.hostname;

export function startLoadBalancerController(opts: LoadBalancerControllerOptions): () => void {
  const { store, scenario, clusterName } = opts;
  const timers = new Timers();

  function provision(o: KubeObject): void {
    const namespace = o.metadata.namespace ?? 'default';
    const names = ingressLoadBalancerName(scenario, clusterName, namespace, o.metadata.name);
    const lb = ingressLoadBalancer(scenario, names, opts.securityGroup);
    opts.loadBalancers.set(lb.LoadBalancerArn, lb);
    modify(store, refOf(o), (cur) => {
      if (addressOf(cur) === names.dnsName) return false;
      cur.status = { ...(cur.status ?? {}), loadBalancer: { ingress: [{ hostname: names.dnsName }] } };
    });
  }

  function remove(o: KubeObject): void {
    const { dnsName } = ingressLoadBalancerName(scenario, clusterName, o.metadata.namespace ?? 'default', o.metadata.name);
    for (const [arn, lb] of opts.loadBalancers) if (lb.DNSName === dnsName) opts.loadBalancers.delete(arn);
  }

  const unwatch = store.watch(
    (type, o) => {
      if (timers.stopped || !isAlb(o)) return;
      if (type === 'DELETED') remove(o);
      else if (!addressOf(o)) timers.after(opts.provisionMs ?? 0, () => provision(o));
    },
    ['networking.k8s.io/Ingress'],
  );
  return () => {
    timers.stop();
    unwatch();
  };
}
