// irsa-trust against the sandbox: roles found on blue (Profiles, annotated service accounts),
// IAM trust policies (URL-encoded on the wire), green's OIDC provider, and rollback.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../helpers/sandbox.js';
import { oidcIssuer, oidcProviderArn } from '../../src/sandbox/scenario.js';
import { rollbackRun } from '../../src/runner/rollback.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';
import type { Targets } from '../../src/runner/types.js';

let sb: Sandbox;
let restore: () => void;
let targets: Targets;
let original: Map<string, string>;
let profileRoles: string[];
let blueHost: string;
let greenHost: string;

beforeAll(async () => {
  sb = await startSandbox({ profiles: 3, notebooks: 1 });
  restore = sb.applyEnv();
  targets = {
    aws: { region: sb.scenario.region },
    clusters: { blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' }, green: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-green' } },
  };
  original = new Map([...sb.aws.state.iam.roles.values()].map((r) => [r.RoleName, r.AssumeRolePolicyDocument]));
  profileRoles = sb.scenario.profiles.map((p) => p.roleArn.split('/').pop()!);
  blueHost = oidcIssuer(sb.scenario, 'blue').replace('https://', '');
  greenHost = oidcIssuer(sb.scenario, 'green').replace('https://', '');
});

afterAll(async () => {
  restore?.();
  await sb?.stop();
});

/** every test starts from the seeded trust policies */
afterEach(() => {
  for (const [name, doc] of original) sb.aws.state.iam.getRole(name).AssumeRolePolicyDocument = doc;
  sb.traffic.setFaults([]);
});

const profileNamespaces = () => sb.scenario.profiles.map((p) => p.namespace);

const params = (over: Record<string, unknown> = {}) => ({
  blue_cluster: sb.scenario.blue.clusterName,
  green_cluster: sb.scenario.green.clusterName,
  discover_from: 'blue',
  namespaces: profileNamespaces(),
  ...over,
});
const task = (p: Record<string, unknown>) => ({ name: 'trust', 'irsa-trust': p, register: 'trust' });
const updates = (mark: number) => sb.requestLog.since(mark).filter((e) => e.operation === 'UpdateAssumeRolePolicy');

describe('irsa-trust', () => {
  it('dry-run says what it would do without touching AWS or the clusters', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params())], targets, mode: 'dry-run' });
    const end = r.reporter.end('trust');
    expect(end.status).toBe('planned');
    expect(end.describe?.join('\n')).toMatch(/mirror each trust statement for kubeflow-blue's OIDC provider onto kubeflow-green's/);
    expect(end.describe?.join('\n')).toContain('in team-000, team-001, team-002');
    expect(sb.requestLog.since(mark)).toEqual([]);
  });

  it('check shows each profile role\'s policy diff and sends no mutating request', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params())], targets, mode: 'check', diff: true });
    const end = r.reporter.end('trust');
    expect(end.status).toBe('changed');
    expect(end.changes.map((c) => c.target)).toEqual(profileRoles.map((n) => `iam role ${n}`));
    const c0 = end.changes[0];
    expect(typeof c0.before).toBe('string');
    expect(c0.before).not.toContain(greenHost);
    expect(c0.after).toContain(`"${greenHost}:sub": "system:serviceaccount:team-000:default-editor"`);
    expect(c0.after).toContain(`"${greenHost}:aud": "sts.amazonaws.com"`);
    expect(c0.after).toContain(oidcProviderArn(sb.scenario, 'green'));
    // pretty JSON, so --diff shows a line diff of the document
    expect(String(c0.after).split('\n').length).toBeGreaterThan(20);
    const log = sb.requestLog.since(mark);
    expect(log.filter((e) => e.mutating)).toEqual([]);
    expect(log.some((e) => e.target === 'blue' && e.path.includes('/profiles'))).toBe(true);
  });

  it('discovers controller roles too when no namespaces are given', async () => {
    const r = await runTasks({ tasks: [task(params({ namespaces: undefined }))], targets, mode: 'check' });
    const targetsChanged = r.reporter.end('trust').changes.map((c) => c.target);
    expect(targetsChanged).toEqual(expect.arrayContaining([...profileRoles.map((n) => `iam role ${n}`), 'iam role kf-velero', 'iam role kf-ack-sagemaker-controller']));
  });

  it('run makes every profile role trust green, and a second run is ok', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params())], targets });
    const end = r.reporter.end('trust');
    expect(end.status, end.message).toBe('changed');
    expect(updates(mark)).toHaveLength(3);
    for (const [i, name] of profileRoles.entries()) {
      const st = sb.aws.state.iam.trustPolicy(name).Statement;
      expect(st).toHaveLength(2);
      expect(st[0].Principal.Federated).toBe(oidcProviderArn(sb.scenario, 'blue'));
      expect(st[1]).toEqual({
        Effect: 'Allow',
        Principal: { Federated: oidcProviderArn(sb.scenario, 'green') },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${greenHost}:sub`]: `system:serviceaccount:team-00${i}:default-editor`, [`${greenHost}:aud`]: 'sts.amazonaws.com' } },
      });
    }
    // roles outside the namespaces asked for are untouched
    expect(sb.aws.state.iam.getRole('kf-velero').AssumeRolePolicyDocument).toBe(original.get('kf-velero'));

    const mark2 = sb.requestLog.mark();
    const again = await runTasks({ tasks: [task(params())], targets, dir: r.dir });
    const end2 = again.reporter.end('trust');
    expect(end2.status).toBe('ok');
    expect(end2.notes.join('\n')).toMatch(/3 role\(s\) already trust kubeflow-green/);
    expect(updates(mark2)).toEqual([]);
    for (const name of profileRoles) expect(sb.aws.state.iam.trustPolicy(name).Statement).toHaveLength(2);
  });

  it('rollback restores blue-only trust (check first shows it, a second rollback changes nothing)', async () => {
    const r = await runTasks({ tasks: [task(params())], targets });
    expect(r.reporter.end('trust').status).toBe('changed');

    const mark = sb.requestLog.mark();
    const check = new CollectingReporter();
    const planned = await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'check', reporter: check });
    expect(planned.changesPending).toBe(true);
    expect(check.ends()[0].changes.map((c) => c.target)).toEqual(profileRoles.map((n) => `iam role ${n}`));
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);

    const done = await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: new CollectingReporter(), yes: true });
    expect(done.failed).toBe(false);
    for (const name of profileRoles) {
      expect(sb.aws.state.iam.trustPolicy(name)).toEqual(JSON.parse(original.get(name)!));
    }
    const again = new CollectingReporter();
    await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: again, yes: true });
    expect(again.ends()[0].status).toBe('ok');
  });

  it('rollback refuses, naming the role, when a policy changed after kfup wrote it', async () => {
    const [name] = profileRoles;
    const r = await runTasks({ tasks: [task(params({ discover_from: undefined, namespaces: undefined, roles: [name] }))], targets });
    expect(r.reporter.end('trust').status).toBe('changed');
    const edited = sb.aws.state.iam.trustPolicy(name);
    edited.Statement.push({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' });
    sb.aws.state.iam.updateAssumeRolePolicy(name, JSON.stringify(edited));
    const mark = sb.requestLog.mark();
    const reporter = new CollectingReporter();
    const out = await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter, yes: true });
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
      const r = await runTasks({ tasks: [task(params())], targets });
      const end = r.reporter.end('trust');
      expect(end.status).toBe('failed');
      expect(end.message).toBe(`IAM has no OIDC provider for cluster kubeflow-green (issuer ${greenHost})`);
      expect(end.hint).toContain('eksctl utils associate-iam-oidc-provider --cluster kubeflow-green --region us-west-2 --approve');
      expect(updates(mark)).toEqual([]);
    } finally {
      sb.aws.state.iam.oidcProviders.set(arn, provider);
    }
  });

  it('names a role that does not exist and where it came from', async () => {
    const r = await runTasks({ tasks: [task(params({ roles: [profileRoles[0], 'arn:aws:iam::123456789012:role/kf-nobody'] }))], targets });
    const end = r.reporter.end('trust');
    expect(end.status).toBe('failed');
    expect(end.message).toBe('IAM role not found: kf-nobody (from roles[1])');
    expect(sb.aws.state.iam.getRole(profileRoles[0]).AssumeRolePolicyDocument).toBe(original.get(profileRoles[0]));
  });

  it('merges listed and discovered roles, and leaves a role that does not trust blue alone', async () => {
    const clusterRole = `${sb.scenario.blue.clusterName}-cluster-role`;
    const r = await runTasks({ tasks: [task(params({ namespaces: ['team-001'], roles: [profileRoles[1], clusterRole, 'kf-velero'] }))], targets });
    const end = r.reporter.end('trust');
    expect(end.status, end.message).toBe('changed');
    expect(end.changes.map((c) => c.target)).toEqual([`iam role ${profileRoles[1]}`, 'iam role kf-velero']);
    expect(end.notes.join('\n')).toMatch(new RegExp(`role ${clusterRole} \\(from roles\\[1\\]\\) has no statement trusting kubeflow-blue's OIDC provider`));
    expect(sb.aws.state.iam.getRole(clusterRole).AssumeRolePolicyDocument).toBe(original.get(clusterRole));
  });

  it('rides out IAM throttling and a flaky blue API server', async () => {
    sb.traffic.setFaults([
      { fault: 'throttle', target: 'aws', service: 'iam', rate: 0.3 },
      { fault: 'error503', target: 'blue', times: 2 },
    ]);
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params())], targets });
    expect(r.reporter.end('trust').status, r.reporter.end('trust').message).toBe('changed');
    expect(sb.requestLog.since(mark).filter((e) => e.fault).length).toBeGreaterThan(1);
    for (const name of profileRoles) expect(sb.aws.state.iam.trustPolicy(name).Statement).toHaveLength(2);
  }, 20_000);

  it.each([
    [{ blue_cluster: 'kubeflow-bleu' }, /blue_cluster: EKS cluster "kubeflow-bleu" not found/],
    [{ green_cluster: 'kubeflow-blue' }, /same OIDC issuer/],
    [{ discover_from: undefined, namespaces: undefined }, /needs roles to work on/],
    [{ discover_from: 'purple' }, /unknown cluster "purple"/],
    [{ roles: ['not a role'] }, /roles\[0\] is neither an IAM role name nor a role ARN/],
  ])('rejects bad input %j', async (over, message) => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params(over))], targets });
    const end = r.reporter.end('trust');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(message);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
  });
});
