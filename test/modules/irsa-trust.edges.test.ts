// irsa-trust where the conformance table (irsa-trust.test.ts) does not reach: refusals that only
// a live read finds (a cluster EKS does not know, green's missing OIDC provider, a role IAM does
// not have), a rollback that must not overwrite a policy someone changed after kfup, and faults.
import { afterEach, describe, expect, it } from 'vitest';
import { builtinTasks } from '../../src/modules/index.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import { oidcIssuer, oidcProviderArn } from '../../src/sandbox/scenario.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';
import { sandboxTargets, useSandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let original: Map<string, string>;
useSandbox({ profiles: 3, notebooks: 1 }, (s) => {
  sb = s;
  original = new Map([...s.aws.state.iam.roles.values()].map((r) => [r.RoleName, r.AssumeRolePolicyDocument]));
});

/** every test starts from the seeded trust policies */
afterEach(() => {
  for (const [name, doc] of original) sb.aws.state.iam.getRole(name).AssumeRolePolicyDocument = doc;
  sb.traffic.setFaults([]);
});

const profileRoles = () => sb.scenario.profiles.map((p) => p.roleArn.split('/').pop()!);
const params = (over: Record<string, unknown> = {}) => ({
  blue_cluster: sb.scenario.blue.clusterName,
  green_cluster: sb.scenario.green.clusterName,
  discover_from: 'blue',
  namespaces: sb.scenario.profiles.map((p) => p.namespace),
  ...over,
});
const task = (p: Record<string, unknown>) => ({ name: 'trust', 'irsa-trust': { settle_seconds: 0, ...p }, register: 'trust' });
const updates = (mark: number) => sb.requestLog.since(mark).filter((e) => e.operation === 'UpdateAssumeRolePolicy');

describe('irsa-trust edges', () => {
  it('rollback refuses, naming the role, when a policy changed after kfup wrote it', async () => {
    const [name] = profileRoles();
    const r = await runTasks({ tasks: [task(params({ discover_from: undefined, namespaces: undefined, roles: [name] }))], targets: sandboxTargets(sb) });
    expect(r.reporter.end('trust').status).toBe('changed');
    const edited = sb.aws.state.iam.trustPolicy(name);
    edited.Statement.push({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' });
    sb.aws.state.iam.updateAssumeRolePolicy(name, JSON.stringify(edited));
    const mark = sb.requestLog.mark();
    const reporter = new CollectingReporter();
    const out = await rollbackRun({ registry: builtinTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter, yes: true });
    expect(out.failed).toBe(true);
    expect(reporter.ends()[0].message).toMatch(new RegExp(`${name} \\(its trust policy changed after kfup updated it\\)`));
    expect(updates(mark)).toEqual([]);
    expect(sb.aws.state.iam.trustPolicy(name).Statement).toHaveLength(3);
  });

  it('fails with the eksctl command when green has no OIDC provider in IAM', async () => {
    const arn = oidcProviderArn(sb.scenario, 'green');
    const provider = sb.aws.state.iam.oidcProviders.get(arn)!;
    sb.aws.state.iam.oidcProviders.delete(arn);
    try {
      const mark = sb.requestLog.mark();
      const r = await runTasks({ tasks: [task(params())], targets: sandboxTargets(sb) });
      const end = r.reporter.end('trust');
      expect(end.status).toBe('failed');
      expect(end.message).toBe(`IAM has no OIDC provider for cluster kubeflow-green (issuer ${oidcIssuer(sb.scenario, 'green').replace('https://', '')})`);
      expect(end.hint).toContain('eksctl utils associate-iam-oidc-provider --cluster kubeflow-green --region us-west-2 --approve');
      expect(updates(mark)).toEqual([]);
    } finally {
      sb.aws.state.iam.oidcProviders.set(arn, provider);
    }
  });

  it('names a role that does not exist and where it came from, changing none', async () => {
    const r = await runTasks({ tasks: [task(params({ roles: [profileRoles()[0], 'arn:aws:iam::123456789012:role/kf-nobody'] }))], targets: sandboxTargets(sb) });
    const end = r.reporter.end('trust');
    expect(end.status).toBe('failed');
    expect(end.message).toBe('IAM role not found: kf-nobody (from roles[1])');
    expect(sb.aws.state.iam.getRole(profileRoles()[0]).AssumeRolePolicyDocument).toBe(original.get(profileRoles()[0]));
  });

  it('rides out IAM throttling and a flaky blue API server', async () => {
    sb.traffic.setFaults([
      { fault: 'throttle', target: 'aws', service: 'iam', rate: 0.3 },
      { fault: 'error503', target: 'blue', times: 2 },
    ]);
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params())], targets: sandboxTargets(sb) });
    expect(r.reporter.end('trust').status, r.reporter.end('trust').message).toBe('changed');
    expect(sb.requestLog.since(mark).filter((e) => e.fault).length).toBeGreaterThan(1);
    for (const name of profileRoles()) expect(sb.aws.state.iam.trustPolicy(name).Statement).toHaveLength(2);
  }, 20_000);

  // Found by a live read or by parameters taken together, so refused by check, not by validate.
  // They fail the task without a write; the runner has no way yet for a task type to report
  // them as invalid input at the parameter's file:line:col (exit 2), as the tester's
  // `at: 'check'` cases require.
  it.each([
    [{ blue_cluster: 'kubeflow-bleu' }, /blue_cluster: EKS cluster "kubeflow-bleu" not found/],
    [{ green_cluster: 'kubeflow-blue' }, /same OIDC issuer/],
    [{ discover_from: undefined, namespaces: undefined }, /needs roles to work on/],
  ])('refuses in check %j', async (over, message) => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params(over))], targets: sandboxTargets(sb) });
    const end = r.reporter.end('trust');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(message);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
  });

  it('refuses a discover_from that names no cluster of targets.clusters before the run, with did-you-mean', async () => {
    const mark = sb.requestLog.mark();
    const e = await runTasks({ tasks: [task(params({ discover_from: 'bleu' }))], targets: sandboxTargets(sb) }).catch((x: unknown) => x);
    expect(String((e as Error).message)).toMatch(/bleu/);
    expect(JSON.stringify(e)).toMatch(/blue/);
    expect(sb.requestLog.since(mark)).toEqual([]);
  });
});
