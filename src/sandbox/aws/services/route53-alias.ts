// Route 53's check of an alias record's target, a rule the service model does not carry (it only
// types AliasTarget as a hosted zone id and a DNS name). Route 53 resolves the target when the
// change is submitted and refuses the whole batch (InvalidChangeBatch) when it cannot:
//
// - an Elastic Load Balancing target is the load balancer's DNS name (optionally with the
//   "dualstack." prefix) together with that load balancer's canonical hosted zone id, both as
//   DescribeLoadBalancers gives them;
// - a CloudFront target is a *.cloudfront.net name in CloudFront's zone Z2FDTNDATAQYW2;
// - another record is named with the id of the hosted zone it is in, and must exist there with
//   the alias' type.
//
// Sources: https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html (DNSName
// and HostedZoneId: "Elastic Load Balancing ... specify the value of CanonicalHostedZoneId ...
// DNSName ... the value that DescribeLoadBalancers returned"), and the error Route 53 returns,
// "Tried to create an alias that targets ..., type A in zone ..., but the alias target name does
// not lie within the target zone" (ChangeResourceRecordSets, InvalidChangeBatch).

import type { AliasTarget, HostedZone, LoadBalancer, RecordSet } from '../state.js';
import { normalizeDnsName } from '../state.js';

/** CloudFront distributions' hosted zone id, the same in every region (AliasTarget reference) */
export const CLOUDFRONT_ZONE_ID = 'Z2FDTNDATAQYW2';

export interface AliasWorld {
  loadBalancers: () => Iterable<LoadBalancer>;
  /** a hosted zone of this account by id, or undefined */
  zone: (id: string) => HostedZone | undefined;
}

/** why Route 53 refuses this alias, or undefined when it accepts it */
export function aliasProblem(rr: RecordSet & { AliasTarget: AliasTarget }, world: AliasWorld, batchZone: { id: string; records: RecordSet[] }): string | undefined {
  const target = normalizeDnsName(rr.AliasTarget.DNSName);
  const zoneId = rr.AliasTarget.HostedZoneId.replace(/^\/?hostedzone\//, '');
  const notWithin = `Tried to create an alias that targets ${target}, type ${rr.Type} in zone ${zoneId}, but the alias target name does not lie within the target zone`;
  const notFound = `Tried to create an alias that targets ${target}, type ${rr.Type} in zone ${zoneId}, but that target was not found`;

  // another record: in this zone (as the batch leaves it) or another zone of the account
  const own = zoneId === batchZone.id ? batchZone.records : world.zone(zoneId)?.records;
  if (own) {
    const zoneName = zoneId === batchZone.id ? undefined : world.zone(zoneId)?.Name;
    if (zoneName && target !== zoneName && !target.endsWith('.' + zoneName)) return notWithin;
    return own.some((r) => r.Name === target && r.Type === rr.Type) ? undefined : notFound;
  }
  if (zoneId === CLOUDFRONT_ZONE_ID) return /\.cloudfront\.net\.$/.test(target) ? undefined : notWithin;

  // a load balancer: its DNS name (or dualstack.<it>) in its own canonical zone
  const bare = target.replace(/^dualstack\./, '');
  const lb = [...world.loadBalancers()].find((l) => normalizeDnsName(l.DNSName) === bare && l.CanonicalHostedZoneId === zoneId);
  return lb ? undefined : notWithin;
}
