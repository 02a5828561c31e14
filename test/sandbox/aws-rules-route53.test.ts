// Route 53's documented rules that the model does not carry, sent by the real SDK client:
// - an alias to a load balancer names its DNS name with its canonical hosted zone id, as
//   DescribeLoadBalancers gives them (AliasTarget: https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html);
// - no CNAME at the zone apex, none beside another record of the same name (RFC 1034 3.6.2;
//   https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html);
// - ListResourceRecordSets returns at most 300 records a page, and names the next one with
//   NextRecordName, NextRecordType and NextRecordIdentifier
//   (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html).

import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ChangeResourceRecordSetsCommand, InvalidChangeBatch, ListHostedZonesCommand, ListResourceRecordSetsCommand, Route53Client, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILLER_HOSTS } from '../../src/sandbox/aws/seed.js';
import { aliasProblem } from '../../src/sandbox/aws/services/route53-alias.js';
import type { AliasTarget, RecordSet } from '../../src/sandbox/aws/state.js';
import { startAws, type AwsFixture } from './aws-helpers.js';

let f: AwsFixture;
let r53: Route53Client;
beforeAll(async () => {
  f = await startAws({ dnsChangeMs: 10 });
  r53 = new Route53Client(f.cfg());
});
afterAll(async () => {
  await f?.emulator.stop();
});

const zoneId = () => f.scenario.hostedZone.id;
const name = (label: string) => `${label}.${f.scenario.subdomain}`;
const upsert = (rr: ResourceRecordSet) => r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId(), ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: rr }] } }));

async function refused(p: Promise<unknown>): Promise<string> {
  const e: unknown = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(InvalidChangeBatch);
  return e instanceof InvalidChangeBatch ? e.message : '';
}

/** green's ingress load balancer as ELBv2 describes it */
async function greenLb() {
  const elb = new ElasticLoadBalancingV2Client(f.cfg());
  const all = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers!;
  const lb = all.find((l) => l.DNSName === f.scenario.green.ingressHost);
  if (!lb) throw new Error('green ingress load balancer not seeded');
  return lb;
}

describe('Route 53 alias targets (AliasTarget reference: a load balancer’s DNS name with its CanonicalHostedZoneId)', () => {
  it('an alias to an existing load balancer, with or without dualstack., in its canonical zone is accepted', async () => {
    const lb = await greenLb();
    await upsert({ Name: name('alias-plain'), Type: 'A', AliasTarget: { HostedZoneId: lb.CanonicalHostedZoneId, DNSName: lb.DNSName, EvaluateTargetHealth: true } });
    await upsert({ Name: name('alias-dual'), Type: 'AAAA', AliasTarget: { HostedZoneId: lb.CanonicalHostedZoneId, DNSName: `dualstack.${lb.DNSName}`, EvaluateTargetHealth: false } });
    expect(f.emulator.state.route53.record(zoneId(), name('alias-dual'), 'AAAA')?.AliasTarget?.DNSName).toBe(`dualstack.${lb.DNSName}.`);
  });

  it('an alias to a name that is no load balancer is InvalidChangeBatch "does not lie within the target zone"', async () => {
    const lb = await greenLb();
    const msg = await refused(upsert({ Name: name('alias-bad'), Type: 'A', AliasTarget: { HostedZoneId: lb.CanonicalHostedZoneId, DNSName: 'dualstack.k8s-nothing-0000.us-west-2.elb.amazonaws.com', EvaluateTargetHealth: true } }));
    expect(msg).toContain(`Tried to create an alias that targets dualstack.k8s-nothing-0000.us-west-2.elb.amazonaws.com., type A in zone ${lb.CanonicalHostedZoneId}, but the alias target name does not lie within the target zone`);
    expect(f.emulator.state.route53.record(zoneId(), name('alias-bad'), 'A')).toBeUndefined();
  });

  it('the right load balancer with another zone id (us-east-1’s) is refused too', async () => {
    const lb = await greenLb();
    const msg = await refused(upsert({ Name: name('alias-zone'), Type: 'A', AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: lb.DNSName, EvaluateTargetHealth: true } }));
    expect(msg).toMatch(/type A in zone Z35SXDOTRQ7X7K, but the alias target name does not lie within the target zone/);
  });

  it('an alias to another record of the zone needs that record, of the same type', async () => {
    await upsert({ Name: name('alias-rec'), Type: 'A', AliasTarget: { HostedZoneId: zoneId(), DNSName: name('svc-000'), EvaluateTargetHealth: false } });
    const msg = await refused(upsert({ Name: name('alias-rec2'), Type: 'A', AliasTarget: { HostedZoneId: zoneId(), DNSName: name('green'), EvaluateTargetHealth: false } }));
    expect(msg).toMatch(/but that target was not found/);
  });

  it('every alias the seed holds passes the same check', () => {
    const zone = f.emulator.state.route53.zone(zoneId());
    const aliases = zone.records.filter((r): r is RecordSet & { AliasTarget: AliasTarget } => !!r.AliasTarget);
    expect(aliases.length).toBeGreaterThanOrEqual(2);
    for (const r of aliases) {
      expect(aliasProblem(r, { loadBalancers: () => f.emulator.state.elbv2.loadBalancers.values(), zone: (id) => f.emulator.state.route53.zones.get(id) }, { id: zone.Id, records: zone.records })).toBeUndefined();
    }
  });
});

describe('Route 53 CNAME rules (RFC 1034 3.6.2, Route 53 developer guide)', () => {
  it('a CNAME at the zone apex is refused', async () => {
    const msg = await refused(upsert({ Name: f.scenario.subdomain, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: f.scenario.green.ingressHost }] }));
    expect(msg).toContain(`RRSet of type CNAME with DNS name ${f.scenario.subdomain}. is not permitted at apex in zone ${f.scenario.subdomain}.`);
  });

  it('a CNAME beside an A record of the same name is refused, and an A beside a CNAME', async () => {
    const msg = await refused(upsert({ Name: name('svc-001'), Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'elsewhere.example.com' }] }));
    expect(msg).toContain(`RRSet of type CNAME with DNS name svc-001.${f.scenario.subdomain}. is not permitted because a conflicting RRSet of type A with the same DNS name already exists in zone ${f.scenario.subdomain}.`);
    // green's platform hostname is a CNAME (cognito-ingress's cname_record)
    const back = await refused(upsert({ Name: f.scenario.green.platformDomain, Type: 'A', TTL: 300, ResourceRecords: [{ Value: '10.0.0.9' }] }));
    expect(back).toContain(`RRSet of type A with DNS name ${f.scenario.green.platformDomain}. is not permitted because a conflicting RRSet of type CNAME`);
  });

  it('one batch that deletes the A record and creates the CNAME is accepted (changes apply in order)', async () => {
    const a = f.emulator.state.route53.record(zoneId(), name('svc-002'), 'A')!;
    await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId(), ChangeBatch: { Changes: [
      { Action: 'DELETE', ResourceRecordSet: { Name: a.Name, Type: 'A', TTL: a.TTL, ResourceRecords: a.ResourceRecords } },
      { Action: 'CREATE', ResourceRecordSet: { Name: name('svc-002'), Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'svc-002.internal.example.com' }] } },
    ] } }));
    expect(f.emulator.state.route53.record(zoneId(), name('svc-002'), 'CNAME')).toBeDefined();
  });
});

describe('ListResourceRecordSets paging (API reference: up to 300 a page, NextRecordName/Type/Identifier)', () => {
  it('the seeded zone takes more than one page; a larger maxitems still gets 300', async () => {
    expect(f.emulator.state.route53.zone(zoneId()).records.length).toBeGreaterThan(300);
    expect(FILLER_HOSTS).toBeGreaterThan(300);
    const first = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId() }));
    expect(first.ResourceRecordSets).toHaveLength(300);
    expect(first.IsTruncated).toBe(true);
    expect(first.NextRecordName).toMatch(/^svc-\d{3}\.platform\.example\.com\.$/);
    expect(first.NextRecordType).toBe('A');
    const big = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId(), MaxItems: 1000 }));
    expect(big.ResourceRecordSets).toHaveLength(300);
    // the platform's own records come first (names sort with their labels reversed)
    const names = first.ResourceRecordSets!.map((r) => `${r.Name} ${r.Type}`);
    expect(names.slice(0, 3)).toEqual(['platform.example.com. A', 'platform.example.com. NS', 'platform.example.com. SOA']);
    expect(names).toContain(`${f.scenario.green.platformDomain}. CNAME`);
  });

  it('paging by NextRecordName, NextRecordType and NextRecordIdentifier visits every record once, weighted ones included', async () => {
    const lb = await greenLb();
    // three weighted records of one name and type, which only the identifier tells apart
    await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId(), ChangeBatch: { Changes: ['blue', 'green', 'zz-canary'].map((id, i) => ({
      Action: 'CREATE' as const,
      ResourceRecordSet: { Name: name('weighted'), Type: 'A' as const, SetIdentifier: id, Weight: 10 * i, AliasTarget: { HostedZoneId: lb.CanonicalHostedZoneId, DNSName: lb.DNSName, EvaluateTargetHealth: false } },
    })) } }));
    const all = f.emulator.state.route53.records(zoneId());
    const at = all.findIndex((r) => r.SetIdentifier === 'green');
    // from two records before the weighted ones, two at a time: a page ends between 'blue' and 'green'
    const from = all[at - 2];
    expect(from.SetIdentifier).toBeUndefined();
    const seen: string[] = [];
    let start: { StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type']; StartRecordIdentifier?: string } = { StartRecordName: from.Name, StartRecordType: from.Type as ResourceRecordSet['Type'] };
    let identifiers = 0;
    for (let page = 0; page < all.length; page++) {
      const out = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId(), MaxItems: 2, ...start }));
      seen.push(...out.ResourceRecordSets!.map((r) => `${r.Name} ${r.Type} ${r.SetIdentifier ?? ''}`));
      if (!out.IsTruncated) break;
      if (out.NextRecordIdentifier) identifiers++;
      start = { StartRecordName: out.NextRecordName, StartRecordType: out.NextRecordType, StartRecordIdentifier: out.NextRecordIdentifier };
    }
    expect(identifiers).toBeGreaterThanOrEqual(1);
    expect(seen).toEqual(all.slice(at - 2).map((r) => `${r.Name} ${r.Type} ${r.SetIdentifier ?? ''}`));
  });

  it('list-hosted-zones lists the zone with its record count', async () => {
    const out = await r53.send(new ListHostedZonesCommand({}));
    expect(out.HostedZones?.map((z) => z.Id)).toEqual([`/hostedzone/${zoneId()}`]);
    expect(out.HostedZones?.[0].ResourceRecordSetCount).toBe(f.emulator.state.route53.zone(zoneId()).records.length);
    expect(out.IsTruncated).toBe(false);
  });
});
