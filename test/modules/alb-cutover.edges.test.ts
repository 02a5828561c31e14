// alb-cutover where the conformance table (alb-cutover.test.ts) does not reach: the
// preconditions that must stop it before any change, AWS faults, a slow DNS change (the polling
// rate, the task timeout), and a rollback that must not undo a rule someone pointed elsewhere.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { builtinTasks } from '../../src/modules/index.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import { normalizeDnsName } from '../../src/sandbox/aws/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';
import { sandboxTargets, useSandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let seeded: { records: string; rules: string };
useSandbox({ profiles: 1, timing: { dnsChangeMs: 50 } }, (s) => (sb = s));
beforeAll(() => {
  seeded = { records: JSON.stringify(zone().records), rules: JSON.stringify([...sb.aws.state.elbv2.rules.values()]) };
});

// every test starts from blue being live
beforeEach(() => {
  reseedRecords();
  for (const r of JSON.parse(seeded.rules) as Rule[]) sb.aws.state.elbv2.rules.set(r.RuleArn, r);
  sb.traffic.setFaults([]);
  sb.traffic.scenario = {};
});

const zone = () => sb.aws.state.route53.zone(sb.scenario.hostedZone.id);
type Rule = ReturnType<typeof platformRule>;
const reseedRecords = () => zone().records.splice(0, zone().records.length, ...(JSON.parse(seeded.records) as ReturnType<typeof zone>['records']));
const record = (name: string, type: string) => sb.aws.state.route53.record(sb.scenario.hostedZone.id, name, type);
const platformRule = () => [...sb.aws.state.elbv2.rules.values()].find((r) => !r.IsDefault)!;
const blueHost = () => sb.scenario.blue.ingressHost;
const greenHost = () => sb.scenario.green.ingressHost;
const wildcard = () => `*.${sb.scenario.subdomain}`;
const targets = () => sandboxTargets(sb);

const params = (over: Record<string, unknown> = {}) => ({
  load_balancer: sb.scenario.alb.name,
  from_host: blueHost(),
  to_host: greenHost(),
  hosted_zone: sb.scenario.subdomain,
  records: [
    { name: wildcard(), type: 'CNAME' },
    { name: sb.scenario.subdomain, type: 'A' },
  ],
  ...over,
});
const task = (p: Record<string, unknown>) => ({ name: 'cut', 'alb-cutover': p, register: 'cut' });

describe('alb-cutover edges', () => {
  it('works through AWS throttling and 5xx', async () => {
    sb.traffic.setFaults([
      { fault: 'throttle', target: 'aws', service: 'elbv2', times: 2 },
      { fault: 'error503', target: 'aws', service: 'route53', times: 2 },
    ]);
    const r = await runTasks({ tasks: [task(params())], targets: targets() });
    expect(r.reporter.end('cut').status, r.reporter.end('cut').message).toBe('changed');
    expect(record(wildcard(), 'CNAME')?.ResourceRecords).toEqual([{ Value: greenHost() }]);
  });

  it('polls a slow DNS change at a quarter of the time waited: never far behind INSYNC, never flooding GetChange', async () => {
    sb.traffic.scenario = { slowDnsMs: 2500 };
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params())], targets: targets() });
    expect(r.reporter.end('cut').status, r.reporter.end('cut').message).toBe('changed');
    const polls = sb.requestLog.since(mark).filter((e) => e.operation === 'GetChange');
    // 200 ms apart for the first second (Route 53 allows 5 a second), then a quarter of the
    // time waited: about 11 over 2.5 s; a fixed 200 ms poll would make 14, a doubling one 5
    expect(polls.length).toBeGreaterThanOrEqual(7);
    expect(polls.length).toBeLessThanOrEqual(12);
    const gaps = polls.slice(1).map((p, i) => p.time - polls[i].time);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(190);
  });

  it('a slow DNS change shows progress and stops on the task timeout, naming the submitted change', async () => {
    sb.traffic.scenario = { slowDnsMs: 60_000 };
    const r = await runTasks({ tasks: [{ ...task(params()), timeout: '1s' }], targets: targets() });
    const end = r.reporter.end('cut');
    expect(end.status).toBe('failed');
    // the task's own time (not the process loading the SDK on a busy machine): stopped at once
    expect(end.durationMs).toBeLessThan(3000);
    expect(r.reporter.events.some((e) => e.type === 'task-progress' && /Route 53 change .*PENDING/.test(JSON.stringify(e)))).toBe(true);
    // the records were changed; the journal has what was replaced, so rollback still works
    expect(record(wildcard(), 'CNAME')?.ResourceRecords).toEqual([{ Value: greenHost() }]);
    sb.traffic.scenario = {};
    const rr = new CollectingReporter();
    const back = await rollbackRun({ registry: builtinTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: rr, yes: true });
    expect(back.failed, rr.ends().map((e) => `${e.status} ${e.message}`).join('\n')).toBe(false);
    expect(record(wildcard(), 'CNAME')?.ResourceRecords).toEqual([{ Value: blueHost() }]);
  });

  it('rollback refuses to undo a rule someone pointed elsewhere after the cut-over, and changes nothing', async () => {
    const r = await runTasks({ tasks: [task(params())], targets: targets() });
    expect(r.reporter.end('cut').status, r.reporter.end('cut').message).toBe('changed');
    platformRule().Actions[0].RedirectConfig!.Host = 'k8s-other.example.com';
    const mark = sb.requestLog.mark();
    const reporter = new CollectingReporter();
    const back = await rollbackRun({ registry: builtinTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter, yes: true });
    expect(back.failed).toBe(true);
    expect(reporter.ends()[0].message).toContain('now redirects to k8s-other.example.com, not what the cut-over set; not reverting it');
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
    expect(record(wildcard(), 'CNAME')?.ResourceRecords).toEqual([{ Value: greenHost() }]);
  });

  // found by live reads, so refused by check (no location to point at: see irsa-trust.edges)
  it('refuses before any change: green not resolving, a rule pointing elsewhere, bad names', async () => {
    const mark = sb.requestLog.mark();
    const green = zone().records.findIndex((x) => x.Name === normalizeDnsName(`green.${sb.scenario.subdomain}`));
    zone().records.splice(green, 1);
    const nores = await runTasks({ tasks: [task(params())], targets: targets() });
    expect(nores.reporter.end('cut').message).toBe(`green's host ${greenHost()} does not resolve in hosted zone ${sb.scenario.subdomain}`);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);

    reseedRecords();
    platformRule().Actions[0].RedirectConfig!.Host = 'k8s-other.example.com';
    const byArn = await runTasks({ tasks: [task(params({ rule_arn: platformRule().RuleArn }))], targets: targets() });
    expect(byArn.reporter.end('cut').message).toContain(`redirects to k8s-other.example.com, neither blue's ${blueHost()} nor green's ${greenHost()}`);
    const found = await runTasks({ tasks: [task(params())], targets: targets(), mode: 'check' });
    expect(found.reporter.end('cut').message).toContain(`no rule on listener HTTPS 443 of ${sb.scenario.alb.name} redirects to`);
    expect(found.reporter.end('cut').hint).toContain('k8s-other.example.com (priority 1)');
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);

    const lb = await runTasks({ tasks: [task(params({ load_balancer: 'nope' }))], targets: targets(), mode: 'check' });
    expect(lb.reporter.end('cut').message).toBe('load balancer "nope" not found');
    const port = await runTasks({ tasks: [task(params({ listener_port: 80 }))], targets: targets(), mode: 'check' });
    expect(port.reporter.end('cut').message).toContain('has no listener on port 80');
    const outside = await runTasks({ tasks: [task(params({ records: [{ name: '*.other.org', type: 'CNAME' }] }))], targets: targets(), mode: 'check' });
    expect(outside.reporter.end('cut').message).toBe(`record *.other.org is not in hosted zone ${sb.scenario.subdomain}`);
    const apex = await runTasks({ tasks: [task(params({ records: [{ name: sb.scenario.subdomain, type: 'CNAME' }] }))], targets: targets(), mode: 'check' });
    expect(apex.reporter.end('cut').message).toContain('not allowed at the zone apex');
    const zoneless = await runTasks({ tasks: [task(params({ hosted_zone: 'example.org' }))], targets: targets(), mode: 'check' });
    expect(zoneless.reporter.end('cut').message).toBe('hosted zone example.org not found');
    const same = await runTasks({ tasks: [task(params({ to_host: blueHost() }))], targets: targets(), mode: 'check' });
    expect(same.reporter.end('cut').message).toBe(`from_host and to_host are both ${blueHost()}`);
  });
});
