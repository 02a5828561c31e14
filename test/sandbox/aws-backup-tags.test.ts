// AWS Backup's RecoveryPointTags and ListTags in the emulator, through the real SDK v3 client:
// tags given at StartBackupJob reach the recovery point when the job completes, and ListTags
// (GET /tags/{ResourceArn}, the ARN one percent-encoded label) serves them.

import { BackupClient, DescribeBackupJobCommand, ListTagsCommand, StartBackupJobCommand } from '@aws-sdk/client-backup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startAws, type AwsFixture } from './aws-helpers.js';

let f: AwsFixture;
beforeAll(async () => {
  f = await startAws({ backupJobMs: 60 });
});
afterAll(async () => {
  await f.emulator.stop();
});

const role = () => `arn:aws:iam::${f.scenario.accountId}:role/service-role/${f.scenario.backup.roleName}`;

async function backUp(resource: string, tags?: Record<string, string>): Promise<string> {
  const backup = new BackupClient(f.cfg());
  const { BackupJobId } = await backup.send(
    new StartBackupJobCommand({ BackupVaultName: f.scenario.backup.vault, ResourceArn: resource, IamRoleArn: role(), RecoveryPointTags: tags }),
  );
  for (let i = 0; i < 40; i++) {
    const job = await backup.send(new DescribeBackupJobCommand({ BackupJobId }));
    if (job.State === 'COMPLETED') return job.RecoveryPointArn!;
    await sleep(20);
  }
  throw new Error(`job ${BackupJobId} did not complete`);
}

describe('AWS Backup recovery point tags', () => {
  it('ListTags returns the RecoveryPointTags of the job that made the recovery point', async () => {
    const rp = await backUp(f.emulator.state.backup.resources.efs, { 'kfup.dev/snapshot-key': 'kf-upgrade-green', team: 'ml' });
    expect(rp).toMatch(/^arn:aws:backup:/);
    expect(f.emulator.state.backup.recoveryPoints.get(rp)?.Tags).toEqual({ 'kfup.dev/snapshot-key': 'kf-upgrade-green', team: 'ml' });
    const out = await new BackupClient(f.cfg()).send(new ListTagsCommand({ ResourceArn: rp }));
    expect(out.Tags).toEqual({ 'kfup.dev/snapshot-key': 'kf-upgrade-green', team: 'ml' });
    expect(out.NextToken).toBeUndefined();
  });

  it('a job started without tags leaves a recovery point with none; RDS snapshots are served too', async () => {
    const rp = await backUp(f.emulator.state.backup.resources.rds);
    expect(rp).toMatch(/^arn:aws:rds:.*:snapshot:awsbackup:job-/);
    const out = await new BackupClient(f.cfg()).send(new ListTagsCommand({ ResourceArn: rp }));
    expect(out.Tags ?? {}).toEqual({});
  });

  it('pages with MaxResults / NextToken', async () => {
    const tags = Object.fromEntries(['a', 'b', 'c'].map((k) => [k, `v-${k}`]));
    const rp = await backUp(f.emulator.state.backup.resources.s3, tags);
    const backup = new BackupClient(f.cfg());
    const first = await backup.send(new ListTagsCommand({ ResourceArn: rp, MaxResults: 2 }));
    expect(first.Tags).toEqual({ a: 'v-a', b: 'v-b' });
    const second = await backup.send(new ListTagsCommand({ ResourceArn: rp, MaxResults: 2, NextToken: first.NextToken }));
    expect(second.Tags).toEqual({ c: 'v-c' });
    expect(second.NextToken).toBeUndefined();
  });

  it('an unknown ARN is ResourceNotFoundException; ListTags is logged as a read', async () => {
    const mark = f.traffic.log.mark();
    const missing = `arn:aws:backup:${f.scenario.region}:${f.scenario.accountId}:recovery-point:00000000-0000-0000-0000-000000000000`;
    await expect(new BackupClient(f.cfg()).send(new ListTagsCommand({ ResourceArn: missing }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    const entries = f.traffic.log.since(mark).filter((e) => e.operation === 'ListTags');
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.mutating === false && e.service === 'backup')).toBe(true);
  });

  it('tags given to a job that fails go nowhere', async () => {
    f.traffic.scenario = { failBackupJobs: ['*'] };
    try {
      const backup = new BackupClient(f.cfg());
      const { BackupJobId } = await backup.send(
        new StartBackupJobCommand({ BackupVaultName: f.scenario.backup.vault, ResourceArn: f.emulator.state.backup.resources.efs, IamRoleArn: role(), RecoveryPointTags: { k: 'failed' } }),
      );
      let job;
      for (let i = 0; i < 40; i++) {
        job = await backup.send(new DescribeBackupJobCommand({ BackupJobId }));
        if (job.State === 'FAILED') break;
        await sleep(20);
      }
      expect(job?.State).toBe('FAILED');
      expect([...f.emulator.state.backup.recoveryPoints.values()].some((r) => r.Tags.k === 'failed')).toBe(false);
    } finally {
      f.traffic.scenario = {};
    }
  });
});
