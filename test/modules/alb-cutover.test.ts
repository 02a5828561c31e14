// alb-cutover against the sandbox's ELBv2 and Route 53: dry-run, check (read-only, before and
// after), run with the INSYNC wait, a second run, the fail-back through kfup rollback, faults,
// a slow DNS change with Ctrl-C, and the preconditions that must stop it before any change.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../helpers/sandbox.js';
import { normalizeDnsName } from '../../src/sandbox/aws/index.js';
import { rollbackRun } from '../../src/runner/rollback.js';
import { readJournal } from '../../src/runner/journal.js';
import type { Targets } from '../../src/runner/types.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';

let sb: Sandbox;
let restore: () => void;
let targets: Targets;
let seeded: { records: string; rules: string };

beforeAll(async () => {
  sb = await startSandbox({ profiles: 1, timing: { dnsChangeMs: 50 } });
  restore = sb.applyEnv();
  targets = { aws: { region: sb.scenario.region }, clusters: {} };
  seeded = { records: JSON.stringify(zone().records), rules: JSON.stringify([...sb.aws.state.elbv2.rules.values()]) };
});

afterAll(async () => {
  restore?.();
  await sb?.stop();
});

// every test starts from blue being live
beforeEach(() => {
  zone().records.splice(0, zone().records.length, ...JSON.parse(seeded.records));
  for (const r of JSON.parse(seeded.rules)) sb.aws.state.elbv2.rules.set(r.RuleArn, r);
  sb.traffic.setFaults([]);
  sb.traffic.scenario = {};
});

const zone = () => sb.aws.state.route53.zone(sb.scenario.hostedZone.id);
const record = (name: string, type: string) => sb.aws.state.route53.record(sb.scenario.hostedZone.id, name, type);
const platformRule = () => [...sb.aws.state.elbv2.rules.values()].find((r) => !r.IsDefault)!;
const blueHost = () => sb.scenario.blue.ingressHost;
const greenHost = () => sb.scenario.green.ingressHost;
const wildcard = () => `*.${sb.scenario.subdomain}`;

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

describe('alb-cutover', () => {
  it('dry-run describes the switch without sending anything', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params())], targets, mode: 'dry-run' });
    const end = r.reporter.end('cut');
    expect(end.status).toBe('planned');
    expect(end.describe?.join('\n')).toContain(`redirects to ${blueHost()}`);
    expect(end.describe?.join('\n')).toContain(`UPSERT ${wildcard()} CNAME -> ${greenHost()}`);
    expect(sb.requestLog.since(mark)).toEqual([]);
  });

  it('check shows the rule and each record before and after, and sends no mutating request', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params())], targets, mode: 'check', diff: true });
    const end = r.reporter.end('cut');
    expect(end.status, end.message).toBe('changed');
    expect(end.changes.map((c) => c.action)).toEqual(['update', 'update', 'update']);
    const [rule, cname, apex] = end.changes;
    expect(rule.before).toEqual([expect.objectContaining({ Host: blueHost(), StatusCode: 'HTTP_302' })]);
    expect(rule.after).toEqual([expect.objectContaining({ Host: greenHost(), StatusCode: 'HTTP_302' })]);
    expect(cname.target).toBe(`route53 ${sb.scenario.subdomain} ${wildcard()} CNAME`);
    expect(cname.before).toMatchObject({ ResourceRecords: [{ Value: blueHost() }], TTL: 300 });
    expect(cname.after).toMatchObject({ ResourceRecords: [{ Value: greenHost() }], TTL: 300 });
    expect(apex.after).toMatchObject({ AliasTarget: { DNSName: `dualstack.${greenHost()}`, HostedZoneId: 'Z1H1FL5HABSF5' } });
    expect(end.notes).toContain(`${greenHost()} resolves in ${sb.scenario.subdomain} (green.${sb.scenario.subdomain} CNAME)`);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
    expect(platformRule().Actions[0].RedirectConfig?.Host).toBe(blueHost());
  });

  it('run switches rule and records and waits for INSYNC; a second run is ok; rollback fails back to blue', async () => {
    const r = await runTasks({ tasks: [task(params())], targets });
    const end = r.reporter.end('cut');
    expect(end.status, end.message).toBe('changed');
    expect(platformRule().Actions[0].RedirectConfig).toMatchObject({ Host: greenHost(), Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_302' });
    expect(record(wildcard(), 'CNAME')?.ResourceRecords).toEqual([{ Value: greenHost() }]);
    expect(record(wildcard(), 'CNAME')?.Name).toBe(normalizeDnsName(wildcard()));
    expect(record(sb.scenario.subdomain, 'A')?.AliasTarget?.DNSName).toBe(normalizeDnsName(`dualstack.${greenHost()}`));
    const ended = readJournal(r.stateDir, r.result.runId).find((x) => x.t === 'task-end') as { outputs?: { change_id?: string } } | undefined;
    const changeId = String(ended?.outputs?.change_id).replace('/change/', '');
    expect(sb.aws.state.route53.change(changeId).Status).toBe('INSYNC');

    const again = await runTasks({ tasks: [task(params())], targets, dir: r.dir });
    expect(again.reporter.end('cut').status, again.reporter.end('cut').message).toBe('ok');

    const check = new CollectingReporter();
    await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'check', reporter: check });
    expect(check.ends()[0].changes.map((c) => c.summary)).toEqual([`redirect back to ${blueHost()}`, `UPSERT back to ${blueHost()}`, `UPSERT back to dualstack.${blueHost()}`]);
    expect(platformRule().Actions[0].RedirectConfig?.Host).toBe(greenHost());

    const done = await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: new CollectingReporter() });
    expect(done.failed).toBe(false);
    expect(platformRule().Actions[0].RedirectConfig?.Host).toBe(blueHost());
    expect(JSON.stringify(zone().records)).toBe(seeded.records);
    const twice = new CollectingReporter();
    await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: twice });
    expect(twice.ends().map((e) => e.status)).toEqual(['ok']);
  });

  it('rollback deletes a record the cut-over created', async () => {
    const name = `serving.${sb.scenario.subdomain}`;
    const r = await runTasks({ tasks: [task(params({ records: [{ name, type: 'CNAME', ttl: 60 }] }))], targets });
    expect(r.reporter.end('cut').changes.map((c) => c.action)).toEqual(['update', 'create']);
    expect(record(name, 'CNAME')).toMatchObject({ TTL: 60, ResourceRecords: [{ Value: greenHost() }] });
    await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: new CollectingReporter() });
    expect(record(name, 'CNAME')).toBeUndefined();
  });

  it('works through AWS throttling and 5xx', async () => {
    sb.traffic.setFaults([
      { fault: 'throttle', target: 'aws', service: 'elbv2', times: 2 },
      { fault: 'error503', target: 'aws', service: 'route53', times: 2 },
    ]);
    const r = await runTasks({ tasks: [task(params())], targets });
    expect(r.reporter.end('cut').status, r.reporter.end('cut').message).toBe('changed');
    expect(record(wildcard(), 'CNAME')?.ResourceRecords).toEqual([{ Value: greenHost() }]);
  });

  it('polls a slow DNS change at a quarter of the time waited: never far behind INSYNC, never flooding GetChange', async () => {
    sb.traffic.scenario = { slowDnsMs: 2500 };
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params())], targets });
    expect(r.reporter.end('cut').status, r.reporter.end('cut').message).toBe('changed');
    const polls = sb.requestLog.since(mark).filter((e) => e.operation === 'GetChange');
    // 200 ms apart for the first second (Route 53 allows 5 a second), then a quarter of the
    // time waited: about 11 over 2.5 s; a fixed 200 ms poll would make 14, a doubling one 5
    expect(polls.length).toBeGreaterThanOrEqual(7);
    expect(polls.length).toBeLessThanOrEqual(12);
    const gaps = polls.slice(1).map((p, i) => p.time - polls[i].time);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(190);
    sb.traffic.scenario = {};
  });

  it('a slow DNS change shows progress and stops on the task timeout, naming the submitted change', async () => {
    sb.traffic.scenario = { slowDnsMs: 60_000 };
    const started = Date.now();
    const r = await runTasks({ tasks: [{ ...task(params()), timeout: '1s' }], targets });
    const end = r.reporter.end('cut');
    expect(end.status).toBe('failed');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.reporter.events.some((e) => e.type === 'task-progress' && /Route 53 change .*PENDING/.test(JSON.stringify(e)))).toBe(true);
    // the records were changed; the journal has what was replaced, so rollback still works
    expect(record(wildcard(), 'CNAME')?.ResourceRecords).toEqual([{ Value: greenHost() }]);
    sb.traffic.scenario = {};
  });

  it('refuses before any change: green not resolving, a rule pointing elsewhere, bad names', async () => {
    const mark = sb.requestLog.mark();
    const green = zone().records.findIndex((x) => x.Name === normalizeDnsName(`green.${sb.scenario.subdomain}`));
    zone().records.splice(green, 1);
    const nores = await runTasks({ tasks: [task(params())], targets });
    expect(nores.reporter.end('cut').message).toBe(`green's host ${greenHost()} does not resolve in hosted zone ${sb.scenario.subdomain}`);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);

    zone().records.splice(0, zone().records.length, ...JSON.parse(seeded.records));
    platformRule().Actions[0].RedirectConfig!.Host = 'k8s-other.example.com';
    const byArn = await runTasks({ tasks: [task(params({ rule_arn: platformRule().RuleArn }))], targets });
    expect(byArn.reporter.end('cut').message).toContain(`redirects to k8s-other.example.com, neither blue's ${blueHost()} nor green's ${greenHost()}`);
    const found = await runTasks({ tasks: [task(params())], targets, mode: 'check' });
    expect(found.reporter.end('cut').message).toContain(`no rule on listener HTTPS 443 of ${sb.scenario.alb.name} redirects to`);
    expect(found.reporter.end('cut').hint).toContain('k8s-other.example.com (priority 1)');
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);

    const lb = await runTasks({ tasks: [task(params({ load_balancer: 'nope' }))], targets, mode: 'check' });
    expect(lb.reporter.end('cut').message).toBe('load balancer "nope" not found');
    const port = await runTasks({ tasks: [task(params({ listener_port: 80 }))], targets, mode: 'check' });
    expect(port.reporter.end('cut').message).toContain('has no listener on port 80');
    const outside = await runTasks({ tasks: [task(params({ records: [{ name: '*.other.org', type: 'CNAME' }] }))], targets, mode: 'check' });
    expect(outside.reporter.end('cut').message).toBe(`record *.other.org is not in hosted zone ${sb.scenario.subdomain}`);
    const apex = await runTasks({ tasks: [task(params({ records: [{ name: sb.scenario.subdomain, type: 'CNAME' }] }))], targets, mode: 'check' });
    expect(apex.reporter.end('cut').message).toContain('not allowed at the zone apex');
    const zoneless = await runTasks({ tasks: [task(params({ hosted_zone: 'example.org' }))], targets, mode: 'check' });
    expect(zoneless.reporter.end('cut').message).toBe('hosted zone example.org not found');
    await expect(runTasks({ tasks: [task(params({ records: [{ name: 'x', type: 'MX' }] }))], targets, mode: 'check' })).rejects.toThrow(/type/);
  });
});
