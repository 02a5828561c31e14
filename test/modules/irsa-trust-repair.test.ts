// irsa-trust-repair through the conformance tester (test/kit/task-tester.ts): the roles that
// green's service accounts name must trust them through green's OIDC provider, green's statement
// first. The tester asserts the invariants (dry-run sends nothing, check never writes, run then
// check plans nothing, rollback restores every trust policy). Against the emulated profile
// controller's rewrites: test/sandbox/irsa-trust-repair.test.ts.
import { describe, expect, it } from 'vitest';
import { builtinTasks } from '../../src/modules/index.js';
import { oidcIssuer, oidcProviderArn } from '../../src/sandbox/scenario.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { repairTrust } from '../../src/modules/iam/trust-repair.js';
import { taskTester } from '../kit/task-tester.js';

const TASK = 'task under test';
const greenHost = (sb: Sandbox) => oidcIssuer(sb.scenario, 'green').replace('https://', '');
const policies = (sb: Sandbox) => Object.fromEntries([...sb.aws.state.iam.roles.keys()].sort().map((name) => [name, sb.aws.state.iam.trustPolicy(name)]));
const base = (sb: Sandbox) => ({ cluster: 'green', eks_cluster: sb.scenario.green.clusterName, settle_seconds: 0 });

/** a service account on green annotated with a profile's role, as the restore brings it */
function annotatedOnGreen(sb: Sandbox, ns: string, roleArn: string): void {
  const store = sb.clusters.green.server.store;
  if (!store.get('v1', 'Namespace', ns)) store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  if (!store.get('v1', 'ServiceAccount', 'reader', ns)) {
    store.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: ns, annotations: { 'eks.amazonaws.com/role-arn': roleArn } } });
  }
}

taskTester({
  type: 'irsa-trust-repair',
  sandbox: { profiles: 1, notebooks: 0 },
  valid: [
    {
      name: 'a service account listed by namespace whose role does not trust green gets a green statement, first, naming it',
      setup: (sb) => annotatedOnGreen(sb, 'extra', sb.scenario.profiles[0].roleArn),
      params: (s) => ({ ...base(s), namespaces: ['extra'] }),
      state: policies,
      after: ({ sb, run }) => {
        const role = sb.scenario.profiles[0].roleArn.split('/').pop()!;
        expect(run.reporter.end(TASK).changes.map((c) => c.target)).toEqual([`iam role ${role}`]);
        const [first, ...rest] = sb.aws.state.iam.trustPolicy(role).Statement;
        expect(first).toEqual({
          Effect: 'Allow',
          Principal: { Federated: oidcProviderArn(sb.scenario, 'green') },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { [`${greenHost(sb)}:aud`]: 'sts.amazonaws.com', [`${greenHost(sb)}:sub`]: ['system:serviceaccount:extra:reader'] } },
        });
        // blue's statement is kept
        expect(rest.map((s) => (s.Principal as { Federated: string }).Federated)).toEqual([oidcProviderArn(sb.scenario, 'blue')]);
      },
    },
    {
      name: 'with no service account naming a role on green, it verifies and changes nothing',
      params: (s) => ({ ...base(s), namespaces: ['nothing-here'] }),
      expect: 'ok',
      after: ({ run }) => {
        expect(run.reporter.end(TASK).notes.join('\n')).toContain('no service account on green names an IAM role');
      },
    },
  ],
  invalid: [
    { name: 'no EKS cluster name', params: { cluster: 'green' }, error: /eks_cluster/ },
    { name: 'a negative settle time', params: (s) => ({ ...base(s), settle_seconds: -1 }), error: /settle_seconds/ },
  ],
});

describe('repairTrust (the policy rewrite)', () => {
  const host = 'oidc.eks.us-west-2.amazonaws.com/id/GREEN';
  const arn = `arn:aws:iam::123456789012:oidc-provider/${host}`;
  const blueSt = { Effect: 'Allow', Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/BLUE' }, Action: 'sts:AssumeRoleWithWebIdentity' };
  const green = (sub: unknown, op = 'StringEquals') => ({ Effect: 'Allow', Principal: { Federated: arn }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { [op]: { [`${host}:sub`]: sub } } });

  it('adds missing subjects to green’s own statement and moves it first', () => {
    const r = repairTrust({ Version: '2012-10-17', Statement: [blueSt, green('system:serviceaccount:a:x')] }, { host, providerArn: arn, subjects: ['system:serviceaccount:a:x', 'system:serviceaccount:b:y'], first: true });
    expect(r.missing).toEqual(['system:serviceaccount:b:y']);
    expect(r.movedFirst).toBe(true);
    expect(r.doc.Statement).toEqual([green(['system:serviceaccount:a:x', 'system:serviceaccount:b:y']), blueSt]);
  });

  it('a StringLike pattern trusts what it matches; with first: false nothing moves', () => {
    const doc = { Version: '2012-10-17', Statement: [blueSt, green('system:serviceaccount:team-*:default-editor', 'StringLike')] };
    const r = repairTrust(doc, { host, providerArn: arn, subjects: ['system:serviceaccount:team-1:default-editor'], first: false });
    expect(r.missing).toEqual([]);
    expect(r.doc).toBe(doc);
  });

  it('counts a statement with no sub condition as unrestricted (any service account of the cluster)', () => {
    const open = { Effect: 'Allow', Principal: { Federated: arn }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { [`${host}:aud`]: 'sts.amazonaws.com' } } };
    const r = repairTrust({ Statement: [open] }, { host, providerArn: arn, subjects: ['system:serviceaccount:a:x'], first: false });
    expect(r.missing).toEqual([]);
    expect(r.unrestricted).toBe(1);
  });
});

describe('irsa-trust-repair describe', () => {
  it('says where it looks and what it verifies, for dry-run', async () => {
    const type = await builtinTasks.load('irsa-trust-repair');
    const lines = type.describe({ cluster: 'green', eks_cluster: 'kubeflow-green', first: true, trust_policy_quota: 2048, prune_stale: true, settle_seconds: 10 });
    expect(lines.join('\n')).toContain('the profile namespaces');
    expect(lines.join('\n')).toContain("kubeflow-green's OIDC provider, in its first statement");
  });
});
