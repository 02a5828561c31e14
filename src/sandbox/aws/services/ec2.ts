// EC2 over its own query protocol: VPC, subnets and security groups, with ids and Filters
// (vpc-id, subnet-id, group-id, group-name, cidr-block, availability-zone, state, tag:Key, tag-key, tag-value).

import { rpcService } from '../service.js';
import type { Tag } from '../state.js';
import { AwsError, qList, qStr, unflattenQuery, type QueryValue } from '../wire.js';

type Q = Record<string, QueryValue>;
interface Filter {
  name: string;
  values: string[];
}

function filtersOf(input: Q): Filter[] {
  return qList(input.Filter).map((f) => {
    const q = f as Q;
    return { name: qStr(q.Name) ?? '', values: qList(q.Value).filter((v): v is string => typeof v === 'string') };
  });
}

/** EC2 filter values may use * and ? wildcards */
const globMatch = (pattern: string, value: string) =>
  new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$').test(value);

function matches(filters: Filter[], fields: Record<string, string | string[] | undefined>, tags: Tag[], supported: string[]): boolean {
  return filters.every((f) => {
    if (f.name.startsWith('tag:')) {
      const key = f.name.slice(4);
      return tags.some((t) => t.Key === key && f.values.some((v) => globMatch(v, t.Value)));
    }
    if (f.name === 'tag-key') return tags.some((t) => f.values.some((v) => globMatch(v, t.Key)));
    if (f.name === 'tag-value') return tags.some((t) => f.values.some((v) => globMatch(v, t.Value)));
    if (!supported.includes(f.name)) throw new AwsError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    const field = fields[f.name];
    const have = Array.isArray(field) ? field : field === undefined ? [] : [field];
    return have.some((h) => f.values.some((v) => globMatch(v, h)));
  });
}

function byIds<T>(ids: string[], map: Map<string, T>, notFound: string, what: string): T[] {
  const missing = ids.filter((id) => !map.has(id));
  if (missing.length) throw new AwsError(notFound, `The ${what} ID${missing.length > 1 ? 's' : ''} '${missing.join(', ')}' ${missing.length > 1 ? 'do' : 'does'} not exist`);
  return ids.map((id) => map.get(id)!);
}

const tagSet = (tags: Tag[]) => tags.map((t) => ({ key: t.Key, value: t.Value }));

export const ec2 = rpcService(
  { name: 'ec2', signingName: 'ec2', protocol: 'ec2', xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/' },
  {
    DescribeVpcs: (input: Q, state) => {
      const ids = qList(input.VpcId) as string[];
      const list = ids.length ? byIds(ids, state.ec2.vpcs, 'InvalidVpcID.NotFound', 'vpc') : [...state.ec2.vpcs.values()];
      const filters = filtersOf(input);
      const found = list.filter((v) => matches(filters, { 'vpc-id': v.vpcId, 'cidr-block': v.cidrBlock, 'cidr': v.cidrBlock, state: v.state, 'is-default': String(v.isDefault) }, v.tags, ['vpc-id', 'cidr-block', 'cidr', 'state', 'is-default']));
      return {
        vpcSet: found.map((v) => ({ vpcId: v.vpcId, state: v.state, cidrBlock: v.cidrBlock, dhcpOptionsId: 'dopt-0sandbox', instanceTenancy: 'default', isDefault: v.isDefault, tagSet: tagSet(v.tags) })),
      };
    },
    DescribeSubnets: (input: Q, state) => {
      const ids = qList(input.SubnetId) as string[];
      const list = ids.length ? byIds(ids, state.ec2.subnets, 'InvalidSubnetID.NotFound', 'subnet') : [...state.ec2.subnets.values()];
      const filters = filtersOf(input);
      const found = list.filter((s) =>
        matches(filters, { 'vpc-id': s.vpcId, 'subnet-id': s.subnetId, 'cidr-block': s.cidrBlock, 'availability-zone': s.availabilityZone, state: 'available', 'map-public-ip-on-launch': String(s.mapPublicIpOnLaunch) }, s.tags,
          ['vpc-id', 'subnet-id', 'cidr-block', 'availability-zone', 'state', 'map-public-ip-on-launch']),
      );
      return {
        subnetSet: found.map((s) => ({
          subnetId: s.subnetId, state: 'available', vpcId: s.vpcId, cidrBlock: s.cidrBlock, availableIpAddressCount: s.availableIpAddressCount,
          availabilityZone: s.availabilityZone, defaultForAz: false, mapPublicIpOnLaunch: s.mapPublicIpOnLaunch, tagSet: tagSet(s.tags),
        })),
      };
    },
    DescribeSecurityGroups: (input: Q, state) => {
      const ids = qList(input.GroupId) as string[];
      const names = qList(input.GroupName) as string[];
      let list = ids.length ? byIds(ids, state.ec2.securityGroups, 'InvalidGroup.NotFound', 'security group') : [...state.ec2.securityGroups.values()];
      if (names.length) {
        const missing = names.filter((n) => !list.some((g) => g.groupName === n));
        if (missing.length) throw new AwsError('InvalidGroup.NotFound', `The security group '${missing[0]}' does not exist in default VPC`);
        list = list.filter((g) => names.includes(g.groupName));
      }
      const filters = filtersOf(input);
      const found = list.filter((g) => matches(filters, { 'vpc-id': g.vpcId, 'group-id': g.groupId, 'group-name': g.groupName, description: g.description, 'owner-id': g.ownerId }, g.tags, ['vpc-id', 'group-id', 'group-name', 'description', 'owner-id']));
      return {
        securityGroupInfo: found.map((g) => ({
          ownerId: g.ownerId, groupName: g.groupName, groupId: g.groupId, groupDescription: g.description, vpcId: g.vpcId,
          ipPermissions: [{ ipProtocol: '-1', groups: [{ userId: g.ownerId, groupId: g.groupId }] }],
          ipPermissionsEgress: [{ ipProtocol: '-1', ipRanges: [{ cidrIp: '0.0.0.0/0' }] }],
          tagSet: tagSet(g.tags),
        })),
      };
    },
  },
  (req) => new URLSearchParams(req.body).get('Action') ?? req.query.get('Action') ?? undefined,
  (req) => unflattenQuery(new URLSearchParams(req.body)),
);
