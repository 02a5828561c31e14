// alb-cutover through the conformance tester (test/kit/task-tester.ts), against the sandbox's
// ELBv2 and Route 53: the tester asserts the invariants (dry-run sends nothing, check never
// writes, run then check plans nothing, rollback puts the rule and the records back to blue);
// the cases add what is particular to the cut-over. Preconditions that stop it, faults, slow DNS
// changes and rollback conflicts: alb-cutover.edges.test.ts.
import { describe, expect, it } from 'vitest';
import { builtinTasks } from '../../src/modules/index.js';
import { normalizeDnsName } from '../../src/sandbox/aws/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { readJournal } from '../../src/runner/state/journal.js';
import type { TaskRun } from '../helpers/run.js';
import { taskTester } from '../kit/task-tester.js';

const TASK = 'task under test';
const zone = (sb: Sandbox) => sb.aws.state.route53.zone(sb.scenario.hostedZone.id);
const record = (sb: Sandbox, name: string, type: string) => sb.aws.state.route53.record(sb.scenario.hostedZone.id, name, type);
const platformRule = (sb: Sandbox) => [...sb.aws.state.elbv2.rules.values()].find((r) => !r.IsDefault)!;
const wildcard = (sb: Sandbox) => `*.${sb.scenario.subdomain}`;
/** the rule's actions and every record of the zone: what the cut-over changes and rollback puts back */
const state = (sb: Sandbox): unknown => JSON.parse(JSON.stringify({ actions: platformRule(sb).Actions, records: zone(sb).records }));
/** the outputs the run journaled for the task */
const outputsOf = (run: TaskRun) =>
  readJournal(run.stateDir, run.result.runId).flatMap((x) => (x.t === 'task-end' && x.name === TASK ? [x.outputs] : []))[0];

const params = (sb: Sandbox, over: Record<string, unknown> = {}) => ({
  load_balancer: sb.scenario.alb.name,
  from_host: sb.scenario.blue.ingressHost,
  to_host: sb.scenario.green.ingressHost,
  hosted_zone: sb.scenario.subdomain,
  records: [
    { name: wildcard(sb), type: 'CNAME' },
    { name: sb.scenario.subdomain, type: 'A' },
  ],
  ...over,
});

taskTester({
  type: 'alb-cutover',
  sandbox: { profiles: 1, timing: { dnsChangeMs: 50 } },
  valid: [
    {
      name: 'switches the rule, the serving CNAME and the apex alias to green and waits for INSYNC',
      params: (sb) => params(sb),
      state,
      after: ({ sb, run }) => {
        const green = sb.scenario.green.ingressHost;
        const [rule, cname, apex] = run.reporter.end(TASK).changes;
        expect(rule.before).toEqual([expect.objectContaining({ Host: sb.scenario.blue.ingressHost, StatusCode: 'HTTP_302' })]);
        expect(cname).toMatchObject({ action: 'update', target: `route53 ${sb.scenario.subdomain} ${wildcard(sb)} CNAME`, before: { ResourceRecords: [{ Value: sb.scenario.blue.ingressHost }], TTL: 300 } });
        expect(apex.after).toMatchObject({ AliasTarget: { DNSName: `dualstack.${green}`, HostedZoneId: 'Z1H1FL5HABSF5' } });
        expect(run.reporter.end(TASK).notes).toContain(`${green} resolves in ${sb.scenario.subdomain} (green.${sb.scenario.subdomain} CNAME)`);
        expect(platformRule(sb).Actions[0].RedirectConfig).toMatchObject({ Host: green, Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_302' });
        expect(record(sb, wildcard(sb), 'CNAME')?.ResourceRecords).toEqual([{ Value: green }]);
        expect(record(sb, wildcard(sb), 'CNAME')?.Name).toBe(normalizeDnsName(wildcard(sb)));
        expect(record(sb, sb.scenario.subdomain, 'A')?.AliasTarget?.DNSName).toBe(normalizeDnsName(`dualstack.${green}`));
        const outputs = outputsOf(run);
        expect(outputs).toMatchObject({ rule_arn: platformRule(sb).RuleArn, active_host: green, hosted_zone_id: sb.scenario.hostedZone.id });
        expect(sb.aws.state.route53.change(String(outputs?.change_id).replace('/change/', '')).Status).toBe('INSYNC');
      },
    },
    {
      name: 'creates a record the zone lacked, with the TTL given; rollback deletes it',
      params: (sb) => params(sb, { records: [{ name: `serving.${sb.scenario.subdomain}`, type: 'CNAME', ttl: 60 }] }),
      state,
      after: ({ sb, run }) => {
        expect(run.reporter.end(TASK).changes.map((c) => c.action)).toEqual(['update', 'create']);
        expect(record(sb, `serving.${sb.scenario.subdomain}`, 'CNAME')).toMatchObject({ TTL: 60, ResourceRecords: [{ Value: sb.scenario.green.ingressHost }] });
      },
    },
    {
      name: 'switches only the rule named by ARN when no records are given (no Route 53 change)',
      params: (sb) => params(sb, { rule_arn: platformRule(sb).RuleArn, records: [] }),
      state,
      after: ({ sb, run }) => {
        expect(run.reporter.end(TASK).changes.map((c) => c.target)).toEqual([expect.stringMatching(/^alb rule /)]);
        expect(outputsOf(run)).toMatchObject({ change_id: null, rule_arn: platformRule(sb).RuleArn });
      },
    },
  ],
  invalid: [
    { name: 'a record type Route 53 aliases do not take', params: (sb) => params(sb, { records: [{ name: 'x', type: 'MX' }] }), error: /type/ },
    { name: 'a listener port out of range', params: (sb) => params(sb, { listener_port: 70000 }), error: /listener_port/ },
    { name: 'a rule_arn that is no ELB ARN', params: (sb) => params(sb, { rule_arn: 'rule-1' }), error: /rule_arn/ },
    { name: 'no to_host', params: (sb) => ({ ...params(sb), to_host: undefined }), error: /to_host/ },
  ],
});

describe('alb-cutover describe', () => {
  it('says which rule and records it would switch, for dry-run', async () => {
    const type = await builtinTasks.load('alb-cutover');
    const lines = type.describe({
      load_balancer: 'kubeflow-ingress',
      listener_port: 443,
      from_host: 'blue.elb.amazonaws.com',
      to_host: 'green.elb.amazonaws.com',
      hosted_zone: 'platform.example.com',
      records: [{ name: '*.platform.example.com', type: 'CNAME', ttl: 300 }],
      wait_for_sync: true,
      sync_timeout_seconds: 600,
    });
    expect(lines).toEqual([
      'check that green.elb.amazonaws.com resolves in hosted zone platform.example.com',
      'switch the rule of kubeflow-ingress port 443 that redirects to blue.elb.amazonaws.com to redirect to green.elb.amazonaws.com',
      'UPSERT *.platform.example.com CNAME -> green.elb.amazonaws.com in platform.example.com',
      'wait for the Route 53 change to be INSYNC',
    ]);
  });
});
