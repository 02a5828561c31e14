// IdempotencyToken for StartBackupJob. Derived from the run, the resource and a generation, so
// that a retried request, a retried task or a resumed run gets back the job it already started
// (AWS Backup returns the existing job for a token it has seen), while a new run takes a new
// snapshot. The generation moves on only when the previous job of this run failed.
import { createHash } from 'node:crypto';

export function idempotencyToken(runId: string, resourceArn: string, generation: number): string {
  const digest = createHash('sha256').update(`kfup backup-snapshot\n${runId}\n${resourceArn}\n${generation}`).digest('hex');
  return `kfup-${digest.slice(0, 40)}`;
}
