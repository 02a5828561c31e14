// irsa-trust through the conformance tester (test/kit/task-tester.ts): roles found on blue
// (Profiles, annotated service accounts) or listed, IAM trust policies (URL-encoded on the wire),
// green's OIDC provider. The tester asserts the invariants (dry-run sends nothing, check never
// writes, run then check plans nothing, rollback restores every trust policy); the cases add what
// is particular to irsa-trust. Refusals found by live reads, faults and rollback conflicts:
// irsa-trust.edges.test.ts.
import { describe, expect, it } from 'vitest';
import { builtinTasks } from '../../src/modules/index.js';
import { oidcIssuer, oidcProviderArn } from '../../src/sandbox/scenario.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { taskTester } from '../kit/task-tester.js';

const TASK = 'task under test';
const profileRoles = (sb: Sandbox) => sb.scenario.profiles.map((p) => p.roleArn.split('/').pop()!);
const greenHost = (sb: Sandbox) => oidcIssuer(sb.scenario, 'green').replace('https://', '');
/** every role's trust policy as IAM holds it: what irsa-trust changes and rollback puts back */
const policies = (sb: Sandbox) => Object.fromEntries([...sb.aws.state.iam.roles.keys()].sort().map((name) => [name, sb.aws.state.iam.trustPolicy(name)]));
// settle_seconds 0: the sandbox's IAM is consistent at once; the wait is for the real one
const base = (sb: Sandbox) => ({ blue_cluster: sb.scenario.blue.clusterName, green_cluster: sb.scenario.green.clusterName, settle_seconds: 0 });
const clusterRole = (sb: Sandbox) => `${sb.scenario.blue.clusterName}-cluster-role`;

taskTester({
  type: 'irsa-trust',
  sandbox: { profiles: 3, notebooks: 1 },
  valid: [
    {
      name: "mirrors each profile role's blue statement for green's provider, with the same sub and aud on green's issuer",
      params: (s) => ({ ...base(s), discover_from: 'blue', namespaces: s.scenario.profiles.map((p) => p.namespace) }),
      state: policies,
      after: ({ sb, run, check }) => {
        const changes = run.reporter.end(TASK).changes;
        expect(changes.map((c) => c.target)).toEqual(profileRoles(sb).map((n) => `iam role ${n}`));
        // pretty JSON, so --diff shows a line diff of the document
        expect(String(changes[0].after)).toContain(`"${greenHost(sb)}:sub": "system:serviceaccount:team-000:default-editor"`);
        expect(String(changes[0].after).split('\n').length).toBeGreaterThan(20);
        for (const [i, name] of profileRoles(sb).entries()) {
          const st = sb.aws.state.iam.trustPolicy(name).Statement;
          expect(st).toHaveLength(2);
          expect(st[0]).toMatchObject({ Principal: { Federated: oidcProviderArn(sb.scenario, 'blue') } });
          expect(st[1]).toEqual({
            Effect: 'Allow',
            Principal: { Federated: oidcProviderArn(sb.scenario, 'green') },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: { StringEquals: { [`${greenHost(sb)}:sub`]: `system:serviceaccount:team-00${i}:default-editor`, [`${greenHost(sb)}:aud`]: 'sts.amazonaws.com' } },
          });
        }
        // roles outside the namespaces asked for are untouched
        expect(JSON.stringify(sb.aws.state.iam.trustPolicy('kf-velero'))).not.toContain(greenHost(sb));
        expect(check.reporter.end(TASK).notes.join('\n')).toMatch(/3 role\(s\) already trust kubeflow-green/);
      },
    },
    {
      // as the upgrade guide's irsa_trust.py: the profiles' namespaces (issue 13, point 4)
      name: 'discovers the profile namespaces\' roles only when no namespaces are given',
      params: (s) => ({ ...base(s), discover_from: 'blue' }),
      state: policies,
      after: ({ sb, run }) => {
        expect(run.reporter.end(TASK).changes.map((c) => c.target)).toEqual(profileRoles(sb).map((n) => `iam role ${n}`));
      },
    },
    {
      name: 'discovers the controllers\' roles when their namespaces are listed',
      params: (s) => ({ ...base(s), discover_from: 'blue', namespaces: ['velero', 'ack-system', s.scenario.profiles[0].namespace] }),
      state: policies,
      after: ({ sb, run }) => {
        expect(run.reporter.end(TASK).changes.map((c) => c.target)).toEqual(
          expect.arrayContaining([`iam role ${profileRoles(sb)[0]}`, 'iam role kf-velero', 'iam role kf-ack-sagemaker-controller']),
        );
      },
    },
    {
      name: 'merges listed and discovered roles, and leaves a role that does not trust blue alone',
      params: (s) => ({ ...base(s), discover_from: 'blue', namespaces: ['team-001'], roles: [profileRoles(s)[1], clusterRole(s), 'kf-velero'] }),
      state: policies,
      after: ({ sb, run }) => {
        const end = run.reporter.end(TASK);
        expect(end.changes.map((c) => c.target)).toEqual([`iam role ${profileRoles(sb)[1]}`, 'iam role kf-velero']);
        expect(end.notes.join('\n')).toContain(`role ${clusterRole(sb)} (from roles[1]) has no statement trusting kubeflow-blue's OIDC provider`);
      },
    },
    {
      name: 'a listed role by ARN that trusts only its own service is ok, changed by nobody',
      params: (s) => ({ ...base(s), roles: [`arn:aws:iam::${s.scenario.accountId}:role/${clusterRole(s)}`] }),
      expect: 'ok',
      after: ({ sb, run }) => {
        expect(run.reporter.end(TASK).notes.join('\n')).toContain(`role ${clusterRole(sb)} (from roles[0]) has no statement trusting`);
      },
    },
  ],
  invalid: [
    { name: 'no green cluster', params: (s) => ({ blue_cluster: s.scenario.blue.clusterName, discover_from: 'blue' }), error: /green_cluster/ },
    { name: 'an empty blue cluster name', params: (s) => ({ ...base(s), blue_cluster: '', discover_from: 'blue' }), error: /blue_cluster/ },
    { name: 'roles as one string', params: (s) => ({ ...base(s), roles: 'kf-velero' }), error: /roles/ },
    { name: 'a role that is neither a name nor a role ARN', params: (s) => ({ ...base(s), roles: ['kf-velero', 'not a role'] }), error: /roles.*1.* has an invalid value "not a role"/ },
    { name: 'a parameter irsa-trust does not have (namespace for namespaces)', params: (s) => ({ ...base(s), discover_from: 'blue', namespace: 'team-000' }), error: /namespace/ },
  ],
});

describe('irsa-trust describe', () => {
  it('names both providers and where roles are found, for dry-run', async () => {
    const type = await builtinTasks.load('irsa-trust');
    const lines = type.describe({ blue_cluster: 'kubeflow-blue', green_cluster: 'kubeflow-green', discover_from: 'blue', namespaces: ['team-000', 'team-001'], roles: [] });
    expect(lines.join('\n')).toMatch(/mirror each trust statement for kubeflow-blue's OIDC provider onto kubeflow-green's/);
    expect(lines.join('\n')).toContain('in team-000, team-001');
  });
});
