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
import { addGreenServingIngress, cutoverParams, servingRecordName } from '../helpers/alb-cutover.js';

let sb: Sandbox;
let seeded: { records: string; rules: string };
useSandbox({ profiles: 1, timing: { dnsChangeMs: 50 } }, (s) => (sb = s));
beforeAll(async () => {
  await addGreenServingIngress(sb);
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
// the rule's hosts are the platform hostnames; the serving record points at the serving load balancers
const blueHost = () => sb.scenario.blue.platformDomain;
const greenHost = () => sb.scenario.green.platformDomain;
const blueServing = () => sb.scenario.blue.servingHost;
const greenServing = () => sb.scenario.green.servingHost;
const wildcard = () => servingRecordName(sb);
const targets = () => sandboxTargets(sb);

const params = (over: Record<string, unknown> = {}) => cutoverParams(sb, over);
const task = (p: Record<string, unknown>) => ({ name: 'cut', 'alb-cutover': p, register: 'cut' });

describe('alb-cutover edges', () => {
  it('works through AWS throttling and 5xx', async () => {
    sb.traffic.setFaults([
      { fault: 'throttle', target: 'aws', service: 'elbv2', times: 2 },
      { fault: 'error503', target: 'aws', service: 'route53', times: 2 },
    ]);
    const r = await runTasks({ tasks: [task(params())], targets: targets() });
    expect(r.reporter.end('cut').status, r.reporter.end('cut').message).toBe('changed');
    expect(record(wildcard(), 'CNAME')?.ResourceRecords).toEqual([{ Value: greenServing() }]);
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
    expect(record(wildcard(), 'CNAME')?.ResourceRecords).toEqual([{ Value: greenServing() }]);
    sb.traffic.scenario = {};
    const rr = new CollectingReporter();
    const back = await rollbackRun({ registry: builtinTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: rr, yes: true });
    expect(back.failed, rr.ends().map((e) => `${e.status} ${e.message}`).join('\n')).toBe(false);
    expect(record(wildcard(), 'CNAME')?.ResourceRecords).toEqual([{ Value: blueServing() }]);
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
    expect(record(wildcard(), 'CNAME')?.ResourceRecords).toEqual([{ Value: greenServing() }]);
  });

  // found by live reads, so refused by check (no location to point at: see irsa-trust.edges)
  it('refuses before any change: green not resolving, a rule pointing elsewhere, bad names', async () => {
    const mark = sb.requestLog.mark();
    const green = zone().records.findIndex((x) => x.Name === normalizeDnsName(greenHost()));
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
    const outside = await runTasks({ tasks: [task(params({ records: [{ name: '*.other.org', type: 'CNAME', value: greenServing() }] }))], targets: targets(), mode: 'check' });
    expect(outside.reporter.end('cut').message).toBe(`record *.other.org is not in hosted zone ${sb.scenario.subdomain}`);
    const apex = await runTasks({ tasks: [task(params({ records: [{ name: sb.scenario.subdomain, type: 'CNAME', value: greenServing() }] }))], targets: targets(), mode: 'check' });
    expect(apex.reporter.end('cut').message).toContain('not allowed at the zone apex');
    const zoneless = await runTasks({ tasks: [task(params({ hosted_zone: 'example.org' }))], targets: targets(), mode: 'check' });
    expect(zoneless.reporter.end('cut').message).toBe('hosted zone example.org not found');
    const same = await runTasks({ tasks: [task(params({ rule: { from_host: blueHost(), to_host: blueHost() } }))], targets: targets(), mode: 'check' });
    expect(same.reporter.end('cut').message).toBe(`rule.from_host and rule.to_host are both ${blueHost()}`);
    // the KServe tutorial's record points at green's serving ingress: it must have its load balancer
    const noIngress = await runTasks({
      tasks: [task(params({ serving: { domain: sb.scenario.subdomain, namespaces: ['team-000'], to_ingress: { cluster: 'green', name: 'istio-ingress-nope' } } }))],
      targets: targets(),
    });
    expect(noIngress.reporter.end('cut').message).toBe('ingress istio-system/istio-ingress-nope on green does not exist');
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
  });

  // the playbook creates green's serving ingress (knative-config) in the same run: check mode plans
  // the cut-over before it exists, and a run waits for its load balancer
  it("in check mode, before green's serving ingress exists, the serving record's target is known after apply", async () => {
    const p = params({ records: [], serving: { domain: sb.scenario.subdomain, namespaces: ['team-000'], to_ingress: { cluster: 'green', name: 'istio-ingress-later' } } });
    const r = await runTasks({ tasks: [task(p)], targets: targets(), mode: 'check' });
    const end = r.reporter.end('cut');
    expect(end.status, end.message).toBe('changed');
    expect(end.changes[1]).toMatchObject({ action: 'update', summary: `UPSERT: ${blueServing()} -> the address of ingress istio-system/istio-ingress-later on green, known after apply` });
  });

  it('a run waits for the Ingress to get its load balancer, then points the record at it', async () => {
    const store = sb.clusters.green.server.store;
    // given an address only once the task has read it without one, as the AWS Load Balancer
    // Controller does when it provisions the load balancer (a class it does not own: no address)
    store.create({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'istio-ingress-slow', namespace: 'istio-system' }, spec: { ingressClassName: 'other', rules: [] } });
    const mark = sb.requestLog.mark();
    const provisioned = (async () => {
      while (!sb.requestLog.since(mark).some((e) => e.path.includes('/ingresses/istio-ingress-slow'))) await new Promise((res) => setTimeout(res, 20));
      const o = store.get('networking.k8s.io/v1', 'Ingress', 'istio-ingress-slow', 'istio-system')!;
      store.update({ ...o, status: { loadBalancer: { ingress: [{ hostname: greenServing() }] } } });
    })();
    const p = params({ records: [], serving: { domain: sb.scenario.subdomain, namespaces: ['team-000'], to_ingress: { cluster: 'green', name: 'istio-ingress-slow' } } });
    const r = await runTasks({ tasks: [task(p)], targets: targets() });
    await provisioned;
    expect(r.reporter.end('cut').status, r.reporter.end('cut').message).toBe('changed');
    expect(record(wildcard(), 'CNAME')?.ResourceRecords).toEqual([{ Value: greenServing() }]);
    expect(r.reporter.events.some((e) => e.type === 'task-progress' && /istio-ingress-slow on green: no address yet/.test(JSON.stringify(e)))).toBe(true);
  });
});
