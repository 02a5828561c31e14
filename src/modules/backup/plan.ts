// What backup-snapshot's check decides for one resource, in this order: resume onto the job this
// run started (journaled), keep the completed recovery point an earlier run made under the same
// snapshot key, or start a job (after a failed job of this run: the next generation, so that AWS
// makes a new job instead of returning the failed one for the same token). Reads only.
import { olderThanRollback, rollbackText, unlessNotFound, type Change, type Context, type RollbackRef } from '../kit/index.js';
import { formatAge, recoveryPointsOf } from './recovery-points.js';
import type { ResourceKind } from './resources.js';
import { SNAPSHOT_KEY_TAG, findKeyedPoint, jobOfPoint } from './snapshot-key.js';
import { ENDED_STATES, describeJob, type WatchedJob } from './wait.js';

/** what the journal keeps per resource (key 'jobs') */
export interface JobRecord {
  arn: string;
  jobId: string;
  generation: number;
  recoveryPointArn?: string;
}
export type Jobs = Partial<Record<ResourceKind, JobRecord>>;

export interface ToStart {
  kind: ResourceKind;
  arn: string;
  generation: number;
}

/** a recovery point an earlier run took under the same snapshot key */
export interface Kept {
  recoveryPointArn: string;
  jobId?: string;
}

/** check's decisions, handed to apply */
export interface PlanData {
  start: ToStart[];
  waitOn: WatchedJob[];
  done: Partial<Record<ResourceKind, JobRecord>>;
  kept: Partial<Record<ResourceKind, Kept>>;
}

export interface ResourcePlan {
  notes: string[];
  changes: Change[];
  /** exactly one of these is set */
  start?: ToStart;
  waitOn?: WatchedJob;
  done?: JobRecord;
  kept?: Kept;
}

export interface PlanInput {
  kind: ResourceKind;
  arn: string;
  vault: string;
  /** the snapshot key the recovery points are tagged with */
  key: string;
  /** the job this run started for the resource earlier (from the journal) */
  journaled?: JobRecord;
  now: number;
  /** after a rollback: the key of the attempts before it, whose recovery points are not reused */
  before?: { key: string; rollback: RollbackRef };
}

export async function planResource(ctx: Pick<Context, 'aws'>, r: PlanInput): Promise<ResourcePlan> {
  const { kind, arn, vault, key, now } = r;
  const notes: string[] = [];
  const points = await recoveryPointsOf(ctx, vault, arn);
  const latest = points[0];
  notes.push(
    latest
      ? `${kind}: latest recovery point is ${formatAge(now - (latest.CreationDate?.getTime() ?? now))} old (${latest.RecoveryPointArn})`
      : `${kind}: no recovery point of ${arn} in vault ${vault} yet`,
  );

  // 1. a job this run started (journaled): resume onto it
  const rec = r.journaled?.arn === arn ? r.journaled : undefined;
  let ended: string | undefined;
  if (rec) {
    const job = await unlessNotFound(describeJob(ctx, rec.jobId));
    const state = job?.State ?? 'GONE';
    if (state === 'COMPLETED') {
      notes.push(`${kind}: backup job ${rec.jobId} of this run already completed`);
      return { notes, changes: [], done: { ...rec, recoveryPointArn: job?.RecoveryPointArn ?? rec.recoveryPointArn } };
    }
    if (!ENDED_STATES.has(state) && state !== 'GONE') {
      const pct = job?.PercentDone ? ` ${Number(job.PercentDone).toFixed(1)}%` : '';
      return {
        notes,
        changes: [{ action: 'run', target: `aws backup job ${rec.jobId}`, summary: `wait for the ${kind} backup job started earlier in this run (${state}${pct})` }],
        waitOn: { kind, jobId: rec.jobId },
      };
    }
    ended = `job ${rec.jobId} of this run ended ${state}${job?.StatusMessage ? `: ${job.StatusMessage}` : ''}`;
  }

  // 2. a completed snapshot under the same key, from an earlier run of this upgrade
  const search = await findKeyedPoint(ctx, points, key);
  if (search.point?.RecoveryPointArn) {
    const rpArn = search.point.RecoveryPointArn;
    notes.push(`${kind}: recovery point ${rpArn} (${formatAge(now - (search.point.CreationDate?.getTime() ?? now))} old) already carries ${SNAPSHOT_KEY_TAG}=${key}; no new backup`);
    return { notes, changes: [], kept: { recoveryPointArn: rpArn, jobId: await jobOfPoint(ctx, vault, search.point) } };
  }
  if (search.unreadable) {
    notes.push(
      `${kind}: cannot read the tags of recovery points like ${search.unreadable.arn} (${search.unreadable.why}), so an earlier snapshot under key ${key} cannot be recognised here; ` +
        `within 24 hours of it the job's IdempotencyToken still returns that same job instead of a new backup`,
    );
  }

  // after a rollback: say what is not reused, and why
  let fresh = '';
  if (r.before) {
    const earlier = await findKeyedPoint(ctx, points, r.before.key);
    const p = earlier.point;
    if (p?.RecoveryPointArn) {
      const created = p.CreationDate?.toISOString() ?? 'at an unknown time';
      notes.push(
        olderThanRollback(p.CreationDate, r.before.rollback)
          ? `${kind}: recovery point ${p.RecoveryPointArn} under ${SNAPSHOT_KEY_TAG}=${r.before.key} (created ${created}) is older than ${rollbackText(r.before.rollback)}: not reused; a fresh snapshot is taken under ${key}`
          : `${kind}: recovery point ${p.RecoveryPointArn} under ${SNAPSHOT_KEY_TAG}=${r.before.key} (created ${created}) is not this attempt's: after ${rollbackText(r.before.rollback)} the key is ${key}`,
      );
    }
    fresh = ` (fresh after ${rollbackText(r.before.rollback)})`;
  }

  // 3. start one
  if (rec) {
    return {
      notes,
      changes: [{ action: 'create', target: `aws backup job for ${arn}`, summary: `start a new ${kind} backup into vault ${vault} (${ended ?? ''})${fresh}` }],
      start: { kind, arn, generation: rec.generation + 1 },
    };
  }
  return {
    notes,
    changes: [{ action: 'create', target: `aws backup job for ${arn}`, summary: `start an on-demand ${kind} backup into vault ${vault}${fresh}` }],
    start: { kind, arn, generation: 0 },
  };
}
