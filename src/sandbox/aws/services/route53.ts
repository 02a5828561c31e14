// Route 53 over restXml: the platform's hosted zone, its records, and changes that go from
// PENDING to INSYNC after a delay (the cut-over waits on GetChange).

import { restService } from '../service.js';
import { normalizeDnsName, type HostedZone, type RecordSet } from '../state.js';
import { AwsError, isoTime, parseXml, xmlChild, xmlChildren, xmlText, type XmlNode } from '../wire.js';

const zoneOut = (z: HostedZone) => ({
  Id: `/hostedzone/${z.Id}`,
  Name: z.Name,
  CallerReference: z.CallerReference,
  Config: { Comment: z.Comment, PrivateZone: z.PrivateZone },
  ResourceRecordSetCount: z.records.length,
});

const recordOut = (r: RecordSet) => ({
  Name: r.Name,
  Type: r.Type,
  SetIdentifier: r.SetIdentifier,
  TTL: r.TTL,
  ResourceRecords: r.ResourceRecords,
  AliasTarget: r.AliasTarget,
});

function recordIn(n: XmlNode | undefined): RecordSet {
  const alias = xmlChild(n, 'AliasTarget');
  const ttl = xmlText(n, 'TTL');
  const rrs = xmlChild(n, 'ResourceRecords');
  const name = xmlText(n, 'Name');
  const type = xmlText(n, 'Type');
  if (!name || !type) throw new AwsError('InvalidInput', 'Invalid XML ; a ResourceRecordSet needs a Name and a Type');
  return {
    Name: name,
    Type: type,
    SetIdentifier: xmlText(n, 'SetIdentifier'),
    TTL: ttl !== undefined ? Number(ttl) : undefined,
    ResourceRecords: rrs ? xmlChildren(rrs, 'ResourceRecord').map((r) => ({ Value: xmlText(r, 'Value') ?? '' })) : undefined,
    AliasTarget: alias
      ? { HostedZoneId: xmlText(alias, 'HostedZoneId') ?? '', DNSName: xmlText(alias, 'DNSName') ?? '', EvaluateTargetHealth: xmlText(alias, 'EvaluateTargetHealth') === 'true' }
      : undefined,
  };
}

const changeOut = (c: { Id: string; Status: string; SubmittedAt: number; Comment?: string }) => ({
  ChangeInfo: { Id: `/change/${c.Id}`, Status: c.Status, SubmittedAt: isoTime(c.SubmittedAt), Comment: c.Comment },
});

const reversed = (name: string) => name.split('.').reverse().join('.');

export const route53 = restService({ name: 'route53', signingName: 'route53', protocol: 'restXml', xmlns: 'https://route53.amazonaws.com/doc/2013-04-01/' }, [
  {
    method: 'GET',
    pattern: /^\/2013-04-01\/hostedzonesbyname\/?$/,
    operation: 'ListHostedZonesByName',
    run: (_p, req, state) => {
      const dns = req.query.get('dnsname');
      const max = Number(req.query.get('maxitems') ?? 100);
      let zones = [...state.route53.zones.values()].sort((a, b) => (reversed(a.Name) < reversed(b.Name) ? -1 : 1));
      if (dns) zones = zones.filter((z) => reversed(z.Name) >= reversed(normalizeDnsName(dns)));
      const page = zones.slice(0, max);
      return {
        root: 'ListHostedZonesByNameResponse',
        body: {
          HostedZones: page.map(zoneOut),
          DNSName: dns ?? undefined,
          IsTruncated: zones.length > max,
          NextDNSName: zones.length > max ? zones[max].Name : undefined,
          NextHostedZoneId: zones.length > max ? zones[max].Id : undefined,
          MaxItems: String(max),
        },
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/2013-04-01\/hostedzone\/(?<id>[^/]+)\/?$/,
    operation: 'GetHostedZone',
    run: (p, _req, state) => {
      const z = state.route53.zone(p.id);
      const ns = z.records.find((r) => r.Type === 'NS' && r.Name === z.Name)?.ResourceRecords?.map((r) => r.Value) ?? [];
      return { root: 'GetHostedZoneResponse', body: { HostedZone: zoneOut(z), DelegationSet: { NameServers: ns } } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/2013-04-01\/hostedzone\/(?<id>[^/]+)\/rrset\/?$/,
    operation: 'ListResourceRecordSets',
    run: (p, req, state) => {
      let records = state.route53.records(p.id);
      const max = Number(req.query.get('maxitems') ?? 300);
      if (!Number.isInteger(max) || max < 1) throw new AwsError('InvalidInput', 'maxitems must be a positive integer');
      const startName = req.query.get('name');
      const startType = req.query.get('type');
      if (startType && !startName) throw new AwsError('InvalidInput', 'The input is not valid: type requires name');
      if (startName) {
        const key = reversed(normalizeDnsName(startName));
        records = records.filter((r) => reversed(r.Name) > key || (reversed(r.Name) === key && (!startType || r.Type >= startType)));
      }
      const page = records.slice(0, max);
      const next = records[max];
      return {
        root: 'ListResourceRecordSetsResponse',
        body: { ResourceRecordSets: page.map(recordOut), IsTruncated: !!next, NextRecordName: next?.Name, NextRecordType: next?.Type, MaxItems: String(max) },
      };
    },
  },
  {
    method: 'POST',
    pattern: /^\/2013-04-01\/hostedzone\/(?<id>[^/]+)\/rrset\/?$/,
    operation: 'ChangeResourceRecordSets',
    run: (p, req, state) => {
      const doc = xmlChild(parseXml(req.body), 'ChangeResourceRecordSetsRequest');
      const batch = xmlChild(doc, 'ChangeBatch');
      if (!batch) throw new AwsError('InvalidInput', 'Invalid XML ; ChangeBatch is required');
      const changes = xmlChildren(xmlChild(batch, 'Changes'), 'Change').map((c) => ({ Action: xmlText(c, 'Action') ?? '', ResourceRecordSet: recordIn(xmlChild(c, 'ResourceRecordSet')) }));
      const change = state.route53.applyChanges(p.id, changes, xmlText(batch, 'Comment'));
      return { root: 'ChangeResourceRecordSetsResponse', body: changeOut({ ...change, Status: 'PENDING' }) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/2013-04-01\/change\/(?<id>[^/]+)$/,
    operation: 'GetChange',
    run: (p, _req, state) => ({ root: 'GetChangeResponse', body: changeOut(state.route53.change(p.id)) }),
  },
]);

/** element names of Route 53's list items */
export const route53ItemName = (listKey: string): string =>
  ({ HostedZones: 'HostedZone', ResourceRecordSets: 'ResourceRecordSet', ResourceRecords: 'ResourceRecord', NameServers: 'NameServer', Changes: 'Change' } as Record<string, string>)[listKey] ?? 'member';
