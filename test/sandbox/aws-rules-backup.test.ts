// AWS Backup's IdempotencyToken on StartBackupJob, sent by the real SDK client. The API reference
// (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartBackupJob.html) says a retry
// with the same token "results in a success message with no action taken"; its earlier edition
// said "Idempotency tokens time out after one hour". It leaves open what a token reused with other
// parameters does: the sandbox takes the least convenient reading and refuses it
// (InvalidRequestException), so a caller must not count on getting the earlier job back.

import { BackupClient, StartBackupJobCommand, type StartBackupJobCommandInput } from '@aws-sdk/client-backup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accepted, refusedWith, startAws, type AwsFixture } from './aws-helpers.js';

let f: AwsFixture;
let backup: BackupClient;
beforeAll(async () => {
  f = await startAws({ backupJobMs: 100 });
  backup = new BackupClient(f.cfg());
});
afterAll(async () => {
  await f?.emulator.stop();
});

const input = (over: Partial<StartBackupJobCommandInput> = {}): StartBackupJobCommandInput => ({
  BackupVaultName: f.scenario.backup.vault,
  ResourceArn: f.emulator.state.backup.resources.efs,
  IamRoleArn: f.emulator.state.iam.getRole(f.scenario.backup.roleName).Arn,
  ...over,
});

describe('StartBackupJob IdempotencyToken (API reference)', () => {
  it('the same token and parameters return the same job, and start nothing new', async () => {
    const a = await backup.send(new StartBackupJobCommand(input({ IdempotencyToken: 'tok-same', RecoveryPointTags: { k: 'v' } })));
    const count = f.emulator.state.backup.jobs.size;
    const b = await backup.send(new StartBackupJobCommand(input({ IdempotencyToken: 'tok-same', RecoveryPointTags: { k: 'v' } })));
    expect(b.BackupJobId).toBe(a.BackupJobId);
    expect(f.emulator.state.backup.jobs.size).toBe(count);
  });

  it('the same token with other parameters is refused (the reference leaves it open: the sandbox’s reading)', async () => {
    const a = await backup.send(new StartBackupJobCommand(input({ IdempotencyToken: 'tok-params', Lifecycle: { DeleteAfterDays: 30 } })));
    const count = f.emulator.state.backup.jobs.size;
    for (const other of [{ Lifecycle: { DeleteAfterDays: 60 } }, { ResourceArn: f.emulator.state.backup.resources.s3 }, { RecoveryPointTags: { k: 'v' } }]) {
      const err = await backup.send(new StartBackupJobCommand(input({ IdempotencyToken: 'tok-params', Lifecycle: { DeleteAfterDays: 30 }, ...other }))).then(accepted, refusedWith);
      expect(err.name).toBe('InvalidRequestException');
      expect(err.message).toContain(`already used with different parameters (backup job ${a.BackupJobId})`);
    }
    expect(f.emulator.state.backup.jobs.size).toBe(count);
  });

  it('after the window (one hour, the one figure the reference gave) the token starts a new job', async () => {
    const a = await backup.send(new StartBackupJobCommand(input({ IdempotencyToken: 'tok-window' })));
    const window = f.emulator.state.backup.tokenWindowMs;
    expect(window).toBe(3600_000);
    f.emulator.state.backup.tokenWindowMs = 0;
    try {
      const b = await backup.send(new StartBackupJobCommand(input({ IdempotencyToken: 'tok-window' })));
      expect(b.BackupJobId).not.toBe(a.BackupJobId);
    } finally {
      f.emulator.state.backup.tokenWindowMs = window;
    }
  });

  it('without a token of its own the SDK sends a fresh one each call (the model marks it idempotencyToken): two jobs', async () => {
    const a = await backup.send(new StartBackupJobCommand(input()));
    const b = await backup.send(new StartBackupJobCommand(input()));
    expect(b.BackupJobId).not.toBe(a.BackupJobId);
  });
});
