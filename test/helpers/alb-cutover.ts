// alb-cutover's parameters as the upgrade playbook gives them, with the sandbox's names: the rule
// from blue's platform hostname to green's (kubelow_platform_domain), the KServe tutorial's serving
// records to green's serving ingress, and the Cognito apex alias to green's ingress.
import type { Sandbox } from '../../src/sandbox/index.js';

export const cutoverParams = (sb: Sandbox, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  load_balancer: sb.scenario.alb.name,
  rule: { from_host: sb.scenario.blue.platformDomain, to_host: sb.scenario.green.platformDomain },
  hosted_zone: sb.scenario.subdomain,
  serving: {
    domain: sb.scenario.subdomain,
    from_ingress: { cluster: 'blue', name: 'istio-ingress-api' },
    to_ingress: { cluster: 'green', name: 'istio-ingress-api' },
  },
  records: [{ name: sb.scenario.subdomain, type: 'A', to_ingress: { cluster: 'green', name: 'istio-ingress' } }],
  ...over,
});

/** the serving record of a profile namespace (KServe tutorial, "Add DNS records") */
export const servingRecordName = (sb: Sandbox, namespace = sb.scenario.profiles[0].namespace): string => `*.${namespace}.${sb.scenario.subdomain}`;

/**
 * green's serving ingress, as the playbook's knative-config task creates it; the sandbox's load
 * balancer controller gives it its load balancer (sb.scenario.green.servingHost). Resolves once it has.
 */
export async function addGreenServingIngress(sb: Sandbox): Promise<void> {
  const store = sb.clusters.green.server.store;
  if (!store.get('networking.k8s.io/v1', 'Ingress', 'istio-ingress-api', 'istio-system')) {
    store.create({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'istio-ingress-api', namespace: 'istio-system' },
      spec: { ingressClassName: 'alb', rules: [{ http: { paths: [{ path: '/*', pathType: 'ImplementationSpecific', backend: { service: { name: 'istio-ingressgateway', port: { number: 80 } } } }] } }] },
    });
  }
  for (let i = 0; i < 200; i++) {
    const o = store.get('networking.k8s.io/v1', 'Ingress', 'istio-ingress-api', 'istio-system');
    if ((o?.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress?.length) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("green's serving ingress got no address");
}
