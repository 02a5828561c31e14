// alb-cutover against Route 53's documented rules, which the sandbox enforces:
// - an alias names a load balancer's DNS name together with that load balancer's canonical hosted
//   zone id, as DescribeLoadBalancers gives them (https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html);
// - ListResourceRecordSets pages at 300 records, and between records of one name and type (weighted
//   ones) by NextRecordIdentifier (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html).
import { Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listRecords } from '../../src/modules/alb/records.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../helpers/sandbox.js';
import type { LoadBalancer } from '../../src/sandbox/aws/state.js';
import type { Targets } from '../../src/runner/types.js';
import { runTasks } from '../helpers/run.js';

let sb: Sandbox;
let restore: () => void;
let targets: Targets;
let seeded: { records: string; rules: string; lbs: string };

beforeAll(async () => {
  sb = await startSandbox({ profiles: 1, notebooks: 0, timing: { dnsChangeMs: 20 } });
  restore = sb.applyEnv();
  targets = { aws: { region: sb.scenario.region }, clusters: {} };
  seeded = { records: JSON.stringify(zone().records), rules: JSON.stringify([...sb.aws.state.elbv2.rules.values()]), lbs: JSON.stringify([...sb.aws.state.elbv2.loadBalancers.values()]) };
});

afterAll(async () => {
  restore?.();
  await sb?.stop();
});

beforeEach(() => {
  zone().records.splice(0, zone().records.length, ...(JSON.parse(seeded.records) as ReturnType<typeof zone>['records']));
  type StoredRule = typeof sb.aws.state.elbv2.rules extends Map<string, infer R> ? R : never;
  for (const r of JSON.parse(seeded.rules) as StoredRule[]) sb.aws.state.elbv2.rules.set(r.RuleArn, r);
  sb.aws.state.elbv2.loadBalancers.clear();
  for (const lb of JSON.parse(seeded.lbs) as LoadBalancer[]) sb.aws.state.elbv2.loadBalancers.set(lb.LoadBalancerArn, lb);
});

const zone = () => sb.aws.state.route53.zone(sb.scenario.hostedZone.id);
const greenLb = () => [...sb.aws.state.elbv2.loadBalancers.values()].find((l) => l.DNSName === sb.scenario.green.ingressHost)!;
const platformRule = () => [...sb.aws.state.elbv2.rules.values()].find((r) => !r.IsDefault)!;
const cutover = (mode: 'check' | 'run' = 'run') =>
  runTasks({
    tasks: [{
      name: 'cut',
      'alb-cutover': {
        load_balancer: sb.scenario.alb.name,
        rule: { from_host: sb.scenario.blue.platformDomain, to_host: sb.scenario.green.platformDomain },
        hosted_zone: sb.scenario.subdomain,
        // the targets as values (no cluster to read them from here): the load balancers' DNS names
        records: [
          { name: `*.${sb.scenario.profiles[0].namespace}.${sb.scenario.subdomain}`, type: 'CNAME', value: sb.scenario.green.servingHost },
          { name: sb.scenario.subdomain, type: 'A', value: sb.scenario.green.ingressHost },
        ],
      },
      register: 'cut',
    }],
    targets,
    mode,
  });

describe('alb-cutover and Route 53 alias targets (AliasTarget reference)', () => {
  it('with the seeded load balancers the cut-over’s alias is accepted', async () => {
    const r = await cutover();
    expect(r.reporter.end('cut').status, r.reporter.end('cut').message).toBe('changed');
    expect(sb.aws.state.route53.record(sb.scenario.hostedZone.id, sb.scenario.subdomain, 'A')?.AliasTarget).toMatchObject({ DNSName: `dualstack.${sb.scenario.green.ingressHost}.`, HostedZoneId: greenLb().CanonicalHostedZoneId });
  });

  // Was issue 13 (fixed: the zone is read from ELBv2): kfup kept blue's alias zone id (desiredRecord takes the current record's
  // HostedZoneId) instead of reading green's load balancer's CanonicalHostedZoneId, so an ingress
  // behind a Network Load Balancer (us-west-2 NLBs are in Z18D5FSROUN65G, ALBs in Z1H1FL5HABSF5)
  // gets an alias Route 53 refuses. Issue 13, "The upgrade as the real deployment runs it".
  it('the apex alias follows green’s load balancer into its own canonical hosted zone (an NLB’s is not an ALB’s)', async () => {
    Object.assign(greenLb(), { Type: 'network', CanonicalHostedZoneId: 'Z18D5FSROUN65G' });
    const r = await cutover();
    const end = r.reporter.end('cut');
    expect(end.status, end.message).toBe('changed');
    expect(sb.aws.state.route53.record(sb.scenario.hostedZone.id, sb.scenario.subdomain, 'A')?.AliasTarget?.HostedZoneId).toBe('Z18D5FSROUN65G');
  });

  // Was issue 13 (fixed: check reads green's load balancer first): check only looked for green's host among the zone's records; the alias is refused
  // by Route 53 at run time, after ModifyRule has already switched the listener rule to green.
  // Issue 13, "The upgrade as the real deployment runs it".
  it('when no load balancer has green’s host as DNS name, it stops before switching the rule', async () => {
    sb.aws.state.elbv2.loadBalancers.delete(greenLb().LoadBalancerArn);
    const before = JSON.stringify(platformRule().Actions);
    const r = await cutover();
    expect(r.reporter.end('cut').status).toBe('failed');
    expect(JSON.stringify(platformRule().Actions)).toBe(before);
  });
});

describe('listing the zone across pages (ListResourceRecordSets reference)', () => {
  // Was issue 13 (fixed): listRecords passed on NextRecordName and NextRecordType but not
  // NextRecordIdentifier, so a page that ends inside a group of weighted records starts the next
  // page at the group's first record again: that record is listed twice.
  // Issue 13, "The upgrade as the real deployment runs it".
  it('a page ending between two weighted records of one name and type lists each record once', async () => {
    const sorted = sb.aws.state.route53.records(sb.scenario.hostedZone.id);
    const at298 = sorted[298];
    // two weighted AAAA records right after the 299th record: the first page ends between them
    sb.aws.state.route53.applyChanges(sb.scenario.hostedZone.id, ['a', 'b'].map((id) => ({
      Action: 'CREATE',
      ResourceRecordSet: { Name: at298.Name, Type: 'AAAA', SetIdentifier: id, Weight: 1, TTL: 60, ResourceRecords: [{ Value: `2600:1f14::${id}` }] },
    })));
    const now = sb.aws.state.route53.records(sb.scenario.hostedZone.id);
    expect([now[299].SetIdentifier, now[300].SetIdentifier]).toEqual(['a', 'b']);
    const r53 = new Route53Client({ endpoint: sb.awsEndpoint, region: sb.scenario.region, credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox-secret' } });
    const listed = await listRecords(r53, sb.scenario.hostedZone.id);
    expect(listed.map((x) => `${x.Name} ${x.Type} ${x.SetIdentifier ?? ''}`)).toEqual(now.map((x) => `${x.Name} ${x.Type} ${x.SetIdentifier ?? ''}`));
  });
});
