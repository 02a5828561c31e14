// backup-snapshot: an on-demand AWS Backup snapshot of the data stores (EFS, S3, RDS, FSx) before
// the upgrade, in place of snapshot-state.sh. All jobs start at once; their ids are journaled as
// soon as AWS returns them, so a resumed run (or a retried task) waits on the same jobs instead
// of starting new ones, and the IdempotencyToken covers the gap between start and journal.
// Across runs: every recovery point is tagged with the snapshot key (the playbook's stable backup
// name), so a fresh run of the same upgrade finds the completed snapshot and reports `ok`. The tags
// are read where AWS keeps them: AWS Backup for EFS/S3, RDS for its snapshots, FSx for its backups.
import { BackupClient, DescribeBackupVaultCommand, StartBackupJobCommand } from '@aws-sdk/client-backup';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { parseDuration } from '../runner/load/duration.js';
import { UserError } from '../runner/errors.js';
import { loadTaskSchema } from '../runner/load/package-root.js';
import { Unknown, type Change, type Context, type Outputs, type TaskModule } from '../runner/types.js';
import { isNotFound } from './backup/aws-errors.js';
import { formatAge, recoveryPointsOf } from './backup/recovery-points.js';
import { restoreHints } from './backup/restore-hints.js';
import { roleNameFromArn, usedResources, type ResourceArns, type ResourceKind } from './backup/resources.js';
import { SNAPSHOT_KEY_TAG, findKeyedPoint, jobOfPoint } from './backup/snapshot-key.js';
import { idempotencyToken } from './backup/token.js';
import { ENDED_STATES, FAILED_STATES, describeJob, waitForJobs, type PollSettings, type WatchedJob } from './backup/wait.js';

export interface BackupSnapshotParams {
  vault: string;
  role_arn: string;
  resources: ResourceArns;
  /** names the snapshot across runs; default: the run id (each run takes its own) */
  snapshot_key?: string;
  wait?: boolean;
  poll?: { initial?: string; max?: string; factor?: number };
  lifecycle?: { delete_after_days?: number; move_to_cold_storage_after_days?: number };
}

/** what the journal keeps per resource (key 'jobs') */
export interface JobRecord {
  arn: string;
  jobId: string;
  generation: number;
  recoveryPointArn?: string;
}
type Jobs = Partial<Record<ResourceKind, JobRecord>>;

interface ToStart {
  kind: ResourceKind;
  arn: string;
  generation: number;
}

/** a recovery point an earlier run took under the same snapshot key */
interface Kept {
  recoveryPointArn: string;
  jobId?: string;
}

interface PlanData {
  start: ToStart[];
  waitOn: WatchedJob[];
  done: Partial<Record<ResourceKind, JobRecord>>;
  kept: Partial<Record<ResourceKind, Kept>>;
}

const JOBS_KEY = 'jobs';
/** how many more jobs apply starts for one resource when the token keeps returning failed ones */
const MAX_STALE_RESTARTS = 5;

const snapshotKey = (p: BackupSnapshotParams, ctx: Context): string => p.snapshot_key?.trim() || ctx.run.id;

function pollSettings(p: BackupSnapshotParams['poll']): PollSettings {
  const initialMs = parseDuration(p?.initial ?? '5s');
  const maxMs = Math.max(initialMs, parseDuration(p?.max ?? '1m'));
  return { initialMs, maxMs, factor: p?.factor ?? 1.5 };
}

async function checkVault(ctx: Context, vault: string): Promise<void> {
  try {
    await ctx.aws(BackupClient).send(new DescribeBackupVaultCommand({ BackupVaultName: vault }));
  } catch (e) {
    if (isNotFound(e)) {
      throw new UserError(`backup vault "${vault}" does not exist in ${ctx.targets.aws?.region ?? 'the configured region'}`, {
        hint: 'check `vault` and targets.aws.region; if the deployment made no vault, create one (aws backup create-backup-vault --backup-vault-name NAME)',
      });
    }
    throw e;
  }
}

async function checkRole(ctx: Context, roleArn: string): Promise<void> {
  const name = roleNameFromArn(roleArn);
  let arn: string | undefined;
  try {
    arn = (await ctx.aws(IAMClient).send(new GetRoleCommand({ RoleName: name }))).Role?.Arn;
  } catch (e) {
    if (isNotFound(e)) throw new UserError(`backup role "${name}" (role_arn ${roleArn}) does not exist`, { hint: 'pass the ARN of the role AWS Backup assumes, e.g. AWSBackupDefaultServiceRole' });
    throw e;
  }
  // AWS Backup is handed the ARN as written; a role under a path has that path in its ARN
  if (arn && arn !== roleArn.trim()) {
    throw new UserError(`role_arn ${roleArn} does not match the role's ARN ${arn}`, { hint: `use role_arn: ${arn}` });
  }
}

const jobsOutput = (jobs: Jobs): Record<string, string> => Object.fromEntries(Object.entries(jobs).map(([k, j]) => [k, j!.jobId]));

const backupSnapshot: TaskModule<BackupSnapshotParams> = {
  name: 'backup-snapshot',
  schema: loadTaskSchema('backup-snapshot'),

  describe(p) {
    const used = resourceLines(p.resources);
    if (!used.length) return ['nothing to back up: every resource ARN is empty'];
    const lines = [`start AWS Backup jobs into vault ${p.vault} as ${p.role_arn}:`, ...used.map((l) => `  ${l}`)];
    lines.push(
      p.snapshot_key?.trim()
        ? `tag the recovery points ${SNAPSHOT_KEY_TAG}=${p.snapshot_key.trim()}; a resource that already has a completed recovery point with that tag is not backed up again`
        : `tag the recovery points ${SNAPSHOT_KEY_TAG}=<run id> (no snapshot_key: every new run takes a new snapshot)`,
    );
    if (p.wait === false) lines.push('do not wait for them to complete');
    else {
      const poll = pollSettings(p.poll);
      lines.push(`wait for every job to complete (polling every ${p.poll?.initial ?? '5s'}, up to ${p.poll?.max ?? '1m'} apart, factor ${poll.factor})`);
    }
    if (p.lifecycle?.delete_after_days) lines.push(`recovery points expire after ${p.lifecycle.delete_after_days} days`);
    return lines;
  },

  async check(params, ctx) {
    const used = usedResources(params.resources);
    if (!used.length) return { changes: [], outputs: { recovery_points: {}, jobs: {} }, skip: 'no resource ARNs given (every one is empty)' };
    await Promise.all([checkVault(ctx, params.vault), checkRole(ctx, params.role_arn)]);

    const key = snapshotKey(params, ctx);
    const prior = ctx.recall<Jobs>(JOBS_KEY) ?? {};
    const data: PlanData = { start: [], waitOn: [], done: {}, kept: {} };
    const changes: Change[] = [];
    const notes: string[] = [];
    const now = Date.now();

    // the resources are planned at once (each is a few sequential reads), their notes and changes kept in order
    const planned = await Promise.all(
      used.map(async ({ kind, arn }) => {
        const r = { notes: [] as string[], changes: [] as Change[], data: { start: [], waitOn: [], done: {}, kept: {} } as PlanData };
        const points = await recoveryPointsOf(ctx, params.vault, arn);
        const latest = points[0];
        r.notes.push(
          latest
            ? `${kind}: latest recovery point is ${formatAge(now - (latest.CreationDate?.getTime() ?? now))} old (${latest.RecoveryPointArn})`
            : `${kind}: no recovery point of ${arn} in vault ${params.vault} yet`,
        );

        // 1. a job this run started (journaled): resume onto it
        const rec = prior[kind]?.arn === arn ? prior[kind] : undefined;
        let ended: string | undefined;
        if (rec) {
          const job = await describeJob(ctx, rec.jobId).catch((e: unknown) => {
            if (isNotFound(e)) return undefined;
            throw e;
          });
          const state = job?.State ?? 'GONE';
          if (state === 'COMPLETED') {
            r.data.done[kind] = { ...rec, recoveryPointArn: job?.RecoveryPointArn ?? rec.recoveryPointArn };
            r.notes.push(`${kind}: backup job ${rec.jobId} of this run already completed`);
            return r;
          }
          if (!ENDED_STATES.has(state) && state !== 'GONE') {
            r.data.waitOn.push({ kind, jobId: rec.jobId });
            const pct = job?.PercentDone ? ` ${Number(job.PercentDone).toFixed(1)}%` : '';
            r.changes.push({ action: 'run', target: `aws backup job ${rec.jobId}`, summary: `wait for the ${kind} backup job started earlier in this run (${state}${pct})` });
            return r;
          }
          ended = `job ${rec.jobId} of this run ended ${state}${job?.StatusMessage ? `: ${job.StatusMessage}` : ''}`;
        }

        // 2. a completed snapshot under the same key, from an earlier run of this upgrade
        const search = await findKeyedPoint(ctx, points, key);
        if (search.point) {
          const rpArn = search.point.RecoveryPointArn!;
          r.data.kept[kind] = { recoveryPointArn: rpArn, jobId: await jobOfPoint(ctx, params.vault, search.point) };
          r.notes.push(`${kind}: recovery point ${rpArn} (${formatAge(now - (search.point.CreationDate?.getTime() ?? now))} old) already carries ${SNAPSHOT_KEY_TAG}=${key}; no new backup`);
          return r;
        }
        if (search.unreadable) {
          r.notes.push(
            `${kind}: cannot read the tags of recovery points like ${search.unreadable.arn} (${search.unreadable.why}), so an earlier snapshot under key ${key} cannot be recognised here; ` +
              `within 24 hours of it the job's IdempotencyToken still returns that same job instead of a new backup`,
          );
        }

        // 3. start one (after a failed job of this run: the next generation, so AWS makes a new job)
        if (rec) {
          r.data.start.push({ kind, arn, generation: rec.generation + 1 });
          r.changes.push({ action: 'create', target: `aws backup job for ${arn}`, summary: `start a new ${kind} backup into vault ${params.vault} (${ended})` });
          return r;
        }
        r.data.start.push({ kind, arn, generation: 0 });
        r.changes.push({ action: 'create', target: `aws backup job for ${arn}`, summary: `start an on-demand ${kind} backup into vault ${params.vault}` });
        return r;
      }),
    );
    for (const r of planned) {
      notes.push(...r.notes);
      changes.push(...r.changes);
      data.start.push(...r.data.start);
      data.waitOn.push(...r.data.waitOn);
      Object.assign(data.done, r.data.done);
      Object.assign(data.kept, r.data.kept);
    }

    const recoveryPoints: Record<string, unknown> = {};
    const jobs: Record<string, unknown> = {};
    for (const { kind } of used) {
      const kept = data.kept[kind];
      if (kept) {
        recoveryPoints[kind] = kept.recoveryPointArn;
        // the job that made it may have aged out of ListBackupJobs; then the output has no job id
        if (kept.jobId) jobs[kind] = kept.jobId;
        continue;
      }
      const done = data.done[kind];
      recoveryPoints[kind] = done?.recoveryPointArn ?? new Unknown(`backup-snapshot ${kind}`);
      jobs[kind] = done?.jobId ?? data.waitOn.find((w) => w.kind === kind)?.jobId ?? new Unknown(`backup-snapshot ${kind}`);
    }
    return { changes, outputs: { recovery_points: recoveryPoints, jobs }, notes, data };
  },

  async apply(params, ctx, plan) {
    const data = plan.data as PlanData;
    const jobs: Jobs = { ...(ctx.recall<Jobs>(JOBS_KEY) ?? {}) };
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
            IdempotencyToken: idempotencyToken(key, s.arn, generation),
            RecoveryPointTags: { [SNAPSHOT_KEY_TAG]: key },
            Lifecycle: lifecycle,
          }),
        );
        if (!out.BackupJobId) throw new Error(`StartBackupJob for ${s.arn} returned no job id`);
        jobs[s.kind] = { arn: s.arn, jobId: out.BackupJobId, generation, recoveryPointArn: out.RecoveryPointArn };
        // journaled at once: a kill from here on leaves a run that resumes onto this job
        ctx.persist(JOBS_KEY, jobs);
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
        if (generation - s.generation >= MAX_STALE_RESTARTS) {
          throw new Error(`the IdempotencyToken of ${s.arn} keeps returning failed jobs (last ${out.BackupJobId} ${job.State}); use another snapshot_key`);
        }
        ctx.log(`${s.kind}: backup job ${out.BackupJobId}, started earlier under snapshot key ${key}, ended ${job.State}; starting a new one`);
      }
    };

    const started = await Promise.allSettled(data.start.map(startOne));
    const startFailures = started.flatMap((r, i) => (r.status === 'rejected' ? [`${data.start[i].kind} (${data.start[i].arn}): ${(r.reason as Error)?.message ?? r.reason}`] : []));
    const watched: WatchedJob[] = [...data.waitOn, ...data.start.filter((s) => startedKinds.has(s.kind)).map((s) => ({ kind: s.kind, jobId: jobs[s.kind]!.jobId }))];
    if (startFailures.length) {
      const running = watched.map((w) => `${w.kind} ${w.jobId}`).join(', ');
      throw new Error(`could not start ${startFailures.length} backup job(s): ${startFailures.join('; ')}${running ? `; the jobs already started keep running in AWS: ${running}` : ''}`);
    }

    // what earlier runs under the same key took stays in the outputs beside what this one started
    const kept = Object.entries(data.kept ?? {}) as [ResourceKind, Kept][];
    const outputs = (): Outputs => ({
      recovery_points: {
        ...Object.fromEntries(kept.map(([k, p]) => [k, p.recoveryPointArn])),
        ...Object.fromEntries(Object.entries(jobs).flatMap(([k, j]) => (j?.recoveryPointArn && !data.kept?.[k as ResourceKind] ? [[k, j.recoveryPointArn]] : []))),
      },
      jobs: {
        ...Object.fromEntries(kept.flatMap(([k, p]) => (p.jobId ? [[k, p.jobId]] : []))),
        ...Object.fromEntries(Object.entries(jobsOutput(jobs)).filter(([k]) => !data.kept?.[k as ResourceKind])),
      },
    });
    if (params.wait === false) {
      ctx.log(`not waiting: ${watched.map((w) => `${w.kind} job ${w.jobId}`).join(', ')} keep running in AWS`);
      return outputs();
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
    ctx.persist(JOBS_KEY, jobs);
    const failed = ends.filter((e) => FAILED_STATES.has(e.state));
    if (failed.length) {
      throw new Error(
        `${failed.length} of ${ends.length} backup job(s) did not complete: ` +
          failed.map((f) => `${f.kind} job ${f.jobId} ${f.state}${f.statusMessage ? `: ${f.statusMessage}` : ''}`).join('; '),
      );
    }
    return outputs();
  },

  async revert(record, ctx) {
    // Data stores are not rolled back automatically: restoring replaces live data and is a
    // decision for a person. Say where the snapshot is and how to restore from it.
    const points = (record.outputs?.recovery_points ?? {}) as Record<string, string>;
    const params = record.params as BackupSnapshotParams;
    const kinds = Object.keys(points);
    if (!kinds.length) {
      ctx.log('backup-snapshot: no recovery points were recorded; nothing to restore from');
      return [];
    }
    ctx.log(`backup-snapshot: data stores are not rolled back automatically; the recovery points of run ${record.runId} stay in vault ${params?.vault ?? '(unknown)'}:`);
    for (const line of restoreHints(points as Partial<Record<ResourceKind, string>>, params?.vault ?? 'VAULT', params?.role_arn ?? 'ROLE_ARN')) ctx.log(line);
    return [];
  },
};

/** "efs  arn:..." for each resource given (dry-run; no validation beyond emptiness) */
function resourceLines(resources: ResourceArns | undefined): string[] {
  return Object.entries(resources ?? {}).flatMap(([k, v]) => (v && v.trim() ? [`${k.padEnd(3)} ${v.trim()}`] : []));
}

export default backupSnapshot;
