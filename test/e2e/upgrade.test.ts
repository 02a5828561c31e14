// The whole blue/green upgrade against the sandbox: dry-run touches nothing, check writes
// nothing, run does everything the manual procedure does, a second run is all ok, and rollback
// puts traffic and configuration back on blue.
import { testTasks } from '../helpers/registry.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import { upgradeEndState } from '../../src/sandbox/summary.js';
import { oidcProviderArn } from '../../src/sandbox/scenario.js';
import { CollectingReporter } from '../helpers/run.js';
import { expectUpgraded, sandbox, upgrade } from './helpers.js';

let sb: Sandbox;
let done: () => Promise<void>;
beforeAll(async () => {
  ({ sb, done } = await sandbox());
});
afterAll(async () => done?.());

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
