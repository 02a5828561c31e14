// Green's load balancer as Route 53 aliases need it. An alias to an Elastic Load Balancing target
// names the load balancer's DNS name together with that load balancer's own canonical hosted zone
// id, both as DescribeLoadBalancers returns them
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html). The zone depends
// on the region and the kind of load balancer (an NLB's is not an ALB's), so it is read, never
// carried over from blue's alias.
import { paginateDescribeLoadBalancers, type ElasticLoadBalancingV2Client, type LoadBalancer } from '@aws-sdk/client-elastic-load-balancing-v2';
import { TaskError } from '../kit/index.js';
import { plainDnsName, targetHost } from './dns-name.js';

/** the load balancer whose DNS name is `host` ("dualstack." or not), across all pages */
export async function loadBalancerByDns(elb: ElasticLoadBalancingV2Client, host: string): Promise<LoadBalancer | undefined> {
  const want = targetHost(host);
  // the SDK's paginator follows NextMarker; the search stops at the page that has it
  for await (const page of paginateDescribeLoadBalancers({ client: elb }, {})) {
    const found = (page.LoadBalancers ?? []).find((lb) => plainDnsName(lb.DNSName ?? '') === want);
    if (found) return found;
  }
  return undefined;
}

/** the alias target for `host`: its load balancer's DNS name and canonical hosted zone id; fails when there is none */
export async function aliasTargetOf(elb: ElasticLoadBalancingV2Client, host: string): Promise<{ dnsName: string; zoneId: string; type: string }> {
  const lb = await loadBalancerByDns(elb, host);
  if (!lb?.CanonicalHostedZoneId || !lb.DNSName) {
    throw new TaskError(`no load balancer in this region has the DNS name ${targetHost(host)}`, {
      code: 'noLoadBalancer',
      hint: "an alias record points at a load balancer by its DNS name and canonical hosted zone id; the record's value (or its to_ingress's address) must be a load balancer's DNS name (kubectl get ingress -n istio-system), or give alias_zone_id",
    });
  }
  return { dnsName: plainDnsName(lb.DNSName), zoneId: lb.CanonicalHostedZoneId, type: lb.Type ?? 'application' };
}
