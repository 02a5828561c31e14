// The Route 53 side of the cut-over: the hosted zone by name, its records, and the record sets
// that point the given names at green's ingress (a CNAME to the host, or an alias A/AAAA record
// to "dualstack.<host>" in the load balancer's canonical zone, as Route 53 writes ALB aliases).
import {
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { UserError } from '../../runner/errors.js';
import { inZone, plainDnsName, sameDnsName, targetHost } from './dns-name.js';

export interface RecordSpec {
  name: string;
  type: 'CNAME' | 'A' | 'AAAA';
  /** what the record should point at; default the target host */
  value?: string;
  /** TTL of a new CNAME (an existing one keeps its TTL); default 300 */
  ttl?: number;
  /** hosted zone id of an alias target when the record does not exist yet */
  alias_zone_id?: string;
}

export interface Zone {
  id: string;
  name: string;
}

export async function findZone(r53: Route53Client, hostedZone: string): Promise<Zone> {
  if (/^(\/hostedzone\/)?Z[A-Z0-9]+$/.test(hostedZone)) {
    const id = hostedZone.replace(/^\/hostedzone\//, '');
    const res = await r53.send(new ListHostedZonesByNameCommand({}));
    const z = res.HostedZones?.find((h) => h.Id?.replace(/^\/hostedzone\//, '') === id);
    return { id, name: z?.Name ? plainDnsName(z.Name) : id };
  }
  const want = plainDnsName(hostedZone);
  const res = await r53.send(new ListHostedZonesByNameCommand({ DNSName: want, MaxItems: 10 }));
  const matches = (res.HostedZones ?? []).filter((z) => sameDnsName(z.Name ?? '', want));
  if (!matches.length) throw new UserError(`hosted zone ${want} not found`, { hint: 'hosted_zone is the zone name (e.g. platform.example.com) or its id', exitCode: 1 });
  // a public and a private zone of one name: the public one serves the users' browsers
  const pick = matches.find((z) => !z.Config?.PrivateZone) ?? matches[0];
  return { id: pick.Id!.replace(/^\/hostedzone\//, ''), name: want };
}

export async function listRecords(r53: Route53Client, zoneId: string): Promise<ResourceRecordSet[]> {
  const out: ResourceRecordSet[] = [];
  let name: string | undefined;
  let type: string | undefined;
  for (;;) {
    const res = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, StartRecordType: type as never }));
    out.push(...(res.ResourceRecordSets ?? []));
    if (!res.IsTruncated) return out;
    name = res.NextRecordName;
    type = res.NextRecordType;
  }
}

/** what a record points at: a CNAME's value or an alias' DNS name, plain */
export const recordTarget = (rr: ResourceRecordSet | undefined): string | undefined =>
  rr ? plainDnsName(rr.AliasTarget?.DNSName ?? rr.ResourceRecords?.[0]?.Value ?? '') : undefined;

export const findRecord = (records: ResourceRecordSet[], name: string, type: string): ResourceRecordSet | undefined =>
  records.find((r) => sameDnsName(r.Name ?? '', name) && r.Type === type && !r.SetIdentifier);

/** a record set as we compare, show and journal it: plain name, only the fields that matter */
export function recordView(rr: ResourceRecordSet): ResourceRecordSet {
  const v: ResourceRecordSet = { Name: plainDnsName(rr.Name ?? ''), Type: rr.Type };
  if (rr.AliasTarget) v.AliasTarget = { HostedZoneId: rr.AliasTarget.HostedZoneId, DNSName: plainDnsName(rr.AliasTarget.DNSName ?? ''), EvaluateTargetHealth: rr.AliasTarget.EvaluateTargetHealth ?? false };
  else {
    v.TTL = rr.TTL;
    v.ResourceRecords = (rr.ResourceRecords ?? []).map((r) => ({ Value: plainDnsName(r.Value ?? '') }));
  }
  return v;
}

export const sameRecordSet = (a: ResourceRecordSet, b: ResourceRecordSet): boolean => JSON.stringify(recordView(a)) === JSON.stringify(recordView(b));

/** the record set `spec` asks for, built on the current one (its TTL, alias zone and dualstack form) */
export function desiredRecord(spec: RecordSpec, current: ResourceRecordSet | undefined, hosts: { from: string; to: string }): ResourceRecordSet {
  const name = plainDnsName(spec.name);
  if (spec.type === 'CNAME') {
    return { Name: name, Type: 'CNAME', TTL: current?.TTL ?? spec.ttl ?? 300, ResourceRecords: [{ Value: plainDnsName(spec.value ?? hosts.to) }] };
  }
  const zoneId = current?.AliasTarget?.HostedZoneId ?? spec.alias_zone_id;
  if (!zoneId) {
    throw new UserError(`record ${name} ${spec.type} does not exist, and an alias needs the load balancer's hosted zone id`, { hint: `set alias_zone_id on the record (the ALB's canonical hosted zone id)`, exitCode: 1 });
  }
  let dns: string;
  if (spec.value) dns = plainDnsName(spec.value);
  else {
    const cur = current?.AliasTarget?.DNSName ? plainDnsName(current.AliasTarget.DNSName) : undefined;
    // keep the current alias' form ("dualstack." or not); only the host changes
    const prefix = cur && cur !== targetHost(cur) ? cur.slice(0, cur.length - targetHost(cur).length) : 'dualstack.';
    dns = `${prefix}${plainDnsName(hosts.to)}`;
  }
  return { Name: name, Type: spec.type, AliasTarget: { HostedZoneId: zoneId, DNSName: dns, EvaluateTargetHealth: current?.AliasTarget?.EvaluateTargetHealth ?? true } };
}

/**
 * Does `host` resolve through this zone? A name inside the zone resolves when a record of that
 * name exists; a name outside it (an ELB's DNS name, as ingress hosts are) when some record of the
 * zone points at it, as a CNAME value or an alias target. The deployment creates such a record for
 * each cluster's ingress (e.g. green.<subdomain>), so its absence means green was not set up here.
 */
export function hostResolves(records: ResourceRecordSet[], zone: Zone, host: string): { ok: boolean; via?: string } {
  const h = plainDnsName(host);
  if (inZone(h, zone.name)) {
    const r = records.find((x) => sameDnsName(x.Name ?? '', h) && ['A', 'AAAA', 'CNAME'].includes(x.Type ?? ''));
    return r ? { ok: true, via: `${plainDnsName(r.Name ?? '')} ${r.Type}` } : { ok: false };
  }
  const r = records.find((x) => ['A', 'AAAA', 'CNAME'].includes(x.Type ?? '') && targetHost(recordTarget(x) ?? '') === targetHost(h));
  return r ? { ok: true, via: `${plainDnsName(r.Name ?? '')} ${r.Type}` } : { ok: false };
}

export function checkRecordName(spec: RecordSpec, zone: Zone): void {
  if (!inZone(spec.name, zone.name)) {
    throw new UserError(`record ${plainDnsName(spec.name)} is not in hosted zone ${zone.name}`, { hint: 'records are names inside hosted_zone, e.g. "*.platform.example.com"' });
  }
  if (spec.type === 'CNAME' && sameDnsName(spec.name, zone.name)) {
    throw new UserError(`record ${zone.name}: a CNAME is not allowed at the zone apex`, { hint: 'use type A (an alias) for the apex, as Cognito deployments have' });
  }
}
