// Waits on AWS Backup jobs with the kit's poll(): DescribeBackupJob for each unfinished job, the
// user's exponential backoff between rounds, one progress line per job whenever its state or percentage moves.
// Returns when every job has ended (COMPLETED or a failure state); aborts promptly on ctx.signal.
import { BackupClient, DescribeBackupJobCommand, type DescribeBackupJobCommandOutput } from '@aws-sdk/client-backup';
import { poll, type Context } from '../kit/index.js';

export interface PollSettings {
  /** first pause between rounds, ms */
  initialMs: number;
  /** longest pause, ms */
  maxMs: number;
  factor: number;
}

export interface WatchedJob {
  /** efs, s3, rds, fsx */
  kind: string;
  jobId: string;
}

export interface JobEnd {
  kind: string;
  jobId: string;
  state: string;
  statusMessage?: string;
  recoveryPointArn?: string;
}

export const FAILED_STATES = new Set(['FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL']);
export const ENDED_STATES = new Set(['COMPLETED', ...FAILED_STATES]);

export function describeJob(ctx: Pick<Context, 'aws'>, jobId: string): Promise<DescribeBackupJobCommandOutput> {
  return ctx.aws(BackupClient).send(new DescribeBackupJobCommand({ BackupJobId: jobId }));
}

const progressLine = (j: WatchedJob, out: DescribeBackupJobCommandOutput): string => {
  const pct = out.PercentDone !== undefined && out.PercentDone !== '' ? ` ${Number(out.PercentDone).toFixed(1)}%` : '';
  return `${j.kind} backup job ${j.jobId}: ${out.State ?? 'UNKNOWN'}${pct}`;
};

const MIN_POLL_MS = 50;

/**
 * When a job will be done: its ExpectedCompletionDate when AWS gives one, else extrapolated from
 * how fast PercentDone moved since the last look; Infinity when nothing can be told.
 */
function remainingMs(out: DescribeBackupJobCommandOutput, before: { pct: number; at: number } | undefined, now: number): number {
  if (out.State && ENDED_STATES.has(out.State)) return Infinity;
  if (out.ExpectedCompletionDate) {
    const ms = new Date(out.ExpectedCompletionDate).getTime() - now;
    if (Number.isFinite(ms)) return Math.max(0, ms);
  }
  const pct = Number(out.PercentDone);
  if (!before || !Number.isFinite(pct) || pct <= before.pct || now <= before.at) return Infinity;
  const perMs = (pct - before.pct) / (now - before.at);
  return (100 - pct) / perMs;
}

export async function waitForJobs(ctx: Pick<Context, 'aws' | 'progress' | 'signal'>, jobs: WatchedJob[], settings: PollSettings): Promise<JobEnd[]> {
  const ended = new Map<string, JobEnd>();
  const lastLine = new Map<string, string>();
  // what each job reported last, to estimate when it will be done
  const seen = new Map<string, { pct: number; at: number }>();
  return poll<JobEnd[]>(
    {
      what: `backup job${jobs.length === 1 ? '' : 's'} ${jobs.map((j) => j.jobId).join(', ')} to end`,
      signal: ctx.signal,
      minMs: MIN_POLL_MS,
      // the task's timeout bounds the wait (backups of large file systems take hours)
      timeoutMs: Infinity,
      // the user's backoff: initialMs, then times factor, up to maxMs
      delayMs: (round) => Math.min(settings.maxMs, settings.initialMs * settings.factor ** (round - 1)),
      onStop: 'the backup jobs keep running in AWS Backup',
    },
    async () => {
      const open = jobs.filter((j) => !ended.has(j.jobId));
      const results = await Promise.all(open.map(async (j) => [j, await describeJob(ctx, j.jobId)] as const));
      const now = Date.now();
      let soonest = Infinity;
      for (const [j, out] of results) {
        soonest = Math.min(soonest, remainingMs(out, seen.get(j.jobId), now));
        const pct = Number(out.PercentDone);
        if (Number.isFinite(pct)) seen.set(j.jobId, { pct, at: now });
        const line = progressLine(j, out);
        if (lastLine.get(j.jobId) !== line) {
          lastLine.set(j.jobId, line);
          ctx.progress(line);
        }
        if (out.State && ENDED_STATES.has(out.State)) {
          ended.set(j.jobId, { kind: j.kind, jobId: j.jobId, state: out.State, statusMessage: out.StatusMessage, recoveryPointArn: out.RecoveryPointArn });
        }
      }
      if (ended.size === jobs.length) return { done: true, value: jobs.map((j) => ended.get(j.jobId)!) };
      // when a job says (or its progress shows) it is nearly done, look again just after that
      // instead of sleeping past it
      return { done: false, state: `${jobs.length - ended.size} of ${jobs.length} still running`, soonMs: soonest === Infinity ? undefined : soonest + 25 };
    },
  );
}
