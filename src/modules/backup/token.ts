// IdempotencyToken for StartBackupJob. Derived from the snapshot key (the run id unless the
// playbook names one), the resource and a generation, so that a retried request, a retried task
// or a resumed run gets back the job it already started (AWS Backup returns the existing job for
// a token it has seen, for 24 hours), a new run with the same key gets back the job of the run
// before it, and a new key takes a new snapshot. The generation moves on only when the previous
// job under the key failed.
// The rest of the request (vault, role, lifecycle) is part of the token too: the API reference
// (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartBackupJob.html) promises only
// that the same token with the same request returns the job already started; what a token reused
// with other parameters does is left open, and AWS services commonly refuse it. Another request
// gets another token, so another job.
import { createHash } from 'node:crypto';

/** the parts of StartBackupJob besides the resource that the token covers */
export interface TokenRequest {
  vault: string;
  roleArn: string;
  lifecycle?: { DeleteAfterDays?: number; MoveToColdStorageAfterDays?: number; OptInToArchiveForSupportedResources?: boolean };
}

export function idempotencyToken(key: string, resourceArn: string, generation: number, request: TokenRequest): string {
  const l = request.lifecycle ?? {};
  const rest = JSON.stringify([request.vault, request.roleArn, l.DeleteAfterDays ?? null, l.MoveToColdStorageAfterDays ?? null, l.OptInToArchiveForSupportedResources ?? null]);
  const digest = createHash('sha256').update(`kfup backup-snapshot\n${key}\n${resourceArn}\n${generation}\n${rest}`).digest('hex');
  return `kfup-${digest.slice(0, 40)}`;
}
