// Finding the snapshot an earlier run of the same upgrade already took. Every job is started with
// the recovery point tag SNAPSHOT_KEY_TAG = snapshot_key, so a fresh run (a new run id, no
// journal) recognises the completed recovery point by its tag and takes no second snapshot.
// Every read here is a List* call: check mode may make them all.
import { BackupClient, paginateListBackupJobs, paginateListTags, type RecoveryPointByBackupVault } from '@aws-sdk/client-backup';
import { awsErrorKind, awsErrorName, isNotFound, type Context } from '../kit/index.js';

/** what the searches here use of the context: its AWS clients, all read-only calls */
type AwsCtx = Pick<Context, 'aws'>;

export const SNAPSHOT_KEY_TAG = 'kfup.dev/snapshot-key';

export interface KeyedSearch {
  /** the newest COMPLETED recovery point carrying the key */
  point?: RecoveryPointByBackupVault;
  /** set when the tags of this resource's recovery points could not be read, and why */
  unreadable?: { arn: string; why: string };
}

/** what reading one recovery point's tags gave */
type TagRead = { tags: Record<string, string> } | { gone: true } | { unreadable: string };

// Where AWS Backup leaves a backup decides who holds its tags. EFS and S3 recovery points are AWS
// Backup's own (arn:aws:backup:...:recovery-point:*) and its ListTags serves them; an RDS backup
// is an RDS snapshot (arn:aws:rds:...:snapshot:awsbackup:job-*, or cluster-snapshot for Aurora)
// and an FSx backup an FSx backup (arn:aws:fsx:...:backup/backup-*): AWS Backup refuses ListTags
// on those, and their service returns the RecoveryPointTags the job gave them.
const RDS_SNAPSHOT = /^arn:[a-z-]+:rds:[^:]*:\d*:(cluster-)?snapshot:/;
const FSX_BACKUP = /^arn:[a-z-]+:fsx:[^:]*:\d*:backup\//;
const BACKUP_POINT = /^arn:[a-z-]+:backup:/;

// The RDS and FSx clients are loaded only when such a recovery point turns up: most runs (EFS, S3)
// never need them, and each is a sizeable module graph.
let rdsSdk: Promise<typeof import('@aws-sdk/client-rds')> | undefined;
let fsxSdk: Promise<typeof import('@aws-sdk/client-fsx')> | undefined;
const loadRds = () => (rdsSdk ??= import('@aws-sdk/client-rds'));
const loadFsx = () => (fsxSdk ??= import('@aws-sdk/client-fsx'));

/** a refusal to read tags says what permission is missing; a snapshot deleted since the listing is skipped */
function tagReadFailure(e: unknown, permission: string): TagRead {
  if (isNotFound(e)) return { gone: true };
  if (awsErrorKind(e) === 'access-denied') return { unreadable: `${awsErrorName(e)}: the caller needs ${permission}` };
  throw e;
}

async function rdsSnapshotTags(ctx: AwsCtx, arn: string): Promise<TagRead> {
  const { RDSClient, ListTagsForResourceCommand } = await loadRds();
  try {
    // RDS returns every tag of the resource at once (at most 50), no paging
    const out = await ctx.aws(RDSClient).send(new ListTagsForResourceCommand({ ResourceName: arn }));
    return { tags: Object.fromEntries((out.TagList ?? []).flatMap((t) => (t.Key !== undefined ? [[t.Key, t.Value ?? '']] : []))) };
  } catch (e) {
    return tagReadFailure(e, 'rds:ListTagsForResource');
  }
}

async function fsxBackupTags(ctx: AwsCtx, arn: string): Promise<TagRead> {
  const { FSxClient, paginateListTagsForResource } = await loadFsx();
  const tags: Record<string, string> = {};
  try {
    for await (const page of paginateListTagsForResource({ client: ctx.aws(FSxClient) }, { ResourceARN: arn })) {
      for (const t of page.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
    }
  } catch (e) {
    return tagReadFailure(e, 'fsx:ListTagsForResource');
  }
  return { tags };
}

async function backupPointTags(ctx: AwsCtx, arn: string): Promise<TagRead> {
  const tags: Record<string, string> = {};
  try {
    for await (const page of paginateListTags({ client: ctx.aws(BackupClient) }, { ResourceArn: arn })) Object.assign(tags, page.Tags ?? {});
  } catch (e) {
    if (!/InvalidParameterValue|ResourceNotFound/.test(awsErrorName(e))) throw e;
    // a recovery point of AWS Backup's own that vanished is skipped; any other kind is one
    // AWS Backup does not hold the tags of, and that nothing here knows how to read
    return BACKUP_POINT.test(arn) ? { gone: true } : { unreadable: `AWS Backup's ListTags answered ${awsErrorName(e)}` };
  }
  return { tags };
}

/** the tags of one recovery point, asked of the service that holds them */
function tagsOf(ctx: AwsCtx, arn: string): Promise<TagRead> {
  if (RDS_SNAPSHOT.test(arn)) return rdsSnapshotTags(ctx, arn);
  if (FSX_BACKUP.test(arn)) return fsxBackupTags(ctx, arn);
  return backupPointTags(ctx, arn);
}

/** search the resource's points (newest first, as recoveryPointsOf returns them) for the key */
export async function findKeyedPoint(ctx: AwsCtx, points: RecoveryPointByBackupVault[], key: string): Promise<KeyedSearch> {
  // plan-made points carry the plan's id; ours are on-demand, so those need no tag lookup
  const candidates = points.filter((p) => p.Status === 'COMPLETED' && !p.CreatedBy?.BackupPlanId && p.RecoveryPointArn);
  for (const p of candidates) {
    const read = await tagsOf(ctx, p.RecoveryPointArn!);
    // the others are the same kind of recovery point: one refusal answers for all of them
    if ('unreadable' in read) return { unreadable: { arn: p.RecoveryPointArn!, why: read.unreadable } };
    if ('gone' in read) continue;
    if (read.tags[SNAPSHOT_KEY_TAG] === key) return { point: p };
  }
  return {};
}

/** the id of the backup job that made a recovery point (for the `jobs` output), if AWS still lists it */
export async function jobOfPoint(ctx: AwsCtx, vault: string, point: RecoveryPointByBackupVault): Promise<string | undefined> {
  const created = point.CreationDate?.getTime();
  const pages = paginateListBackupJobs(
    { client: ctx.aws(BackupClient) },
    {
      ByBackupVaultName: vault,
      ByResourceArn: point.ResourceArn,
      ByState: 'COMPLETED',
      // the job starts when its recovery point is created; a minute covers clock rounding
      ByCreatedAfter: created !== undefined ? new Date(created - 60_000) : undefined,
    },
  );
  for await (const page of pages) {
    const job = page.BackupJobs?.find((j) => j.RecoveryPointArn === point.RecoveryPointArn);
    if (job?.BackupJobId) return job.BackupJobId;
  }
  return undefined;
}
