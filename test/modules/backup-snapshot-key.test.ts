// backup-snapshot across runs: two fresh runs (two run ids) of the same upgrade with one
// snapshot_key take one snapshot; the second finds it by its recovery point tag and is `ok` with
// the same outputs. Another key takes new snapshots; check sends nothing that writes. RDS and FSx
// recovery points are snapshots / backups of those services, whose tags RDS and FSx serve (AWS
// Backup's ListTags refuses them, in the sandbox as on AWS); their clients load only when needed.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../helpers/sandbox.js';
import { readJournal } from '../../src/runner/state/journal.js';
import { SNAPSHOT_KEY_TAG } from '../../src/modules/backup/snapshot-key.js';
import { runTasks } from '../helpers/run.js';
import type { Targets } from '../../src/runner/types.js';

let sb: Sandbox;
let restore: () => void;
let targets: Targets;

beforeAll(async () => {
  sb = await startSandbox({ profiles: 1, timing: { backupJobMs: 150 } });
  restore = sb.applyEnv();
  targets = { aws: { region: sb.scenario.region } };
});

afterAll(async () => {
  restore?.();
  await sb?.stop();
});

const params = (over: Record<string, unknown> = {}) => ({
  vault: sb.scenario.backup.vault,
  role_arn: sb.aws.state.iam.getRole(sb.scenario.backup.roleName).Arn,
  resources: { efs: String(sb.vars.efs_file_system_arn), s3: String(sb.vars.s3_bucket_arn), rds: String(sb.vars.rds_instance_arn), fsx: '' },
  poll: { initial: '20ms', max: '80ms' },
  ...over,
});
const task = (p: Record<string, unknown>) => ({ name: 'snap', 'backup-snapshot': p, register: 'snap' });

const starts = (mark: number) => sb.requestLog.since(mark).filter((e) => e.operation === 'StartBackupJob');
type Out = { recovery_points: Record<string, string>; jobs: Record<string, string> };
const outputsOf = (r: Awaited<ReturnType<typeof runTasks>>): Out =>
  (readJournal(r.stateDir, r.result.runId).filter((x) => x.t === 'task-end' && x.name === 'snap').pop() as unknown as { outputs: Out }).outputs;

/** whether this test process has loaded an SDK client package (the SDK ships CommonJS, so Node's require cache lists it) */
const loaded = (pkg: string) => Object.keys(createRequire(import.meta.url).cache).some((p) => p.includes(`${pkg}/dist-cjs/`));

describe('backup-snapshot with a snapshot_key', () => {
  const key = 'kf-upgrade-kubeflow-green';
  let first: Out;

  it('a run that meets no RDS or FSx recovery point loads neither client', async () => {
    // runs first in this file (its own process): nothing here has needed RDS or FSx yet
    const r = await runTasks({ tasks: [task(params({ snapshot_key: 'kf-efs-only', resources: { efs: String(sb.vars.efs_file_system_arn) } }))], targets });
    expect(r.reporter.end('snap').status).toBe('changed');
    const again = await runTasks({ tasks: [task(params({ snapshot_key: 'kf-efs-only', resources: { efs: String(sb.vars.efs_file_system_arn) } }))], targets });
    expect(again.reporter.end('snap').status).toBe('ok');
    expect(loaded('@aws-sdk/client-backup')).toBe(true);
    expect(loaded('@aws-sdk/client-rds')).toBe(false);
    expect(loaded('@aws-sdk/client-fsx')).toBe(false);
  });

  it('the first run starts one job per resource and tags every recovery point with the key', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params({ snapshot_key: key }))], targets });
    const end = r.reporter.end('snap');
    expect(end.status, end.message).toBe('changed');
    expect(starts(mark)).toHaveLength(3);
    first = outputsOf(r);
    expect(Object.keys(first.recovery_points).sort()).toEqual(['efs', 'rds', 's3']);
    for (const rp of Object.values(first.recovery_points)) {
      expect(sb.aws.state.backup.recoveryPoints.get(rp)?.Tags).toEqual({ [SNAPSHOT_KEY_TAG]: key });
    }
  });

  it('a check of a second, fresh run sees the snapshot and sends no mutating request', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params({ snapshot_key: key }))], targets, mode: 'check' });
    const end = r.reporter.end('snap');
    expect(end.status, end.message).toBe('ok');
    expect(end.notes.filter((n) => n.includes(`${SNAPSHOT_KEY_TAG}=${key}`))).toHaveLength(3);
    const log = sb.requestLog.since(mark);
    expect(log.filter((e) => e.mutating)).toEqual([]);
    expect(log.map((e) => e.operation)).toContain('ListTags');
    // the RDS snapshot's tags come from RDS itself, and AWS Backup is not asked for them
    expect(log.filter((e) => e.service === 'rds').map((e) => e.operation)).toEqual(['ListTagsForResource']);
    expect(log.filter((e) => e.operation === 'ListTags' && e.status !== 200)).toEqual([]);
    expect(loaded('@aws-sdk/client-rds')).toBe(true);
    expect(loaded('@aws-sdk/client-fsx')).toBe(false);
  });

  it('a second, fresh run (another run id) is ok with the same recovery points and starts no job', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params({ snapshot_key: key }))], targets });
    const end = r.reporter.end('snap');
    expect(end.status, end.message).toBe('ok');
    expect(starts(mark)).toEqual([]);
    const second = outputsOf(r);
    expect(second.recovery_points).toEqual(first.recovery_points);
    expect(second.jobs).toEqual(first.jobs);
    expect(second.recovery_points.rds).toMatch(/^arn:aws:rds:.*:snapshot:awsbackup:job-/);
    expect(end.notes.join('\n')).not.toContain('cannot read the tags');
  });

  it('an FSx backup is recognised by the tags FSx holds: the second fresh run is ok and starts nothing', async () => {
    const fsx = `arn:aws:fsx:${sb.scenario.region}:${sb.scenario.accountId}:file-system/fs-0123456789abcdef0`;
    const p = params({ snapshot_key: 'kf-fsx', resources: { fsx } });
    const one = await runTasks({ tasks: [task(p)], targets });
    expect(one.reporter.end('snap').status, one.reporter.end('snap').message).toBe('changed');
    const rp = outputsOf(one).recovery_points.fsx;
    expect(rp).toMatch(/^arn:aws:fsx:.*:backup\/backup-/);

    const mark = sb.requestLog.mark();
    const check = await runTasks({ tasks: [task(p)], targets, mode: 'check' });
    expect(check.reporter.end('snap').status).toBe('ok');
    const log = sb.requestLog.since(mark);
    expect(log.filter((e) => e.mutating)).toEqual([]);
    expect(log.filter((e) => e.service === 'fsx').map((e) => e.operation)).toEqual(['ListTagsForResource']);

    const two = await runTasks({ tasks: [task(p)], targets });
    expect(two.reporter.end('snap').status).toBe('ok');
    expect(starts(mark)).toEqual([]);
    expect(outputsOf(two).recovery_points.fsx).toBe(rp);
    expect(loaded('@aws-sdk/client-fsx')).toBe(true);
  });

  it('a newer untagged recovery point of the resource does not hide the keyed one', async () => {
    // a backup someone took by hand (no key) after the first run
    const mark = sb.requestLog.mark();
    const other = await runTasks({ tasks: [task(params({ resources: { efs: String(sb.vars.efs_file_system_arn) } }))], targets });
    expect(other.reporter.end('snap').status).toBe('changed');
    expect(starts(mark)).toHaveLength(1);
    const r = await runTasks({ tasks: [task(params({ snapshot_key: key }))], targets });
    expect(r.reporter.end('snap').status).toBe('ok');
    expect(outputsOf(r).recovery_points.efs).toBe(first.recovery_points.efs);
  });

  it('a different key starts new jobs and leaves the first snapshot alone', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task(params({ snapshot_key: 'kf-upgrade-kubeflow-green-2' }))], targets });
    const end = r.reporter.end('snap');
    expect(end.status, end.message).toBe('changed');
    expect(starts(mark)).toHaveLength(3);
    const out = outputsOf(r);
    for (const k of ['efs', 's3', 'rds']) {
      expect(out.recovery_points[k]).not.toBe(first.recovery_points[k]);
      expect(sb.aws.state.backup.recoveryPoints.get(out.recovery_points[k])?.Tags[SNAPSHOT_KEY_TAG]).toBe('kf-upgrade-kubeflow-green-2');
    }
    expect(sb.aws.state.backup.recoveryPoints.get(first.recovery_points.efs)?.Tags[SNAPSHOT_KEY_TAG]).toBe(key);
  });

  it('without snapshot_key every run takes its own snapshot (the run id is the key)', async () => {
    const mark = sb.requestLog.mark();
    const a = await runTasks({ tasks: [task(params({ resources: { s3: String(sb.vars.s3_bucket_arn) } }))], targets });
    const b = await runTasks({ tasks: [task(params({ resources: { s3: String(sb.vars.s3_bucket_arn) } }))], targets });
    expect(a.reporter.end('snap').status).toBe('changed');
    expect(b.reporter.end('snap').status).toBe('changed');
    expect(starts(mark)).toHaveLength(2);
    expect(sb.aws.state.backup.recoveryPoints.get(outputsOf(b).recovery_points.s3)?.Tags[SNAPSHOT_KEY_TAG]).toBe(b.result.runId);
  });

  it('after a failed run, a fresh run under the same key starts a new job rather than the failed one', async () => {
    const failKey = 'kf-upgrade-failed-once';
    sb.traffic.scenario = { failBackupJobs: [':s3:::'] };
    const mark = sb.requestLog.mark();
    const failed = await runTasks({ tasks: [task(params({ snapshot_key: failKey, resources: { s3: String(sb.vars.s3_bucket_arn) } }))], targets });
    sb.traffic.scenario = {};
    expect(failed.reporter.end('snap').status).toBe('failed');
    // same key, same resource, same first token: AWS hands back the failed job, so apply moves on to a new one
    const r = await runTasks({ tasks: [task(params({ snapshot_key: failKey, resources: { s3: String(sb.vars.s3_bucket_arn) } }))], targets });
    const end = r.reporter.end('snap');
    expect(end.status, end.message).toBe('changed');
    const ids = starts(mark).length;
    expect(ids).toBe(3);
    const jobs = [...sb.aws.state.backup.jobs.values()].filter((j) => j.RecoveryPointTags?.[SNAPSHOT_KEY_TAG] === failKey);
    expect(jobs.map((j) => j.State).sort()).toEqual(['COMPLETED', 'FAILED']);
    expect(outputsOf(r).recovery_points.s3).toBe(jobs.find((j) => j.State === 'COMPLETED')!.RecoveryPointArn);
  });
});
