// Waits on AWS Backup jobs: DescribeBackupJob for each unfinished job, sleeping with exponential
// backoff between rounds, one progress line per job whenever its state or percentage moves.
// Returns when every job has ended (COMPLETED or a failure state); aborts promptly on ctx.signal.
import { BackupClient, DescribeBackupJobCommand, type DescribeBackupJobCommandOutput } from '@aws-sdk/client-backup';
import type { Context } from '../../runner/types.js';

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

export function describeJob(ctx: Context, jobId: string): Promise<DescribeBackupJobCommandOutput> {
  return ctx.aws(BackupClient).send(new DescribeBackupJobCommand({ BackupJobId: jobId }));
}

/** resolves after ms, or rejects as soon as the signal aborts */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const progressLine = (j: WatchedJob, out: DescribeBackupJobCommandOutput): string => {
  const pct = out.PercentDone !== undefined && out.PercentDone !== '' ? ` ${Number(out.PercentDone).toFixed(1)}%` : '';
  return `${j.kind} backup job ${j.jobId}: ${out.State ?? 'UNKNOWN'}${pct}`;
};

export async function waitForJobs(ctx: Context, jobs: WatchedJob[], poll: PollSettings): Promise<JobEnd[]> {
  const ended = new Map<string, JobEnd>();
  const lastLine = new Map<string, string>();
  let delay = poll.initialMs;
  for (;;) {
    const open = jobs.filter((j) => !ended.has(j.jobId));
    const results = await Promise.all(open.map(async (j) => [j, await describeJob(ctx, j.jobId)] as const));
    for (const [j, out] of results) {
      const line = progressLine(j, out);
      if (lastLine.get(j.jobId) !== line) {
        lastLine.set(j.jobId, line);
        ctx.progress(line);
      }
      if (out.State && ENDED_STATES.has(out.State)) {
        ended.set(j.jobId, { kind: j.kind, jobId: j.jobId, state: out.State, statusMessage: out.StatusMessage, recoveryPointArn: out.RecoveryPointArn });
      }
    }
    if (ended.size === jobs.length) return jobs.map((j) => ended.get(j.jobId)!);
    await sleep(delay, ctx.signal);
    delay = Math.min(poll.maxMs, delay * poll.factor);
  }
}
