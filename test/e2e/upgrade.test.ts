// The whole blue/green upgrade against the sandbox: dry-run touches nothing, check writes
// nothing, run does everything the manual procedure does, a second run is all ok, and rollback
// puts traffic and configuration back on blue. Then what nights in a maintenance window bring:
// a run under transient faults (throttling, 5xx, conflicts, dropped connections) killed with
// SIGKILL part-way and resumed ends in the state of the undisturbed run above, with no duplicate
// side effect. (The long suite, npm run test:resilience, kills at twenty moments and runs every
// fault class on its own.) And the upgrade after that one, from green to a third cluster, on the
// same sandbox.
import { testTasks } from '../helpers/registry.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Sandbox } from '../../src/sandbox/index.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import { upgradeEndState } from '../../src/sandbox/summary.js';
import { oidcProviderArn } from '../../src/sandbox/scenario.js';
import { DeleteOpenIDConnectProviderCommand, IAMClient } from '@aws-sdk/client-iam';
import { runPlaybook } from '../../src/runner/index.js';
import { builtinTasks } from '../../src/modules/index.js';
import { CollectingReporter } from '../helpers/run.js';
import { comparable, expectUpgraded, kfupCli, runStarted, sandbox, upgrade, upgradeCli, upgradePlaybook } from './helpers.js';

let sb: Sandbox;
let done: () => Promise<void>;
beforeAll(async () => {
  // with the third cluster the last test upgrades to, so that the undisturbed run's end state is
  // comparable with the disturbed one's (the zone holds the third cluster's platform record)
  ({ sb, done } = await sandbox({ thirdCluster: true }));
});
afterAll(async () => done?.());

const failures = (r: CollectingReporter) => JSON.stringify(r.ends().filter((e) => e.status === 'failed').map((e) => `${e.task.name}: ${e.message}`));
const USER_KINDS: [string, string][] = [
  ['kubeflow.org/v1', 'Profile'],
  ['kubeflow.org/v1', 'Notebook'],
  ['v1', 'PersistentVolumeClaim'],
  ['serving.kserve.io/v1beta1', 'InferenceService'],
];

/** the end state of the undisturbed run below, which the disturbed one must reach too */
let undisturbed: ReturnType<typeof comparable> | undefined;

describe('the upgrade playbook against the sandbox', () => {
  let runId = '';

  it('dry-run sends nothing at all', async () => {
    const mark = sb.requestLog.mark();
    const { result, reporter } = await upgrade(sb, 'dry-run');
    expect(result.failed).toBe(false);
    expect(reporter.ends().some((e) => e.status === 'planned')).toBe(true);
    expect(sb.requestLog.since(mark)).toEqual([]);
  });

  it('check reports the pending changes and sends no mutating request', async () => {
    const mark = sb.requestLog.mark();
    const { result, reporter } = await upgrade(sb, 'check', { diff: true });
    expect(result.failed, JSON.stringify(reporter.ends().filter((e) => e.status === 'failed'))).toBe(false);
    expect(result.changesPending).toBe(true);
    const changed = reporter.ends().filter((e) => e.status === 'changed').map((e) => e.task.name);
    expect(changed).toEqual(expect.arrayContaining(['Mark the notebook volumes for Velero', 'Back up blue with Velero', 'Let the profile roles trust green\'s OIDC provider']));
    // the redirect goes to green's platform hostname, green's Terraform output kubelow_platform_domain:
    // known once the apply that check only plans has run
    const cut = reporter.ends().find((e) => e.task.name === 'Send users to green');
    expect(cut?.status).toBe('deferred');
    expect(cut?.notes).toContain('parameter "rule.to_host" is known after apply');
    const sent = sb.requestLog.since(mark);
    expect(sent.length).toBeGreaterThan(20);
    expect(sent.filter((e) => e.mutating)).toEqual([]);
  }, 180_000);

  it('run carries everything across and switches traffic to green', async () => {
    const { result, reporter } = await upgrade(sb, 'run');
    expect(result.failed, JSON.stringify(reporter.ends().filter((e) => e.status === 'failed'))).toBe(false);
    runId = result.runId;
    expectUpgraded(sb);
    undisturbed = comparable(upgradeEndState(sb));
  }, 180_000); // green deployed in the Makefile's four Terraform stages, on a shared machine

  it('a second run reports every task ok', async () => {
    const mark = sb.requestLog.mark();
    const { result, reporter } = await upgrade(sb, 'run');
    const notOk = reporter.ends().filter((e) => !["ok", "skipped"].includes(e.status)).map((e) => `${e.task.name}: ${e.status} ${e.changes.map((c) => c.target).join(", ")}`);
    expect(notOk).toEqual([]);
    expect(result.counts.changed).toBe(0);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
  }, 120_000);

  it('rollback puts traffic and configuration back on blue', async () => {
    const check = new CollectingReporter();
    const planned = await rollbackRun({ registry: testTasks, runId, stateDir: `${sb.dir}/.kfup`, mode: 'check', reporter: check });
    expect(planned.changesPending).toBe(true);
    expect(upgradeEndState(sb).albRedirectHost).toBe(sb.scenario.green.platformDomain);

    const reporter = new CollectingReporter();
    const r = await rollbackRun({ registry: testTasks, runId, stateDir: `${sb.dir}/.kfup`, mode: 'run', reporter, yes: true });
    expect(r.failed, JSON.stringify(reporter.ends().filter((e) => e.status === 'failed'))).toBe(false);
    const st = upgradeEndState(sb);
    expect(st.albRedirectHost).toBe(sb.scenario.blue.platformDomain);
    for (const p of sb.scenario.profiles) expect(st.records[`*.${p.namespace}.${sb.scenario.subdomain}. CNAME`]).toBe(sb.scenario.blue.servingHost);
    expect(st.records[`${sb.scenario.subdomain}. A`]).toBe(sb.scenario.blue.ingressHost);
    const green = oidcProviderArn(sb.scenario, 'green');
    for (const role of st.profileRoles) {
      expect(JSON.stringify(sb.aws.state.iam.trustPolicy(role))).not.toContain(green);
    }
    // the SageMaker endpoints survive the fail-back; the recovery points are named for a restore
    expect(st.endpoints.inSageMaker).toEqual(st.endpoints.expected);
    expect(JSON.stringify(reporter.events)).toMatch(/recovery point/i);
  });
});

describe('a night in a maintenance window, then the next upgrade', () => {
  // one sandbox for both (shadowing the file's): the night's upgrade leaves green serving, where
  // the next one starts
  let sb: Sandbox;
  let done: () => Promise<void>;
  beforeAll(async () => {
    ({ sb, done } = await sandbox({ seed: 7, thirdCluster: true }));
  });
  afterAll(async () => done?.());

  it('a run under 10% transient faults, killed part-way and resumed, ends as the undisturbed run did, with no duplicate backup or restore', { timeout: 300_000 }, async () => {
    expect(undisturbed, 'the undisturbed run above').toBeDefined();
    try {
      sb.traffic.setFaults(
        [
          { fault: 'throttle', rate: 0.04 },
          { fault: 'error503', rate: 0.03 },
          { fault: 'conflict', target: 'kube', rate: 0.03 },
          { fault: 'drop', rate: 0.01 },
        ],
        7,
      );
      // killed in the middle: after the backups started, before the cut-over (a fixed moment, so
      // that a failure can be replayed)
      const first = upgradeCli(sb, []);
      await runStarted(sb);
      await new Promise((r) => setTimeout(r, 900));
      first.kill();
      const killed = await first.done;
      // `kfup runs` tells a killed run from one still going
      const listed = (await kfupCli(['runs', '--state-dir', join(sb.dir, '.kfup')]).done).out;
      expect(listed).toMatch(/run\s+killed\s/);
      expect(listed).toMatch(/--resume/);
      // a check of the partly applied upgrade reads everything and writes nothing
      const mark = sb.requestLog.mark();
      const check = await upgradeCli(sb, ['--check']).done;
      expect(check.code, check.out.slice(-2000)).toBe(0);
      expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
      const resumed = await upgradeCli(sb, ['--resume', 'last']).done;
      expect(resumed.code, `killed at 900 ms (exit ${killed.code}); resume said:\n${resumed.out.slice(-3000)}`).toBe(0);
      sb.traffic.setFaults([]);
      expect(sb.requestLog.count((e) => e.fault !== undefined), 'faults were injected').toBeGreaterThan(5);
      expectUpgraded(sb);
      const st = upgradeEndState(sb);
      expect(comparable(st)).toEqual(undisturbed);
      expect(st.sideEffects.backupJobs, 'one AWS Backup job per data store').toBe(3);
      expect(st.sideEffects.veleroBackups).toBe(1);
      expect(st.sideEffects.veleroRestores).toBe(1);
    } finally {
      sb.traffic.setFaults([]);
    }
  });

  // Issue 13, point 11 ("Multiple upgrades" of the runbook, website/content/en/docs/deployment/
  // upgrade.md on the Kubeflow on AWS blue/green branch): the procedure repeats. Green becomes the
  // next blue, a third cluster the next green, and the original deployment's Terraform state stays
  // the source of the storage values. Between the two, blue is retired: its OIDC provider goes (as
  // Terraform's destroy of the EKS module removes it), so the statements naming it in the roles'
  // trust policies must be pruned (IAM refuses a policy naming a provider that does not exist).
  it('the next upgrade, green → the third cluster, succeeds: it serves, trust names only live providers, storage values come from the original state', { timeout: 300_000 }, async () => {
    expect(upgradeEndState(sb).albRedirectHost, 'the night left green serving').toBe(sb.scenario.green.platformDomain);
    // blue retired: its cluster's OIDC provider is deleted through IAM
    const blueProvider = oidcProviderArn(sb.scenario, 'blue');
    await new IAMClient({ region: sb.scenario.region }).send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: blueProvider }));
    expect(sb.aws.state.iam.oidcProviders.has(blueProvider)).toBe(false);

    // the second upgrade: the same playbook, green as blue, the third cluster as green
    const reporter = new CollectingReporter();
    const second = await runPlaybook({ playbook: upgradePlaybook, registry: builtinTasks, env: sb.secondEnvironmentFile!, mode: 'run', yes: true, reporter, stateDir: join(sb.dir, '.kfup') });
    expect(second.failed, failures(reporter)).toBe(false);
    // irsa-trust pruned blue's statements (IAM would refuse a policy still naming its provider)
    const trust = reporter.end("Let the profile roles trust green's OIDC provider");
    expect(trust.notes.join('\n')).toMatch(/statement\(s\) for OIDC providers that no longer exist are removed/);

    // the third cluster holds every user resource green held
    const s = sb.scenario;
    const userNs = new Set(s.profiles.map((p) => p.namespace));
    const names = (side: 'green' | 'third', apiVersion: string, kind: string) =>
      sb.clusters[side]!.server.store.list(apiVersion, kind)
        .filter((o) => (kind === 'Profile' ? userNs.has(o.metadata.name) : userNs.has(String(o.metadata.namespace))))
        .map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`)
        .sort();
    for (const [apiVersion, kind] of USER_KINDS) {
      const onGreen = names('green', apiVersion, kind);
      expect(onGreen.length, `green has ${kind}`).toBeGreaterThan(0);
      expect(names('third', apiVersion, kind), `the third cluster holds every ${kind}`).toEqual(onGreen);
    }

    // users are sent to the third cluster: the ALB rule to its platform hostname, the serving
    // records to its serving ingress, the Cognito apex alias to its ingress
    const st = upgradeEndState(sb);
    expect(st.albRedirectHost).toBe(s.third.platformDomain);
    for (const p of s.profiles) expect(st.records[`*.${p.namespace}.${s.subdomain}. CNAME`], `serving record of ${p.namespace}`).toBe(s.third.servingHost);
    expect(st.records[`${s.subdomain}. A`]).toBe(s.third.ingressHost);

    // every profile role trusts the third cluster, and names only providers that exist
    const thirdProvider = oidcProviderArn(s, 'third');
    for (const role of st.profileRoles) {
      const feds = sb.aws.state.iam.trustPolicy(role).Statement.map((x) => String((x.Principal as { Federated?: string }).Federated ?? ''));
      expect(feds, role).toContain(thirdProvider);
      // green, the cluster a rollback of the second upgrade goes back to, is still trusted
      expect(feds, role).toContain(oidcProviderArn(s, 'green'));
      expect(feds.filter((f) => !sb.aws.state.iam.oidcProviders.has(f)), `${role} names only live providers`).toEqual([]);
    }

    // the third cluster's Terraform values: its own names, and the storage values of the original
    // deployment's state (src/sandbox/tfstate.ts), not of green
    const tfvars = readFileSync(join(sb.dir, 'third-terraform', 'sample.auto.tfvars'), 'utf8');
    const value = (name: string) => new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, 'm').exec(tfvars)?.[1];
    expect(value('cluster_name')).toBe(s.third.clusterName);
    expect(value('stage')).toBe('third');
    expect(value('src_vpc_id')).toBe(s.vpc.id);
    expect(value('src_cluster_sg_id')).toBe(s.vpc.clusterSecurityGroup);
    expect(value('src_rds_endpoint')).toBe(s.rds.endpoint);
    expect(value('src_s3_bucket_name')).toBe(s.s3.bucket);
    expect(value('src_efs_fs_id')).toBe(s.efs.id);
    expect(value('src_velero_bucket_name')).toBe(s.velero.bucket);
  });
});
