// backup-snapshot beyond its conformance table (backup-snapshot.test.ts): what check plans, a run
// without snapshot_key that starts every job before it reads any, wait: false, failed jobs,
// throttling, and the refusals only a live read can make (vault, role, the role's path).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../helpers/sandbox.js';
import { runTasks } from '../helpers/run.js';
import { readJournal } from '../../src/runner/state/journal.js';
import type { Targets } from '../../src/runner/types.js';

let sb: Sandbox;
let restore: () => void;
let targets: Targets;

beforeAll(async () => {
  sb = await startSandbox({ profiles: 1, timing: { backupJobMs: 200 } });
  restore = sb.applyEnv();
  targets = {
    aws: { region: sb.scenario.region },
    clusters: { blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' }, green: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-green' } },
  };
});

afterAll(async () => {
  restore?.();
  await sb?.stop();
});

const roleArn = () => sb.aws.state.iam.getRole(sb.scenario.backup.roleName).Arn;

const params = (over: Record<string, unknown> = {}) => ({
  vault: sb.scenario.backup.vault,
  role_arn: roleArn(),
  resources: { efs: String(sb.vars.efs_file_system_arn), s3: String(sb.vars.s3_bucket_arn), rds: String(sb.vars.rds_instance_arn), fsx: '' },
  poll: { initial: '20ms', max: '80ms' },
  ...over,
});

const task = (p: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name: 'snap', 'backup-snapshot': p, register: 'snap', ...extra });

const starts = (mark: number) => sb.requestLog.since(mark).filter((e) => e.operation === 'StartBackupJob' && e.status === 200);

describe('backup-snapshot', () => {
  it('dry-run describes the jobs', async () => {
    const r = await runTasks({ tasks: [task(params())], targets, mode: 'dry-run' });
    const describe = r.reporter.end('snap').describe?.join('\n') ?? '';
    expect(describe).toContain(`into vault ${sb.scenario.backup.vault}`);
    expect(describe).toMatch(/efs\s+arn:aws:elasticfilesystem:/);
    expect(describe).not.toContain('fsx');
    expect(describe).toMatch(/polling every 20ms, up to 80ms apart, factor 1.5/);
  });

  it('check lists the jobs it would start after reading the vault and the role', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params())], targets, mode: 'check' });
    const end = r.reporter.end('snap');
    expect(end.status).toBe('changed');
    expect(end.changes.map((c) => c.action)).toEqual(['create', 'create', 'create']);
    expect(end.changes.map((c) => c.target).join(' ')).toContain(String(sb.vars.rds_instance_arn));
    expect(end.notes.filter((n) => /no recovery point/.test(n))).toHaveLength(3);
    expect(sb.requestLog.since(mark).map((e) => e.operation)).toEqual(expect.arrayContaining(['DescribeBackupVault', 'GetRole', 'ListRecoveryPointsByBackupVault']));
  });

  it('run starts every job at once, reports progress per job and outputs the recovery points', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params())], targets });
    const end = r.reporter.end('snap');
    expect(end.status, end.message).toBe('changed');
    expect(starts(mark)).toHaveLength(3);
    const jobs = [...sb.aws.state.backup.jobs.values()].filter((j) => j.CreationDate >= sb.requestLog.since(mark)[0].time);
    expect(jobs.map((j) => j.State)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    // the three jobs were started before any of them was described
    const ops = sb.requestLog.since(mark).map((e) => e.operation);
    expect(ops.lastIndexOf('StartBackupJob')).toBeLessThan(ops.indexOf('DescribeBackupJob', ops.indexOf('StartBackupJob')));
    const progress = r.reporter.events.filter((e) => e.type === 'task-progress').map((e) => (e as { message: string }).message);
    for (const j of jobs) expect(progress.some((m) => m.includes(j.BackupJobId) && /COMPLETED 100\.0%/.test(m))).toBe(true);
    const points = sb.aws.state.backup.recoveryPoints;
    const byResource = Object.fromEntries([...points.values()].map((p) => [p.ResourceArn, p.RecoveryPointArn]));
    // the outputs as the journal (and so the next task's register) holds them
    const journal = readJournal(r.stateDir, r.result.runId);
    const snapEnd = journal.find((x) => x.t === 'task-end' && x.name === 'snap') as unknown as { outputs: { recovery_points: Record<string, string>; jobs: Record<string, string> } };
    expect(snapEnd.outputs.recovery_points).toEqual({
      efs: byResource[String(sb.vars.efs_file_system_arn)],
      s3: byResource[String(sb.vars.s3_bucket_arn)],
      rds: byResource[String(sb.vars.rds_instance_arn)],
    });
    expect(snapEnd.outputs.recovery_points.rds).toMatch(/^arn:aws:rds:.*:snapshot:awsbackup:job-/);
    expect(Object.keys(snapEnd.outputs.jobs)).toEqual(['efs', 's3', 'rds']);
  });

  it('check afterwards reports the age of the latest recovery point', async () => {
    const r = await runTasks({ tasks: [task(params())], targets, mode: 'check' });
    const notes = r.reporter.end('snap').notes;
    expect(notes.filter((n) => /latest recovery point is \d+s old \(arn:/.test(n))).toHaveLength(3);
  });

  it('fails with each failed job\'s status message', async () => {
    sb.traffic.scenario = { failBackupJobs: ['*'] };
    try {
      const r = await runTasks({ tasks: [task(params())], targets });
      const end = r.reporter.end('snap');
      expect(end.status).toBe('failed');
      expect(end.message).toMatch(/3 of 3 backup job\(s\) did not complete/);
      expect(end.message).toMatch(/efs job [0-9A-F-]+ FAILED: An internal error occurred while backing up EFS resource/);
      expect(end.message).toContain('rds job');
    } finally {
      sb.traffic.scenario = {};
    }
  });

  it('names only the job that failed and still logs the others\' recovery points', async () => {
    sb.traffic.scenario = { failBackupJobs: [':s3:::'] };
    try {
      const r = await runTasks({ tasks: [task(params())], targets });
      const end = r.reporter.end('snap');
      expect(end.status).toBe('failed');
      expect(end.message).toMatch(/^1 of 3 backup job\(s\) did not complete: s3 job /);
      const logs = r.reporter.events.filter((e) => e.type === 'task-log').map((e) => (e as { message: string }).message);
      expect(logs.some((l) => /efs backup job .* completed: recovery point arn:/.test(l))).toBe(true);
    } finally {
      sb.traffic.scenario = {};
    }
  });

  it('rides out throttling (the SDK retries) without starting a job twice', async () => {
    sb.traffic.setFaults([{ fault: 'throttle', target: 'aws', rate: 0.3 }]);
    const before = sb.aws.state.backup.jobs.size;
    const mark = sb.requestLog.mark();
    try {
      const r = await runTasks({ tasks: [task(params())], targets });
      expect(r.reporter.end('snap').status, r.reporter.end('snap').message).toBe('changed');
    } finally {
      sb.traffic.setFaults([]);
    }
    expect(sb.requestLog.since(mark).some((e) => e.fault === 'throttle')).toBe(true);
    expect(sb.aws.state.backup.jobs.size - before).toBe(3);
  }, 20_000);

  it('with wait: false ends once the jobs are started, with the recovery points known then', async () => {
    const r = await runTasks({ tasks: [task(params({ resources: { s3: String(sb.vars.s3_bucket_arn), rds: String(sb.vars.rds_instance_arn) }, wait: false }))], targets });
    expect(r.reporter.end('snap').status).toBe('changed');
    const journal = readJournal(r.stateDir, r.result.runId);
    const out = (journal.find((x) => x.t === 'task-end' && x.name === 'snap') as unknown as { outputs: { recovery_points: Record<string, string>; jobs: Record<string, string> } }).outputs;
    // AWS names an S3 recovery point when the job starts; an RDS snapshot only when it completes
    expect(Object.keys(out.recovery_points)).toEqual(['s3']);
    expect(Object.keys(out.jobs)).toEqual(['s3', 'rds']);
    const logs = r.reporter.events.flatMap((e) => (e.type === 'task-log' ? [e.message] : []));
    expect(logs.some((l) => /not waiting: s3 job .*, rds job .* keep running in AWS/.test(l))).toBe(true);
  });

  it.each([
    [{ vault: 'no-such-vault' }, /backup vault "no-such-vault" does not exist/, /create-backup-vault/],
    [{ role_arn: 'arn:aws:iam::123456789012:role/missing-backup-role' }, /backup role "missing-backup-role" .* does not exist/, /AWSBackupDefaultServiceRole/],
    [{ role_arn: 'arn:aws:iam::123456789012:role/AWSBackupDefaultServiceRole' }, /does not match the role's ARN arn:aws:iam::123456789012:role\/service-role\/AWSBackupDefaultServiceRole/, /use role_arn/],
  ])('refuses %j in check, after reading only', async (over, message, hint) => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params(over))], targets });
    const end = r.reporter.end('snap');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(message);
    expect(end.hint).toMatch(hint);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
  });
});
