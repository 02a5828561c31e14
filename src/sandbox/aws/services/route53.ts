// Route 53 over restXml: the platform's hosted zone, its records, and changes that go from
// PENDING to INSYNC after a delay (the cut-over waits on GetChange).

import { restService } from '../service.js';
import { normalizeDnsName, recordOrder, type HostedZone, type RecordSet } from '../state.js';
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
  Weight: r.Weight,
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
    Weight: xmlText(n, 'Weight') !== undefined ? Number(xmlText(n, 'Weight')) : undefined,
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

/** the most records ListResourceRecordSets returns at once, whatever maxitems asks */
const PAGE_LIMIT = 300;

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
    // `aws route53 list-hosted-zones`: by id, up to 100 a page, the next page from NextMarker
    method: 'GET',
    pattern: /^\/2013-04-01\/hostedzone\/?$/,
    operation: 'ListHostedZones',
    run: (_p, req, state) => {
      const max = Number(req.query.get('maxitems') ?? 100);
      if (!Number.isInteger(max) || max < 1) throw new AwsError('InvalidInput', 'maxitems must be a positive integer');
      const marker = req.query.get('marker') ?? '';
      let zones = [...state.route53.zones.values()].sort((a, b) => (a.Id < b.Id ? -1 : 1));
      const type = req.query.get('hostedzonetype');
      if (type === 'PrivateHostedZone') zones = zones.filter((z) => z.PrivateZone);
      if (marker) zones = zones.filter((z) => z.Id >= marker);
      const page = zones.slice(0, Math.min(max, 100));
      const next = zones[page.length];
      return { root: 'ListHostedZonesResponse', body: { HostedZones: page.map(zoneOut), Marker: marker, IsTruncated: !!next, NextMarker: next?.Id, MaxItems: String(max) } };
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
    // ListResourceRecordSets pages as the API reference says: at most 300 records a page (a larger
    // maxitems still gets 300), sorted by reversed name, type and set identifier, the next page
    // named by NextRecordName, NextRecordType and (for records with a SetIdentifier)
    // NextRecordIdentifier. https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html
    method: 'GET',
    pattern: /^\/2013-04-01\/hostedzone\/(?<id>[^/]+)\/rrset\/?$/,
    operation: 'ListResourceRecordSets',
    run: (p, req, state) => {
      let records = state.route53.records(p.id);
      const asked = Number(req.query.get('maxitems') ?? PAGE_LIMIT);
      if (!Number.isInteger(asked) || asked < 1) throw new AwsError('InvalidInput', 'maxitems must be a positive integer');
      const max = Math.min(asked, PAGE_LIMIT);
      const startName = req.query.get('name');
      const startType = req.query.get('type');
      const startId = req.query.get('identifier');
      if (startType && !startName) throw new AwsError('InvalidInput', 'The input is not valid: type requires name');
      if (startId && !startType) throw new AwsError('InvalidInput', 'The input is not valid: identifier requires name and type');
      if (startName) {
        const from = { Name: normalizeDnsName(startName), Type: startType ?? '', SetIdentifier: startId ?? '' };
        records = records.filter((r) => recordOrder(r, from) >= 0);
      }
      const page = records.slice(0, max);
      const next = records[max];
      return {
        root: 'ListResourceRecordSetsResponse',
        body: {
          ResourceRecordSets: page.map(recordOut),
          IsTruncated: !!next,
          NextRecordName: next?.Name,
          NextRecordType: next?.Type,
          NextRecordIdentifier: next?.SetIdentifier,
          MaxItems: String(asked),
        },
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
