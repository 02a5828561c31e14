// The application load balancer the AWS Load Balancer Controller provisions for an Ingress of class
// `alb`, named as the controller names it: k8s-<namespace>-<ingress>-<hash>, the first two cut to
// 8 characters without dashes (kubernetes-sigs/aws-load-balancer-controller,
// pkg/ingress/model_build_load_balancer.go). Its DNS name is the Ingress's ADDRESS, which the KServe
// tutorial's "Add DNS records" copies into the serving CNAME (k8s-istiosys-istioing-xxxxxx-...).
// The sandbox's seed (blue's serving ingress) and its controller emulation (green's, created by
// the upgrade) both name load balancers here, so a test can say where a record should point.
import { stableId, type LoadBalancer } from './aws/state.js';
import type { Scenario } from './scenario.js';

/** the ALB hosted zone of each region (the ELB service endpoints table) */
export const ALB_ZONE_ID: Record<string, string> = { 'us-west-2': 'Z1H1FL5HABSF5', 'us-east-1': 'Z35SXDOTRQ7X7K', 'eu-west-1': 'Z32O12XQLNTSW2' };

const part = (s: string) => s.replace(/[^a-zA-Z0-9]/g, '').slice(0, 8);

/** the load balancer name and DNS name the controller gives the Ingress namespace/name of clusterName */
export function ingressLoadBalancerName(s: Pick<Scenario, 'region'>, clusterName: string, namespace: string, name: string): { name: string; dnsName: string } {
  const lbName = `k8s-${part(namespace)}-${part(name)}-${stableId(`lbc:${clusterName}/${namespace}/${name}`, 10)}`;
  return { name: lbName, dnsName: `${lbName}-${stableId(`lbc-dns:${clusterName}/${namespace}/${name}`, 10, '0123456789')}.${s.region}.elb.amazonaws.com` };
}

/** the ELBv2 LoadBalancer of that name, internet-facing on the scenario's public subnets */
export function ingressLoadBalancer(s: Scenario, lb: { name: string; dnsName: string }, securityGroup: string, created = Date.now()): LoadBalancer {
  const id = stableId(`lb-arn:${lb.dnsName}`, 16);
  return {
    LoadBalancerArn: `arn:aws:elasticloadbalancing:${s.region}:${s.accountId}:loadbalancer/app/${lb.name}/${id}`,
    LoadBalancerName: lb.name,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: ALB_ZONE_ID[s.region] ?? 'Z1H1FL5HABSF5',
    CreatedTime: created,
    Scheme: 'internet-facing',
    VpcId: s.vpc.id,
    State: { Code: 'active' },
    Type: 'application',
    AvailabilityZones: s.vpc.publicSubnets.map((subnet, i) => ({ ZoneName: `${s.region}${'abc'[i % 3]}`, SubnetId: subnet })),
    SecurityGroups: [securityGroup],
    IpAddressType: 'ipv4',
  };
}
