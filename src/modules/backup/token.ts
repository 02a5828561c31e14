// IdempotencyToken for StartBackupJob. Derived from the snapshot key (the run id unless the
// playbook names one), the resource and a generation, so that a retried request, a retried task
// or a resumed run gets back the job it already started (AWS Backup returns the existing job for
// a token it has seen, for 24 hours), a new run with the same key gets back the job of the run
// before it, and a new key takes a new snapshot. The generation moves on only when the previous
// job under the key failed.
import { createHash } from 'node:crypto';

export function idempotencyToken(key: string, resourceArn: string, generation: number): string {
  // unchanged input layout: with the default key (the run id) the tokens are those of before
  const digest = createHash('sha256').update(`kfup backup-snapshot\n${key}\n${resourceArn}\n${generation}`).digest('hex');
  return `kfup-${digest.slice(0, 40)}`;
}
