// alb-cutover through the conformance tester (test/kit/task-tester.ts), against the sandbox's
// ELBv2 and Route 53: the tester asserts the invariants (dry-run sends nothing, check never
// writes, run then check plans nothing, rollback puts the rule and the records back to blue);
// the cases add what is particular to the cut-over (issue 13, "Cutover semantics": the rule's host
// and the records' targets are two things). Preconditions that stop it, faults, slow DNS
// changes and rollback conflicts: alb-cutover.edges.test.ts.
import { describe, expect, it } from 'vitest';
import { builtinTasks } from '../../src/modules/index.js';
import { normalizeDnsName } from '../../src/sandbox/aws/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { readJournal } from '../../src/runner/state/journal.js';
import type { TaskRun } from '../helpers/run.js';
import { taskTester } from '../kit/task-tester.js';
import { addGreenServingIngress, cutoverParams, servingRecordName } from '../helpers/alb-cutover.js';

const TASK = 'task under test';
const zone = (sb: Sandbox) => sb.aws.state.route53.zone(sb.scenario.hostedZone.id);
const record = (sb: Sandbox, name: string, type: string) => sb.aws.state.route53.record(sb.scenario.hostedZone.id, name, type);
const platformRule = (sb: Sandbox) => [...sb.aws.state.elbv2.rules.values()].find((r) => !r.IsDefault)!;
/** the rule's actions and conditions and every record of the zone: what the cut-over changes and rollback puts back */
const state = (sb: Sandbox): unknown => JSON.parse(JSON.stringify({ actions: platformRule(sb).Actions, conditions: platformRule(sb).Conditions, records: zone(sb).records }));
/** the outputs the run journaled for the task */
const outputsOf = (run: TaskRun) =>
  readJournal(run.stateDir, run.result.runId).flatMap((x) => (x.t === 'task-end' && x.name === TASK ? [x.outputs] : []))[0];
const params = (sb: Sandbox, over: Record<string, unknown> = {}) => cutoverParams(sb, over);

taskTester({
  type: 'alb-cutover',
  sandbox: { profiles: 1, timing: { dnsChangeMs: 50 } },
  valid: [
    {
      // the upgrade guide, "Update DNS records": the listener rule to green's platform hostname
      // (kubelow_platform_domain), the KServe tutorial's serving record to green's serving ingress
      name: "redirects the rule to green's platform hostname and the serving CNAME and apex alias to green's load balancers, then waits for INSYNC",
      setup: addGreenServingIngress,
      params: (sb) => params(sb),
      state,
      after: ({ sb, run }) => {
        const s = sb.scenario;
        const [rule, apex, serving] = run.reporter.end(TASK).changes;
        // the diff: old and new host of the rule, and of each record
        expect(rule).toMatchObject({ summary: `redirect host ${s.blue.platformDomain} -> ${s.green.platformDomain}` });
        expect(rule.before).toEqual([expect.objectContaining({ Host: s.blue.platformDomain, StatusCode: 'HTTP_301' })]);
        expect(rule.after).toEqual([expect.objectContaining({ Host: s.green.platformDomain, StatusCode: 'HTTP_301' })]);
        expect(serving).toMatchObject({
          action: 'update',
          target: `route53 ${s.subdomain} ${servingRecordName(sb)} CNAME`,
          summary: `UPSERT: ${s.blue.servingHost} -> ${s.green.servingHost} (the address of ingress istio-system/istio-ingress-api on green)`,
          before: { ResourceRecords: [{ Value: s.blue.servingHost }], TTL: 300 },
          after: { ResourceRecords: [{ Value: s.green.servingHost }], TTL: 300 },
        });
        expect(apex.summary).toBe(`UPSERT: dualstack.${s.blue.ingressHost} -> dualstack.${s.green.ingressHost} (the address of ingress istio-system/istio-ingress on green)`);
        expect(apex.after).toMatchObject({ AliasTarget: { DNSName: `dualstack.${s.green.ingressHost}`, HostedZoneId: 'Z1H1FL5HABSF5' } });
        expect(run.reporter.end(TASK).notes).toContain(`${s.green.platformDomain} resolves in ${s.subdomain} (${s.green.platformDomain} CNAME)`);
        // the rule: only the redirect's host changed; the stable alias still matches it
        expect(platformRule(sb).Actions[0].RedirectConfig).toMatchObject({ Host: s.green.platformDomain, Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_301' });
        expect(platformRule(sb).Conditions).toEqual([expect.objectContaining({ HostHeaderConfig: { Values: [s.redirectAlias] } })]);
        // the records: load balancers, never the platform hostname
        expect(record(sb, servingRecordName(sb), 'CNAME')?.ResourceRecords).toEqual([{ Value: s.green.servingHost }]);
        expect(record(sb, servingRecordName(sb), 'CNAME')?.Name).toBe(normalizeDnsName(servingRecordName(sb)));
        expect(record(sb, s.subdomain, 'A')?.AliasTarget?.DNSName).toBe(normalizeDnsName(`dualstack.${s.green.ingressHost}`));
        // users' alias still goes to the redirect ALB
        expect(record(sb, s.redirectAlias, 'A')?.AliasTarget?.DNSName).toMatch(new RegExp(`^${s.alb.name}-`));
        const outputs = outputsOf(run);
        expect(outputs).toMatchObject({ rule_arn: platformRule(sb).RuleArn, active_host: s.green.platformDomain, hosted_zone_id: s.hostedZone.id });
        expect(sb.aws.state.route53.change(String(outputs?.change_id).replace('/change/', '')).Status).toBe('INSYNC');
      },
    },
    {
      // ELBv2 ModifyRule replaces the whole action list (API reference, ModifyRule): the
      // authentication before the redirect, and the conditions, must come through unchanged
      name: "keeps the rule's conditions and its other actions; only the redirect's host changes",
      setup: async (sb) => {
        await addGreenServingIngress(sb);
        const rule = platformRule(sb);
        rule.Conditions = [
          { Field: 'host-header', HostHeaderConfig: { Values: [sb.scenario.redirectAlias] } },
          { Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } },
        ];
        rule.Actions = [
          { Type: 'authenticate-cognito', Order: 1, AuthenticateCognitoConfig: { UserPoolArn: `arn:aws:cognito-idp:us-west-2:123456789012:userpool/${sb.scenario.cognito.userPoolId}`, UserPoolClientId: 'client1', UserPoolDomain: 'auth' } },
          { ...rule.Actions[0], Order: 2 },
        ] as typeof rule.Actions;
      },
      params: (sb) => params(sb, { serving: undefined, records: [] }),
      state,
      after: ({ sb }) => {
        const rule = platformRule(sb);
        expect(rule.Conditions.map((c) => c.Field)).toEqual(['host-header', 'path-pattern']);
        expect(rule.Conditions[1]).toMatchObject({ PathPatternConfig: { Values: ['/*'] } });
        expect(rule.Actions.map((a) => a.Type)).toEqual(['authenticate-cognito', 'redirect']);
        expect(rule.Actions[0]).toMatchObject({ Order: 1, AuthenticateCognitoConfig: { UserPoolClientId: 'client1', UserPoolDomain: 'auth' } });
        expect(rule.Actions[1]).toMatchObject({ Order: 2, RedirectConfig: { Host: sb.scenario.green.platformDomain, StatusCode: 'HTTP_301' } });
      },
    },
    {
      name: 'creates a serving record the zone lacked for a namespace given, with the TTL given; rollback deletes it',
      setup: addGreenServingIngress,
      params: (sb) => params(sb, { records: [], serving: { domain: sb.scenario.subdomain, namespaces: ['newteam'], to_ingress: { cluster: 'green', name: 'istio-ingress-api' }, ttl: 60 } }),
      state,
      after: ({ sb, run }) => {
        expect(run.reporter.end(TASK).changes.map((c) => c.action)).toEqual(['update', 'create']);
        expect(record(sb, `*.newteam.${sb.scenario.subdomain}`, 'CNAME')).toMatchObject({ TTL: 60, ResourceRecords: [{ Value: sb.scenario.green.servingHost }] });
      },
    },
    {
      name: 'switches only the rule named by ARN when no records are given (no Route 53 change)',
      params: (sb) => params(sb, { rule_arn: platformRule(sb).RuleArn, records: [], serving: undefined }),
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
    { name: 'no rule.to_host', params: (sb) => ({ ...params(sb), rule: { from_host: sb.scenario.blue.platformDomain } }), error: /to_host/ },
    // the old flat hosts are refused: a rule host and a record target are given apart
    { name: 'the old flat from_host/to_host', params: (sb) => ({ ...params(sb), from_host: 'a', to_host: 'b' }), error: /from_host/ },
    { name: 'a record without its target', params: (sb) => params(sb, { records: [{ name: sb.scenario.subdomain, type: 'A' }] }), error: /value|to_ingress/ },
    { name: 'a record with a cluster the targets lack', params: (sb) => params(sb, { records: [{ name: sb.scenario.subdomain, type: 'A', to_ingress: { cluster: 'gren', name: 'x' } }] }), error: /gren/ },
  ],
});

describe('alb-cutover describe', () => {
  it('says which rule and records it would switch, and to what, for dry-run', async () => {
    const type = await builtinTasks.load('alb-cutover');
    const lines = type.describe({
      load_balancer: 'kubeflow-redirect',
      listener_port: 443,
      rule: { from_host: 'kubeflow-v1.platform.example.com', to_host: 'kubeflow-green.platform.example.com' },
      hosted_zone: 'platform.example.com',
      records: [{ name: 'platform.example.com', type: 'A', ttl: 300, to_ingress: { cluster: 'green', namespace: 'istio-system', name: 'istio-ingress' } }],
      serving: { domain: 'platform.example.com', namespaces: ['staging'], to_ingress: { cluster: 'green', namespace: 'istio-system', name: 'istio-ingress-api' }, ttl: 300 },
      wait_for_sync: true,
      sync_timeout_seconds: 600,
    });
    expect(lines).toEqual([
      'check that kubeflow-green.platform.example.com resolves in hosted zone platform.example.com',
      'switch the rule of kubeflow-redirect port 443 that redirects to kubeflow-v1.platform.example.com to redirect to kubeflow-green.platform.example.com',
      'UPSERT platform.example.com A -> the address of ingress istio-system/istio-ingress on green in platform.example.com',
      'UPSERT *.staging.platform.example.com -> the address of ingress istio-system/istio-ingress-api on green in platform.example.com',
      'wait for the Route 53 change to be INSYNC',
    ]);
  });
});
