// The Route 53 side of the cut-over: the hosted zone by name, its records, and the record sets
// that point the given names at green's load balancers (a CNAME to the host, or an alias A/AAAA
// record to "dualstack.<host>" in the load balancer's canonical zone, as Route 53 writes ALB
// aliases). Each record's target is its own (a value, or an Ingress's address), never the rule's
// redirect host: that one is a platform hostname, these are load balancers.
import {
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
  type RRType,
} from '@aws-sdk/client-route-53';
import type { AlbCutoverParams } from '../generated/alb-cutover.js';
import { TaskError, jsonEqual } from '../kit/index.js';
import { inZone, plainDnsName, sameDnsName, targetHost } from './dns-name.js';

/** one record to point at green, its target resolved (a `value`, or the address of a `to_ingress`) */
export interface RecordSpec {
  name: string;
  type: AlbCutoverParams['records'][number]['type'];
  /**
   * what the record points at after the cut-over: a host name (CNAME) or a load balancer's DNS
   * name (alias); undefined in check mode while its Ingress has no address (known after apply)
   */
  value?: string;
  ttl: number;
  alias_zone_id?: string;
  /** where value came from, for messages: "value" or "ingress green istio-system/istio-ingress-api" */
  source: string;
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
  if (!matches.length) throw new TaskError(`hosted zone ${want} not found`, { code: 'zoneNotFound', hint: 'hosted_zone is the zone name (e.g. platform.example.com) or its id' });
  // a public and a private zone of one name: the public one serves the users' browsers
  const pick = matches.find((z) => !z.Config?.PrivateZone) ?? matches[0];
  return { id: pick.Id!.replace(/^\/hostedzone\//, ''), name: want };
}

export async function listRecords(r53: Route53Client, zoneId: string): Promise<ResourceRecordSet[]> {
  const out: ResourceRecordSet[] = [];
  let name: string | undefined;
  let type: RRType | undefined;
  let identifier: string | undefined;
  for (;;) {
    // a page may end inside a group of records of one name and type (weighted, latency...):
    // NextRecordIdentifier says where in the group the next page starts
    // (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html)
    const res = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, StartRecordType: type, StartRecordIdentifier: identifier }));
    out.push(...(res.ResourceRecordSets ?? []));
    if (!res.IsTruncated) return out;
    name = res.NextRecordName;
    type = res.NextRecordType;
    identifier = res.NextRecordIdentifier;
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

export const sameRecordSet = (a: ResourceRecordSet, b: ResourceRecordSet): boolean => jsonEqual(recordView(a), recordView(b));

/**
 * the record set `spec` asks for, built on the current one (its TTL, dualstack form and health
 * evaluation). An alias' hosted zone is the one of the load balancer it now points at
 * (`aliasZone`, read from ELBv2), never the one blue's alias had: blue's and green's load balancers
 * may be of different kinds, with different canonical zones.
 */
export function desiredRecord(spec: RecordSpec, current: ResourceRecordSet | undefined, aliasZone?: string): ResourceRecordSet {
  const name = plainDnsName(spec.name);
  if (spec.value === undefined) throw new TaskError(`record ${name} ${spec.type}: its target is not known yet`, { code: 'targetUnknown' });
  if (spec.type === 'CNAME') {
    return { Name: name, Type: 'CNAME', TTL: current?.TTL ?? spec.ttl, ResourceRecords: [{ Value: plainDnsName(spec.value) }] };
  }
  const zoneId = spec.alias_zone_id ?? aliasZone;
  if (!zoneId) {
    throw new TaskError(`record ${name} ${spec.type}: an alias needs the hosted zone id of the load balancer it points at`, { code: 'aliasZoneNeeded', hint: `set alias_zone_id on the record (the load balancer's canonical hosted zone id)` });
  }
  const value = plainDnsName(spec.value);
  // keep the current alias' form ("dualstack." or not) when the value does not say; a new alias gets
  // "dualstack.", as Route 53 writes aliases to application load balancers
  const cur = current?.AliasTarget?.DNSName ? plainDnsName(current.AliasTarget.DNSName) : undefined;
  const prefix = cur ? cur.slice(0, cur.length - targetHost(cur).length) : 'dualstack.';
  const dns = value !== targetHost(value) ? value : `${prefix}${value}`;
  return { Name: name, Type: spec.type, AliasTarget: { HostedZoneId: zoneId, DNSName: dns, EvaluateTargetHealth: current?.AliasTarget?.EvaluateTargetHealth ?? true } };
}

/**
 * The KServe tutorial's serving records in the zone ("Add DNS records"): CNAMEs named
 * *.<namespace>.<domain> (one label between) that point at one of `addresses` (blue's serving
 * load balancer, or green's after a cut-over). Returns the namespaces.
 */
export function servingNamespaces(records: ResourceRecordSet[], domain: string, addresses: string[]): string[] {
  const suffix = `.${plainDnsName(domain)}`;
  const want = new Set(addresses.map(targetHost));
  const out = new Set<string>();
  for (const r of records) {
    if (r.Type !== 'CNAME') continue;
    const name = plainDnsName(r.Name ?? '');
    if (!name.startsWith('*.') || !name.endsWith(suffix)) continue;
    const label = name.slice(2, name.length - suffix.length);
    if (!label || label.includes('.')) continue;
    if (want.has(targetHost(recordTarget(r) ?? ''))) out.add(label);
  }
  return [...out].sort();
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
    throw new TaskError(`record ${plainDnsName(spec.name)} is not in hosted zone ${zone.name}`, { code: 'recordOutsideZone', hint: 'records are names inside hosted_zone, e.g. "*.staging.platform.example.com"' });
  }
  if (spec.type === 'CNAME' && sameDnsName(spec.name, zone.name)) {
    throw new TaskError(`record ${zone.name}: a CNAME is not allowed at the zone apex`, { code: 'cnameAtApex', hint: 'use type A (an alias) for the apex, as Cognito deployments have' });
  }
}
