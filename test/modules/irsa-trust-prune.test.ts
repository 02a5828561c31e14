// irsa-trust and statements for OIDC providers that no longer exist (the clusters of earlier
// upgrades, deleted since). IAM resolves a trust policy's principals when it is saved and refuses
// one naming a provider that does not exist (MalformedPolicyDocument "Invalid principal in
// policy"; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html),
// which the sandbox enforces: a role carrying such a statement can be updated only without it.
// Issue 13, "The upgrade as the real deployment runs it", point 4.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { oidcProviderArn } from '../../src/sandbox/scenario.js';
import { startSandbox } from '../helpers/sandbox.js';
import type { Targets } from '../../src/runner/types.js';
import { runTasks } from '../helpers/run.js';

let sb: Sandbox;
let restore: () => void;
let targets: Targets;
let role: string;
const OLD_HOST = 'oidc.eks.us-west-2.amazonaws.com/id/0000000000000000000000000000OLD1';
let oldArn: string;

beforeAll(async () => {
  sb = await startSandbox({ profiles: 1, notebooks: 0 });
  restore = sb.applyEnv();
  targets = { aws: { region: sb.scenario.region }, clusters: {} };
  role = sb.scenario.profiles[0].roleArn.split('/').pop()!;
  // an earlier upgrade's cluster: its provider existed when the statement was written, and was
  // deleted with the cluster
  const blueArn = oidcProviderArn(sb.scenario, 'blue');
  oldArn = blueArn.replace(/oidc-provider\/.*/, `oidc-provider/${OLD_HOST}`);
  sb.aws.state.iam.oidcProviders.set(oldArn, { ...sb.aws.state.iam.oidcProviders.get(blueArn)!, Arn: oldArn, Url: OLD_HOST });
  const doc = sb.aws.state.iam.trustPolicy(role);
  doc.Statement.push({
    Effect: 'Allow',
    Principal: { Federated: oldArn },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: { StringEquals: { [`${OLD_HOST}:sub`]: 'system:serviceaccount:team-000:default-editor' } },
  });
  sb.aws.state.iam.updateAssumeRolePolicy(role, JSON.stringify(doc));
  sb.aws.state.iam.oidcProviders.delete(oldArn);
});

afterAll(async () => {
  restore?.();
  await sb?.stop();
});

const task = (mode: 'check' | 'run', extra: Record<string, unknown> = {}) =>
  runTasks({
    tasks: [{ name: 'trust', 'irsa-trust': { blue_cluster: sb.scenario.blue.clusterName, green_cluster: sb.scenario.green.clusterName, roles: [role], settle_seconds: 0, ...extra }, register: 'trust' }],
    targets,
    mode,
  });

describe('irsa-trust prunes statements for deleted OIDC providers (IAM Principal element reference)', () => {
  it('without pruning, IAM refuses the update: the stale principal is invalid', async () => {
    const r = await task('run', { prune_stale: false });
    const end = r.reporter.end('trust');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/Invalid principal|MalformedPolicyDocument/);
  });

  it('check names the pruned statement; run writes a policy IAM accepts, without it, and with green trusted', async () => {
    const checked = await task('check');
    expect(checked.reporter.end('trust').status, checked.reporter.end('trust').message).toBe('changed');
    expect(checked.reporter.end('trust').notes.join('\n')).toMatch(/1 statement\(s\) for OIDC providers that no longer exist are removed: oidc id\/0+OLD1 sub system:serviceaccount:team-000:default-editor/);
    const r = await task('run');
    expect(r.reporter.end('trust').status, r.reporter.end('trust').message).toBe('changed');
    const principals = sb.aws.state.iam.trustPolicy(role).Statement.map((s) => (s.Principal as { Federated: string }).Federated);
    expect(principals).toEqual([oidcProviderArn(sb.scenario, 'blue'), oidcProviderArn(sb.scenario, 'green')]);
  });
});
