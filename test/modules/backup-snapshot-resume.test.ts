// backup-snapshot when the wait is cut short: the task's timeout says which jobs keep running in
// AWS, a resumed run waits on those same jobs (no second StartBackupJob), a resume after the
// jobs finished is `ok` with their recovery points, and revert only tells how to restore.
import { testTasks } from '../helpers/registry.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../helpers/sandbox.js';
import { readJournal } from '../../src/runner/state/journal.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';
import type { Targets } from '../../src/runner/types.js';

let sb: Sandbox;
let restore: () => void;
let targets: Targets;
// long enough that a busy machine still starts both jobs before the task's timeout cuts the wait
const JOB_MS = 3000;

beforeAll(async () => {
  sb = await startSandbox({ profiles: 1, timing: { backupJobMs: JOB_MS } });
  restore = sb.applyEnv();
  targets = { aws: { region: sb.scenario.region } };
  // load the SDK clients once, so that the timed-out runs below spend their time on the jobs
  await runTasks({ tasks: [task()], targets, mode: 'check' });
});

afterAll(async () => {
  restore?.();
  await sb?.stop();
});

const task = (extra: Record<string, unknown> = {}) => ({
  name: 'snap',
  'backup-snapshot': {
    vault: sb.scenario.backup.vault,
    role_arn: sb.aws.state.iam.getRole(sb.scenario.backup.roleName).Arn,
    resources: { efs: String(sb.vars.efs_file_system_arn), s3: String(sb.vars.s3_bucket_arn) },
    poll: { initial: '30ms', max: '100ms' },
  },
  register: 'snap',
  ...extra,
});

const startCount = (mark: number) => sb.requestLog.since(mark).filter((e) => e.operation === 'StartBackupJob').length;
const logs = (r: { reporter: CollectingReporter }) => r.reporter.events.filter((e) => e.type === 'task-log').map((e) => (e as { message: string }).message);
const persistedJobs = (stateDir: string, runId: string) =>
  readJournal(stateDir, runId)
    .filter((x) => x.t === 'persist' && x.k === 'jobs')
    .map((x) => (x as { v: Record<string, { jobId: string }> }).v)
    .pop();

/** a run whose task times out while its jobs are still running */
async function interruptedRun() {
  const mark = sb.requestLog.mark();
  const r = await runTasks({ tasks: [task({ timeout: '1500ms' })], targets });
  return { r, mark };
}

describe('backup-snapshot interrupted and resumed', () => {
  it('on timeout names the jobs that keep running and has journaled their ids', async () => {
    const { r, mark } = await interruptedRun();
    const end = r.reporter.end('snap');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/timed out after 1.5s/);
    expect(startCount(mark)).toBe(2);
    const jobs = persistedJobs(r.stateDir, r.result.runId)!;
    expect(Object.keys(jobs).sort()).toEqual(['efs', 's3']);
    const said = logs(r).find((l) => l.includes('keep running in AWS'));
    expect(said).toBeDefined();
    expect(said).toContain(jobs.efs.jobId);
    expect(said).toContain(jobs.s3.jobId);
    expect(said).toContain(`--resume ${r.result.runId}`);
    // they do keep running
    expect(sb.aws.state.backup.jobs.get(jobs.efs.jobId)?.State).not.toBe('FAILED');
  });

  it('a resumed run waits on the same jobs instead of starting new ones', async () => {
    const { r } = await interruptedRun();
    const jobs = persistedJobs(r.stateDir, r.result.runId)!;
    const mark = sb.requestLog.mark();
    const resumed = await runTasks({ tasks: [task()], targets, dir: r.dir, resume: r.result.runId, force: true, notice: () => {} }); // the timeout was dropped: an edited playbook, so --force
    const end = resumed.reporter.end('snap');
    expect(end.status, end.message).toBe('changed');
    expect(end.changes.map((c) => c.action)).toEqual(['run', 'run']);
    expect(end.changes.map((c) => c.target).sort()).toEqual([`aws backup job ${jobs.efs.jobId}`, `aws backup job ${jobs.s3.jobId}`].sort());
    expect(startCount(mark)).toBe(0);
    expect(sb.aws.state.backup.jobs.get(jobs.efs.jobId)?.State).toBe('COMPLETED');
  });

  it('a resume after the jobs completed is ok and outputs their recovery points', async () => {
    const { r } = await interruptedRun();
    const jobs = persistedJobs(r.stateDir, r.result.runId)!;
    // until AWS has finished both jobs
    const endsAt = Math.max(...[jobs.efs.jobId, jobs.s3.jobId].map((id) => sb.aws.state.backup.jobs.get(id)!.endsAt));
    await new Promise((res) => setTimeout(res, Math.max(0, endsAt - Date.now()) + 50));
    const mark = sb.requestLog.mark();
    const resumed = await runTasks({ tasks: [task()], targets, dir: r.dir, resume: r.result.runId, force: true, notice: () => {} }); // the timeout was dropped: an edited playbook, so --force
    const end = resumed.reporter.end('snap');
    expect(end.status, end.message).toBe('ok');
    expect(startCount(mark)).toBe(0);
    const outputs = readJournal(resumed.stateDir, r.result.runId).filter((x) => x.t === 'task-end' && x.name === 'snap').pop() as unknown as { outputs: { recovery_points: Record<string, string>; jobs: Record<string, string> } };
    expect(outputs.outputs.jobs).toEqual({ efs: jobs.efs.jobId, s3: jobs.s3.jobId });
    expect(outputs.outputs.recovery_points.efs).toBe(sb.aws.state.backup.jobs.get(jobs.efs.jobId)?.RecoveryPointArn);
  }, 20_000);

  it('a retried task whose job failed starts one new job (a fresh token), not the failed one again', async () => {
    sb.traffic.scenario = { failBackupJobs: [':s3:::'] };
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task({ retries: 1, delay: '10ms' })], targets });
    sb.traffic.scenario = {};
    // the first attempt starts two jobs; s3 fails, and fails again on the retry (the fault is on while it runs)
    const end = r.reporter.end('snap');
    expect(end.status).toBe('failed');
    expect(startCount(mark)).toBe(3);
    const retry = r.reporter.events.filter((e) => e.type === 'task-plan').pop() as { changes: { action: string; summary: string }[] };
    expect(retry.changes).toHaveLength(1);
    expect(retry.changes[0].summary).toMatch(/start a new s3 backup .* ended FAILED/);
  }, 20_000);

  it('revert changes nothing and notes how to restore each recovery point', async () => {
    const r = await runTasks({ tasks: [task()], targets });
    expect(r.reporter.end('snap').status).toBe('changed');
    const mark = sb.requestLog.mark();
    const reporter = new CollectingReporter();
    const out = await rollbackRun({ registry: testTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter, yes: true });
    expect(out.failed).toBe(false);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
    // the revert plan changes nothing; its notes say where the recovery points are
    const end = reporter.ends()[0];
    expect(end).toMatchObject({ status: 'ok', changes: [] });
    const lines = end.notes.join('\n');
    expect(lines).toMatch(/not rolled back automatically/);
    expect(lines).toMatch(/aws backup start-restore-job --recovery-point-arn arn:aws:backup:/);
  }, 20_000);
});
