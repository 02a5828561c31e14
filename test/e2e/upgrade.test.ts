// The whole blue/green upgrade against the sandbox: dry-run touches nothing, check writes
// nothing, run does everything the manual procedure does, a second run is all ok, and rollback
// puts traffic and configuration back on blue. Then what nights in a maintenance window bring:
// a run under transient faults (throttling, 5xx, conflicts, dropped connections) killed with
// SIGKILL part-way and resumed ends in the state of the undisturbed run above, with no duplicate
// side effect. (The long suite, npm run test:resilience, kills at twenty moments and runs every
// fault class on its own.)
import { testTasks } from '../helpers/registry.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { kfupBin } from '../helpers/cli.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import { upgradeEndState } from '../../src/sandbox/summary.js';
import { oidcProviderArn } from '../../src/sandbox/scenario.js';
import { CollectingReporter } from '../helpers/run.js';
import { comparable, expectUpgraded, runStarted, sandbox, upgrade, upgradeCli } from './helpers.js';

let sb: Sandbox;
let done: () => Promise<void>;
beforeAll(async () => {
  ({ sb, done } = await sandbox());
});
afterAll(async () => done?.());

/** `kfup runs --state-dir …` of a sandbox's runs, its output */
function listRuns(sb: Sandbox): Promise<string> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [kfupBin, 'runs', '--state-dir', join(sb.dir, '.kfup')], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', () => res(out));
  });
}

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

describe('a night in a maintenance window', () => {
  it('a run under 10% transient faults, killed part-way and resumed, ends as the undisturbed run did, with no duplicate backup or restore', { timeout: 300_000 }, async () => {
    expect(undisturbed, 'the undisturbed run above').toBeDefined();
    const { sb, done } = await sandbox({ seed: 7 });
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
      const listed = await listRuns(sb);
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
      await done();
    }
  });
});
