// backup-snapshot: an on-demand AWS Backup snapshot of the data stores (EFS, S3, RDS, FSx) before
// the upgrade, in place of snapshot-state.sh. All jobs start at once; their ids are journaled as
// soon as AWS returns them, so a resumed run (or a retried task) waits on the same jobs instead
// of starting new ones, and the IdempotencyToken covers the gap between start and journal.
// Across runs: every recovery point is tagged with the snapshot key (the playbook's stable backup
// name), so a fresh run of the same upgrade finds the completed snapshot and reports `ok`. The tags
// are read where AWS keeps them: AWS Backup for EFS/S3, RDS for its snapshots, FSx for its backups.
import { BackupClient, DescribeBackupVaultCommand, StartBackupJobCommand } from '@aws-sdk/client-backup';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { awsErrorKind, defineTask, isNotFound, nameAfterRollback, parseDuration, rollbackText, TaskError, Unknown, type Change, type Context, type TaskContext } from './kit/index.js';
import type { BackupSnapshotOutputs, BackupSnapshotParams } from './generated/backup-snapshot.js';
import { planResource, type Jobs, type Kept, type PlanData, type ToStart } from './backup/plan.js';
import { restoreHints } from './backup/restore-hints.js';
import { RESOURCE_KINDS, roleNameFromArn, usedResources, type ResourceKind } from './backup/resources.js';
import { SNAPSHOT_KEY_TAG } from './backup/snapshot-key.js';
import { idempotencyToken } from './backup/token.js';
import { FAILED_STATES, describeJob, waitForJobs, type PollSettings, type WatchedJob } from './backup/wait.js';

type Params = BackupSnapshotParams;
type Outputs = BackupSnapshotOutputs;

/** what apply journals: the job of each resource, as soon as AWS returns its id */
interface Persisted {
  jobs: Jobs;
}

/** how many more jobs apply starts for one resource when the token keeps returning failed ones */
const MAX_STALE_RESTARTS = 5;

/**
 * The key this attempt's recovery points carry: snapshot_key (after a rollback, with the
 * rollback's id, so that nothing from before it is reused), else the run id.
 */
const snapshotKey = (p: Params, ctx: Pick<Context, 'run'>): string => (p.snapshot_key?.trim() ? nameAfterRollback(p.snapshot_key.trim(), p.after_rollback) : ctx.run.id);

function pollSettings(p: Params['poll']): PollSettings {
  const initialMs = parseDuration(p.initial);
  return { initialMs, maxMs: Math.max(initialMs, parseDuration(p.max)), factor: p.factor };
}

/** a failure another attempt may get past: AWS throttling or a service error, or a TaskError that says so */
const passing = (e: unknown): boolean => (e instanceof TaskError ? e.retryable : ['throttled', 'unavailable'].includes(awsErrorKind(e)));

/** "efs  arn:..." for each resource given (dry-run; no validation beyond emptiness) */
const resourceLines = (p: Params): string[] => Object.entries(p.resources).flatMap(([k, v]) => (v.trim() ? [`${k.padEnd(3)} ${v.trim()}`] : []));

async function checkVault(ctx: TaskContext<Persisted>, vault: string): Promise<void> {
  try {
    await ctx.aws(BackupClient).send(new DescribeBackupVaultCommand({ BackupVaultName: vault }));
  } catch (e) {
    if (!isNotFound(e)) throw e;
    throw backupSnapshot.error('noVault', { vault, region: ctx.targets.aws?.region ?? 'the configured region' }, {
      hint: 'check `vault` and targets.aws.region; if the deployment made no vault, create one (aws backup create-backup-vault --backup-vault-name NAME)',
    });
  }
}

async function checkRole(ctx: TaskContext<Persisted>, roleArn: string): Promise<void> {
  const name = roleNameFromArn(roleArn);
  let arn: string | undefined;
  try {
    arn = (await ctx.aws(IAMClient).send(new GetRoleCommand({ RoleName: name }))).Role?.Arn;
  } catch (e) {
    if (!isNotFound(e)) throw e;
    throw backupSnapshot.error('noRole', { role: name, roleArn }, { hint: 'pass the ARN of the role AWS Backup assumes, e.g. AWSBackupDefaultServiceRole' });
  }
  // AWS Backup is handed the ARN as written; a role under a path has that path in its ARN
  if (arn && arn !== roleArn.trim()) throw backupSnapshot.error('roleArnMismatch', { roleArn, arn }, { hint: `use role_arn: ${arn}` });
}

/** the outputs after apply: what earlier runs under the same key took, beside what this one started */
function appliedOutputs(jobs: Jobs, kept: Partial<Record<ResourceKind, Kept>>): Outputs {
  const recoveryPoints: Record<string, string> = {};
  const jobIds: Record<string, string> = {};
  // in the kinds' own order, whatever order AWS answered in
  for (const kind of RESOURCE_KINDS) {
    const k = kept[kind];
    const j = jobs[kind];
    if (k) {
      recoveryPoints[kind] = k.recoveryPointArn;
      if (k.jobId) jobIds[kind] = k.jobId;
    } else if (j) {
      if (j.recoveryPointArn) recoveryPoints[kind] = j.recoveryPointArn;
      jobIds[kind] = j.jobId;
    }
  }
  return { recovery_points: recoveryPoints, jobs: jobIds };
}

const backupSnapshot = defineTask<Params, Outputs, PlanData, Persisted>({
  name: 'backup-snapshot',
  messages: {
    noVault: 'backup vault "{{vault}}" does not exist in {{region}}',
    noRole: 'backup role "{{role}}" (role_arn {{roleArn}}) does not exist',
    roleArnMismatch: "role_arn {{roleArn}} does not match the role's ARN {{arn}}",
    noJobId: 'StartBackupJob for {{arn}} returned no job id',
    staleToken: 'the IdempotencyToken of {{arn}} keeps returning failed jobs (last {{jobId}} {{state}}); use another snapshot_key',
    startFailed: 'could not start {{count}} backup job(s): {{failures}}{{running}}',
    jobsFailed: '{{failed}} of {{total}} backup job(s) did not complete: {{details}}',
  },

  describe(p) {
    const used = resourceLines(p);
    if (!used.length) return ['nothing to back up: every resource ARN is empty'];
    const lines = [`start AWS Backup jobs into vault ${p.vault} as ${p.role_arn}:`, ...used.map((l) => `  ${l}`)];
    lines.push(
      p.snapshot_key?.trim()
        ? `tag the recovery points ${SNAPSHOT_KEY_TAG}=${nameAfterRollback(p.snapshot_key.trim(), p.after_rollback)}; a resource that already has a completed recovery point with that tag is not backed up again${p.after_rollback ? ` (the key of its own after ${rollbackText(p.after_rollback)}: recovery points from before it are not reused)` : ''}`
        : `tag the recovery points ${SNAPSHOT_KEY_TAG}=<run id> (no snapshot_key: every new run takes a new snapshot)`,
    );
    if (p.wait) lines.push(`wait for every job to complete (polling every ${p.poll.initial}, up to ${p.poll.max} apart, factor ${p.poll.factor})`);
    else lines.push('do not wait for them to complete');
    if (p.lifecycle?.delete_after_days) lines.push(`recovery points expire after ${p.lifecycle.delete_after_days} days`);
    return lines;
  },

  async check(params, ctx) {
    const used = usedResources(params.resources);
    if (!used.length) return { changes: [], outputs: { recovery_points: {}, jobs: {} }, skip: 'no resource ARNs given (every one is empty)' };
    await Promise.all([checkVault(ctx, params.vault), checkRole(ctx, params.role_arn)]);

    const key = snapshotKey(params, ctx);
    const prior = ctx.recall('jobs') ?? {};
    const now = Date.now();
    // the resources are planned at once (each is a few sequential reads), their notes and changes kept in order
    // after a rollback, the points under the plain key are the failed attempt's: reported, not reused
    const before = params.after_rollback && params.snapshot_key?.trim() ? { key: params.snapshot_key.trim(), rollback: params.after_rollback } : undefined;
    const planned = await Promise.all(used.map(({ kind, arn }) => planResource(ctx, { kind, arn, vault: params.vault, key, journaled: prior[kind], now, before })));

    const data: PlanData = { start: [], waitOn: [], done: {}, kept: {} };
    const changes: Change[] = [];
    const notes: string[] = [];
    const recoveryPoints: Record<string, unknown> = {};
    const jobs: Record<string, unknown> = {};
    planned.forEach((r, i) => {
      const { kind } = used[i];
      notes.push(...r.notes);
      changes.push(...r.changes);
      if (r.start) data.start.push(r.start);
      if (r.waitOn) data.waitOn.push(r.waitOn);
      if (r.done) data.done[kind] = r.done;
      if (r.kept) {
        data.kept[kind] = r.kept;
        recoveryPoints[kind] = r.kept.recoveryPointArn;
        // the job that made it may have aged out of ListBackupJobs; then the output has no job id
        if (r.kept.jobId) jobs[kind] = r.kept.jobId;
        return;
      }
      // known now when this run's job already completed; the rest only after apply
      recoveryPoints[kind] = r.done?.recoveryPointArn ?? new Unknown(`backup-snapshot ${kind}`);
      jobs[kind] = r.done?.jobId ?? r.waitOn?.jobId ?? new Unknown(`backup-snapshot ${kind}`);
    });
    return { changes, outputs: { recovery_points: recoveryPoints, jobs }, notes, data };
  },

  async apply(params, ctx, plan) {
    const data = plan.data ?? { start: [], waitOn: [], done: {}, kept: {} };
    const jobs: Jobs = { ...(ctx.recall('jobs') ?? {}) };
    const client = ctx.aws(BackupClient);
    const lifecycle = params.lifecycle
      ? { DeleteAfterDays: params.lifecycle.delete_after_days, MoveToColdStorageAfterDays: params.lifecycle.move_to_cold_storage_after_days }
      : undefined;

    const key = snapshotKey(params, ctx);
    const appliedAt = Date.now();
    const startedKinds = new Set<ResourceKind>();

    const startOne = async (s: ToStart): Promise<void> => {
      for (let generation = s.generation; ; generation++) {
        const out = await client.send(
          new StartBackupJobCommand({
            BackupVaultName: params.vault,
            ResourceArn: s.arn,
            IamRoleArn: params.role_arn.trim(),
            IdempotencyToken: idempotencyToken(key, s.arn, generation, { vault: params.vault, roleArn: params.role_arn.trim(), lifecycle }),
            RecoveryPointTags: { [SNAPSHOT_KEY_TAG]: key },
            Lifecycle: lifecycle,
          }),
        );
        if (!out.BackupJobId) throw this.error('noJobId', { arn: s.arn }, { retryable: true });
        jobs[s.kind] = { arn: s.arn, jobId: out.BackupJobId, generation, recoveryPointArn: out.RecoveryPointArn };
        // journaled at once: a kill from here on leaves a run that resumes onto this job
        ctx.persist('jobs', jobs);
        startedKinds.add(s.kind);
        // a job made before this apply came back for the token: an earlier run under the same key started it
        const earlier = out.CreationDate !== undefined && out.CreationDate.getTime() < appliedAt;
        if (!earlier) {
          ctx.log(`started ${s.kind} backup job ${out.BackupJobId} for ${s.arn}`);
          return;
        }
        const job = await describeJob(ctx, out.BackupJobId);
        if (!job.State || !FAILED_STATES.has(job.State)) {
          ctx.log(`${s.kind}: backup job ${out.BackupJobId}, started earlier under snapshot key ${key}, is ${job.State ?? 'UNKNOWN'}; using it`);
          return;
        }
        if (generation - s.generation >= MAX_STALE_RESTARTS) throw this.error('staleToken', { arn: s.arn, jobId: out.BackupJobId, state: job.State });
        ctx.log(`${s.kind}: backup job ${out.BackupJobId}, started earlier under snapshot key ${key}, ended ${job.State}; starting a new one`);
      }
    };

    const started = await Promise.allSettled(data.start.map(startOne));
    const watched: WatchedJob[] = [...data.waitOn, ...data.start.flatMap((s) => (startedKinds.has(s.kind) && jobs[s.kind] ? [{ kind: s.kind, jobId: jobs[s.kind]!.jobId }] : []))];
    const startFailures = started.flatMap((r, i) => (r.status === 'rejected' ? [{ s: data.start[i], error: r.reason as unknown }] : []));
    if (startFailures.length) {
      const running = watched.map((w) => `${w.kind} ${w.jobId}`).join(', ');
      throw this.error(
        'startFailed',
        {
          count: startFailures.length,
          failures: startFailures.map((f) => `${f.s.kind} (${f.s.arn}): ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('; '),
          running: running ? `; the jobs already started keep running in AWS: ${running}` : '',
        },
        // a retry resumes onto the started jobs (journaled) and starts only the missing ones
        { retryable: startFailures.every((f) => passing(f.error)) },
      );
    }

    if (!params.wait) {
      ctx.log(`not waiting: ${watched.map((w) => `${w.kind} job ${w.jobId}`).join(', ')} keep running in AWS`);
      return appliedOutputs(jobs, data.kept);
    }

    // Ctrl-C or the task's timeout: say at once (synchronously, before the task ends) what is left running
    const onAbort = () =>
      ctx.log(
        `stopped waiting; the backup jobs keep running in AWS: ${watched.map((w) => `${w.kind} ${w.jobId}`).join(', ')}. ` +
          `Resume this run (kfup run --resume ${ctx.run.id}) to wait on the same jobs, or follow one with aws backup describe-backup-job --backup-job-id ID`,
      );
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let ends;
    try {
      ends = await waitForJobs(ctx, watched, pollSettings(params.poll));
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }

    for (const end of ends) {
      const rec = jobs[end.kind as ResourceKind];
      if (rec && end.state === 'COMPLETED') {
        rec.recoveryPointArn = end.recoveryPointArn ?? rec.recoveryPointArn;
        ctx.log(`${end.kind} backup job ${end.jobId} completed: recovery point ${rec.recoveryPointArn}`);
      } else if (rec) {
        // a failed job's recovery point does not exist; keep only the job id
        rec.recoveryPointArn = undefined;
      }
    }
    ctx.persist('jobs', jobs);
    const failed = ends.filter((e) => FAILED_STATES.has(e.state));
    if (failed.length) {
      throw this.error(
        'jobsFailed',
        { failed: failed.length, total: ends.length, details: failed.map((f) => `${f.kind} job ${f.jobId} ${f.state}${f.statusMessage ? `: ${f.statusMessage}` : ''}`).join('; ') },
        // a retry keeps the completed jobs and starts the failed ones anew (the next generation of their token)
        { retryable: true },
      );
    }
    return appliedOutputs(jobs, data.kept);
  },

  revert: {
    // Data stores are not rolled back automatically: restoring replaces live data and is a
    // decision for a person. The plan changes nothing and says where the snapshot is and how to
    // restore from it.
    check(record) {
      const recorded = record.outputs?.recovery_points ?? {};
      const points: Partial<Record<ResourceKind, string>> = {};
      for (const kind of RESOURCE_KINDS) {
        const arn = recorded[kind];
        if (typeof arn === 'string') points[kind] = arn;
      }
      if (!Object.keys(points).length) return Promise.resolve({ changes: [], notes: ['backup-snapshot: no recovery points were recorded; nothing to restore from'] });
      return Promise.resolve({
        changes: [],
        notes: [
          `backup-snapshot: data stores are not rolled back automatically; the recovery points of run ${record.runId} stay in vault ${record.params.vault}:`,
          ...restoreHints(points, record.params.vault, record.params.role_arn),
        ],
      });
    },
    async apply() {
      // nothing to undo: see check
    },
  },
});

export default backupSnapshot;
