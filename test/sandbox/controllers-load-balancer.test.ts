// The sandbox's AWS Load Balancer Controller (src/sandbox/kube/controllers/load-balancer.ts): an
// Ingress of class alb gets an application load balancer named as the real controller names it
// (k8s-<namespace>-<ingress>-<hash>, kubernetes-sigs/aws-load-balancer-controller
// pkg/ingress/model_build_load_balancer.go) and that load balancer's DNS name as its address (the
// KServe tutorial's "Check if the ingress-managed Load Balancer is provisioned"); deleting the
// Ingress deletes the load balancer. Other classes are not its business.
import { describe, expect, it } from 'vitest';
import type { LoadBalancer } from '../../src/sandbox/aws/state.js';
import { ingressLoadBalancerName } from '../../src/sandbox/ingress-load-balancer.js';
import { startLoadBalancerController } from '../../src/sandbox/kube/controllers/load-balancer.js';
import { MemoryStore } from '../../src/sandbox/kube/store.js';
import { makeScenario } from '../../src/sandbox/scenario.js';
import { waitFor } from './controllers-helpers.js';

const ingress = (name: string, className: string) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: 'istio-system' },
  spec: { ingressClassName: className, rules: [{ http: { paths: [{ path: '/*', pathType: 'ImplementationSpecific', backend: { service: { name: 'istio-ingressgateway', port: { number: 80 } } } }] } }] },
});
const address = (store: MemoryStore, name: string) =>
  (store.get('networking.k8s.io/v1', 'Ingress', name, 'istio-system')?.status as { loadBalancer?: { ingress?: { hostname?: string }[] } } | undefined)?.loadBalancer?.ingress?.[0]?.hostname;

describe('the sandbox AWS Load Balancer Controller', () => {
  it('gives an alb Ingress a load balancer and its address, removes it with the Ingress, and leaves other classes alone', async () => {
    const scenario = makeScenario({ profiles: 0 });
    const store = new MemoryStore();
    const loadBalancers = new Map<string, LoadBalancer>();
    const stop = startLoadBalancerController({ store, scenario, clusterName: 'kubeflow-green', securityGroup: 'sg-1', loadBalancers });
    try {
      store.create(ingress('istio-ingress-api', 'alb'));
      store.create(ingress('other', 'nginx'));
      const host = await waitFor('the address', () => address(store, 'istio-ingress-api'));
      expect(host).toBe(scenario.green.servingHost);
      expect(host).toMatch(/^k8s-istiosys-istioing-[0-9a-f]{10}-\d{10}\.us-west-2\.elb\.amazonaws\.com$/);
      const lb = [...loadBalancers.values()].find((l) => l.DNSName === host)!;
      expect(lb).toMatchObject({ LoadBalancerName: ingressLoadBalancerName(scenario, 'kubeflow-green', 'istio-system', 'istio-ingress-api').name, Type: 'application', Scheme: 'internet-facing', CanonicalHostedZoneId: 'Z1H1FL5HABSF5' });
      expect(address(store, 'other')).toBeUndefined();
      expect(loadBalancers.size).toBe(1);
      store.delete('networking.k8s.io/v1', 'Ingress', 'istio-ingress-api', 'istio-system');
      await waitFor('the load balancer to go', () => loadBalancers.size === 0);
    } finally {
      stop();
    }
  });
});
