// What backup-snapshot's revert tells a person: where each recovery point is and the commands
// that restore it. A restore is never automatic (it replaces or duplicates live data).
import type { ResourceKind } from './resources.js';

const WHAT_RESTORE_DOES: Record<ResourceKind, string> = {
  efs: 'restores into a new file system (newFileSystem=true) or into a directory of the original one',
  s3: 'restores the objects into a bucket you name (DestinationBucketName)',
  rds: 'creates a new database instance from the snapshot; point the deployment at it afterwards',
  fsx: 'creates a new file system from the backup',
};

export function restoreHints(points: Partial<Record<ResourceKind, string>>, vault: string, roleArn: string): string[] {
  const lines: string[] = [];
  for (const [kind, arn] of Object.entries(points) as [ResourceKind, string][]) {
    lines.push(`  ${kind}: ${arn}`);
    lines.push(`    a restore ${WHAT_RESTORE_DOES[kind] ?? 'creates a new resource from the recovery point'}:`);
    lines.push(`    aws backup get-recovery-point-restore-metadata --backup-vault-name ${vault} --recovery-point-arn ${arn} > metadata.json   (edit it)`);
    lines.push(`    aws backup start-restore-job --recovery-point-arn ${arn} --iam-role-arn ${roleArn} --metadata file://metadata.json`);
  }
  return lines;
}
