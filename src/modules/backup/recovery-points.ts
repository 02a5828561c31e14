// The recovery points of a resource in a vault, newest first: check mode's "how old is the last
// backup" note and the search for an earlier run's snapshot. Pages through
// ListRecoveryPointsByBackupVault filtered by the resource.
import { BackupClient, paginateListRecoveryPointsByBackupVault, type RecoveryPointByBackupVault } from '@aws-sdk/client-backup';
import { allPages, type Context } from '../kit/index.js';

/** every recovery point of the resource that is not being deleted or expired, newest first */
export async function recoveryPointsOf(ctx: Pick<Context, 'aws'>, vault: string, resourceArn: string): Promise<RecoveryPointByBackupVault[]> {
  const all = await allPages(paginateListRecoveryPointsByBackupVault({ client: ctx.aws(BackupClient) }, { BackupVaultName: vault, ByResourceArn: resourceArn }), (p) => p.RecoveryPoints);
  const points: RecoveryPointByBackupVault[] = all.filter((rp) => rp.Status !== 'DELETING' && rp.Status !== 'EXPIRED');
  // AWS does not promise an order
  return points.sort((a, b) => (b.CreationDate?.getTime() ?? 0) - (a.CreationDate?.getTime() ?? 0));
}

/** "3d4h", "2h15m", "7m", "40s" */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d${h}h`;
  if (h) return `${h}h${m}m`;
  if (m) return `${m}m`;
  return `${s}s`;
}
