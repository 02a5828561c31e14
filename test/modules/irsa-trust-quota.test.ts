// irsa-trust against IAM's trust policy quota ("Role trust policy length": 2,048 characters by
// default, white space not counted; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html),
// which the sandbox enforces as IAM does (LimitExceeded, HTTP 409). Mirroring every statement
// that trusts blue doubles a policy: one over half the quota no longer fits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irsaTrustPolicy } from '../../src/sandbox/aws/seed.js';
import { policySize } from '../../src/sandbox/aws/services/iam-policy.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../helpers/sandbox.js';
import type { Targets } from '../../src/runner/types.js';
import { runTasks } from '../helpers/run.js';

let sb: Sandbox;
let restore: () => void;
let targets: Targets;
let role: string;
let doc: string;

beforeAll(async () => {
  sb = await startSandbox({ profiles: 1, notebooks: 0 });
  restore = sb.applyEnv();
  targets = { aws: { region: sb.scenario.region }, clusters: {} };
  role = sb.scenario.profiles[0].roleArn.split('/').pop()!;
  // the profile's role also trusts more service accounts of its namespace: as many statements as
  // fit the quota, more than half of it
  const statement = (sa: string) => (irsaTrustPolicy(sb.scenario, 'blue', 'team-000', sa) as { Statement: unknown[] }).Statement[0];
  const policy = (n: number) => JSON.stringify({ Version: '2012-10-17', Statement: Array.from({ length: n }, (_, i) => statement(i ? `service-account-${i}` : 'default-editor')) });
  let n = 1;
  while (policySize(policy(n + 1)) <= 2048) n++;
  doc = policy(n);
  sb.aws.state.iam.updateAssumeRolePolicy(role, doc);
});

afterAll(async () => {
  restore?.();
  await sb?.stop();
});

const task = (mode: 'check' | 'run') => runTasks({
  tasks: [{ name: 'trust', 'irsa-trust': { blue_cluster: sb.scenario.blue.clusterName, green_cluster: sb.scenario.green.clusterName, roles: [role] }, register: 'trust' }],
  targets,
  mode,
});

describe('irsa-trust and the trust policy quota (IAM quotas page)', () => {
  it('the set-up: the policy fits the quota, its mirrored form would not', () => {
    expect(policySize(doc)).toBeLessThanOrEqual(2048);
    expect(policySize(doc) * 2).toBeGreaterThan(2048);
  });

  // Was issue 13 ("The upgrade as the real deployment runs it"): check planned the update as if
  // IAM would take it; the quota was found only when UpdateAssumeRolePolicy was refused at run time.
  it('check refuses up front, naming the role and the 2,048-character quota', async () => {
    const r = await task('check');
    const end = r.reporter.end('trust');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(new RegExp(`${role}.*(2,?048|quota)`, 's'));
  });

  it('run: refused before IAM is asked (the size, the quota and the statements named) and the role keeps its policy', async () => {
    const r = await task('run');
    const end = r.reporter.end('trust');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/\d+ > 2048/);
    expect(end.message).toContain('sub system:serviceaccount:team-000:service-account-1');
    expect(sb.requestLog.since(0).filter((e) => e.operation === 'UpdateAssumeRolePolicy')).toEqual([]);
    expect(sb.aws.state.iam.getRole(role).AssumeRolePolicyDocument).toBe(doc);
  });
});
