// Finding the snapshot an earlier run of the same upgrade already took. Every job is started with
// the recovery point tag SNAPSHOT_KEY_TAG = snapshot_key, so a fresh run (a new run id, no
// journal) recognises the completed recovery point by its tag and takes no second snapshot.
import { BackupClient, ListBackupJobsCommand, ListTagsCommand, type RecoveryPointByBackupVault } from '@aws-sdk/client-backup';
import type { Context } from '../../runner/types.js';
import { awsErrorName } from './aws-errors.js';

export const SNAPSHOT_KEY_TAG = 'kfup.dev/snapshot-key';

export interface KeyedSearch {
  /** the newest COMPLETED recovery point carrying the key */
  point?: RecoveryPointByBackupVault;
  /** set when AWS Backup would not give the tags of this resource's recovery points */
  unreadable?: string;
}

/**
 * The tags of one recovery point, or undefined when AWS Backup does not serve them. ListTags only
 * covers recovery points that AWS Backup fully manages (ARNs arn:aws:backup:...:recovery-point:*);
 * RDS snapshots and FSx backups keep their tags in their own service, and AWS answers with an error.
 */
async function tagsOf(ctx: Context, recoveryPointArn: string): Promise<Record<string, string> | undefined> {
  const tags: Record<string, string> = {};
  let token: string | undefined;
  try {
    do {
      const page = await ctx.aws(BackupClient).send(new ListTagsCommand({ ResourceArn: recoveryPointArn, NextToken: token }));
      Object.assign(tags, page.Tags ?? {});
      token = page.NextToken;
    } while (token);
  } catch (e) {
    if (/InvalidParameterValue|ResourceNotFound/.test(awsErrorName(e))) return undefined;
    throw e;
  }
  return tags;
}

/** search the resource's points (newest first, as recoveryPointsOf returns them) for the key */
export async function findKeyedPoint(ctx: Context, points: RecoveryPointByBackupVault[], key: string): Promise<KeyedSearch> {
  // plan-made points carry the plan's id; ours are on-demand, so those need no ListTags call
  const candidates = points.filter((p) => p.Status === 'COMPLETED' && !p.CreatedBy?.BackupPlanId && p.RecoveryPointArn);
  for (const p of candidates) {
    const tags = await tagsOf(ctx, p.RecoveryPointArn!);
    if (tags === undefined) {
      // the others are the same kind of recovery point: one refusal answers for all of them
      if (!/^arn:[a-z-]+:backup:/.test(p.RecoveryPointArn!)) return { unreadable: p.RecoveryPointArn };
      continue;
    }
    if (tags[SNAPSHOT_KEY_TAG] === key) return { point: p };
  }
  return {};
}

/** the id of the backup job that made a recovery point (for the `jobs` output), if AWS still lists it */
export async function jobOfPoint(ctx: Context, vault: string, point: RecoveryPointByBackupVault): Promise<string | undefined> {
  const created = point.CreationDate?.getTime();
  let token: string | undefined;
  do {
    const page = await ctx.aws(BackupClient).send(
      new ListBackupJobsCommand({
        ByBackupVaultName: vault,
        ByResourceArn: point.ResourceArn,
        ByState: 'COMPLETED',
        // the job starts when its recovery point is created; a minute covers clock rounding
        ByCreatedAfter: created !== undefined ? new Date(created - 60_000) : undefined,
        NextToken: token,
      }),
    );
    const job = page.BackupJobs?.find((j) => j.RecoveryPointArn === point.RecoveryPointArn);
    if (job?.BackupJobId) return job.BackupJobId;
    token = page.NextToken;
  } while (token);
  return undefined;
}
