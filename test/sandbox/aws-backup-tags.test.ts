// AWS Backup's RecoveryPointTags and ListTags in the emulator, through the real SDK v3 clients:
// tags given at StartBackupJob reach the recovery point when the job completes, and ListTags
// (GET /tags/{ResourceArn}, the ARN one percent-encoded label) serves them for the recovery points
// AWS Backup manages. RDS snapshots and FSx backups keep theirs in RDS and FSx, as on AWS: Backup's
// ListTags refuses them, RDS / FSx ListTagsForResource serve them.

import { BackupClient, DescribeBackupJobCommand, ListTagsCommand, StartBackupJobCommand } from '@aws-sdk/client-backup';
import { FSxClient, ListTagsForResourceCommand as FsxListTags } from '@aws-sdk/client-fsx';
import { ListTagsForResourceCommand as RdsListTags, RDSClient } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startAws, type AwsFixture } from './aws-helpers.js';

let f: AwsFixture;
beforeAll(async () => {
  f = await startAws({ backupJobMs: 60 });
});
afterAll(async () => {
  await f.stop();
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

  it('a job started without tags leaves a recovery point with none', async () => {
    const rp = await backUp(f.emulator.state.backup.resources.efs);
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

const fsxArn = () => `arn:aws:fsx:${f.scenario.region}:${f.scenario.accountId}:file-system/fs-0123456789abcdef0`;

describe('RDS snapshot tags', () => {
  it('the recovery point is an RDS snapshot named after the job, and StartBackupJob does not return it', async () => {
    const backup = new BackupClient(f.cfg());
    const out = await backup.send(
      new StartBackupJobCommand({ BackupVaultName: f.scenario.backup.vault, ResourceArn: f.emulator.state.backup.resources.rds, IamRoleArn: role() }),
    );
    expect(out.RecoveryPointArn).toBeUndefined();
    const job = await backup.send(new DescribeBackupJobCommand({ BackupJobId: out.BackupJobId }));
    expect(job.RecoveryPointArn).toBe(`arn:aws:rds:${f.scenario.region}:${f.scenario.accountId}:snapshot:awsbackup:job-${out.BackupJobId!.toLowerCase()}`);
  });

  it("AWS Backup's ListTags refuses it; RDS ListTagsForResource returns the job's RecoveryPointTags", async () => {
    const rp = await backUp(f.emulator.state.backup.resources.rds, { 'kfup.dev/snapshot-key': 'kf-rds', team: 'ml' });
    await expect(new BackupClient(f.cfg()).send(new ListTagsCommand({ ResourceArn: rp }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    const mark = f.traffic.log.mark();
    const out = await new RDSClient(f.cfg()).send(new RdsListTags({ ResourceName: rp }));
    expect(out.TagList).toEqual([
      { Key: 'kfup.dev/snapshot-key', Value: 'kf-rds' },
      { Key: 'team', Value: 'ml' },
    ]);
    const entries = f.traffic.log.since(mark);
    expect(entries.map((e) => [e.service, e.operation, e.mutating])).toEqual([['rds', 'ListTagsForResource', false]]);
  });

  it('an untagged snapshot has an empty TagList; a snapshot that does not exist is DBSnapshotNotFoundFault', async () => {
    const rp = await backUp(f.emulator.state.backup.resources.rds);
    expect((await new RDSClient(f.cfg()).send(new RdsListTags({ ResourceName: rp }))).TagList ?? []).toEqual([]);
    const missing = `arn:aws:rds:${f.scenario.region}:${f.scenario.accountId}:snapshot:awsbackup:job-00000000-0000-0000-0000-000000000000`;
    await expect(new RDSClient(f.cfg()).send(new RdsListTags({ ResourceName: missing }))).rejects.toMatchObject({ name: 'DBSnapshotNotFoundFault', $metadata: { httpStatusCode: 404 } });
  });

  it('a cluster is backed up as a cluster snapshot', async () => {
    const cluster = `arn:aws:rds:${f.scenario.region}:${f.scenario.accountId}:cluster:kubeflow-aurora`;
    const rp = await backUp(cluster, { k: 'v' });
    expect(rp).toMatch(/:cluster-snapshot:awsbackup:job-/);
    expect((await new RDSClient(f.cfg()).send(new RdsListTags({ ResourceName: rp }))).TagList).toEqual([{ Key: 'k', Value: 'v' }]);
  });
});

describe('FSx backup tags', () => {
  it("the recovery point is an FSx backup; AWS Backup's ListTags refuses it, FSx ListTagsForResource returns its tags", async () => {
    const rp = await backUp(fsxArn(), { 'kfup.dev/snapshot-key': 'kf-fsx', team: 'ml' });
    expect(rp).toMatch(new RegExp(`^arn:aws:fsx:${f.scenario.region}:${f.scenario.accountId}:backup/backup-[0-9a-f]{17}$`));
    await expect(new BackupClient(f.cfg()).send(new ListTagsCommand({ ResourceArn: rp }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    const mark = f.traffic.log.mark();
    const out = await new FSxClient(f.cfg()).send(new FsxListTags({ ResourceARN: rp }));
    expect(out.Tags).toEqual([
      { Key: 'kfup.dev/snapshot-key', Value: 'kf-fsx' },
      { Key: 'team', Value: 'ml' },
    ]);
    expect(out.NextToken).toBeUndefined();
    expect(f.traffic.log.since(mark).map((e) => [e.service, e.operation, e.mutating])).toEqual([['fsx', 'ListTagsForResource', false]]);
  });

  it('pages with MaxResults / NextToken; an unknown backup is ResourceNotFound', async () => {
    const rp = await backUp(fsxArn(), { a: '1', b: '2', c: '3' });
    const client = new FSxClient(f.cfg());
    const first = await client.send(new FsxListTags({ ResourceARN: rp, MaxResults: 2 }));
    expect(first.Tags?.map((t) => t.Key)).toEqual(['a', 'b']);
    const second = await client.send(new FsxListTags({ ResourceARN: rp, MaxResults: 2, NextToken: first.NextToken }));
    expect(second.Tags?.map((t) => t.Key)).toEqual(['c']);
    expect(second.NextToken).toBeUndefined();
    const missing = `arn:aws:fsx:${f.scenario.region}:${f.scenario.accountId}:backup/backup-00000000000000000`;
    await expect(client.send(new FsxListTags({ ResourceARN: missing }))).rejects.toMatchObject({ name: 'ResourceNotFound', ResourceARN: missing });
  });
});
