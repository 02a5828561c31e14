// The README's "where to find it" commands, run as written with the real `aws` CLI (v1, botocore)
// against the sandbox: each must answer, in the shape botocore parses, what the README says it
// finds. (`aws s3 ls` is S3's, not covered here.) Skipped when `aws` is not on PATH.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAws, type AwsFixture } from './aws-helpers.js';
import { awsCli, awsPresent } from './aws-cli-helpers.js';

if (!awsPresent) console.warn('aws CLI not found on PATH: skipping the README "where to find it" command tests');

let f: AwsFixture;
const aws = (...args: string[]) => awsCli(f.endpoint, f.scenario.region, ...args);

describe.skipIf(!awsPresent)('README "where to find it" commands with the aws CLI (skipped when aws is absent)', () => {
  beforeAll(async () => {
    f = await startAws();
  });
  afterAll(async () => {
    await f?.emulator.stop();
  });

  it('aws route53 list-hosted-zones (hosted_zone)', async () => {
    const out = await aws('route53', 'list-hosted-zones');
    expect(out.HostedZones.map((z: any) => z.Name)).toEqual([f.scenario.hostedZone.name]);
    expect(out.HostedZones[0].Id).toBe(`/hostedzone/${f.scenario.hostedZone.id}`);
    expect(out.HostedZones[0].Config.PrivateZone).toBe(false);
  });

  it('aws eks list-clusters (blue_cluster_name)', async () => {
    const out = await aws('eks', 'list-clusters');
    expect(out.clusters).toEqual([f.scenario.blue.clusterName, f.scenario.green.clusterName]);
  });

  it('aws secretsmanager list-secrets (s3_secret_name, rds_secret_name), no secret values', async () => {
    const out = await aws('secretsmanager', 'list-secrets');
    expect(out.SecretList.map((s: any) => s.Name).sort()).toEqual([f.scenario.rds.secretName, f.scenario.s3.secretName].sort());
    expect(JSON.stringify(out)).not.toContain('SecretString');
    const filtered = await aws('secretsmanager', 'list-secrets', '--filters', 'Key=name,Values=kubeflow/rds');
    expect(filtered.SecretList.map((s: any) => s.Name)).toEqual([f.scenario.rds.secretName]);
  });

  it('aws backup list-backup-vaults (backup_vault)', async () => {
    const out = await aws('backup', 'list-backup-vaults');
    expect(out.BackupVaultList.map((v: any) => v.BackupVaultName)).toEqual([f.scenario.backup.vault]);
    expect(out.BackupVaultList[0].BackupVaultArn).toMatch(/^arn:aws:backup:us-west-2:\d{12}:backup-vault:/);
  });

  it("aws rds describe-db-instances --query 'DBInstances[].DBInstanceArn' (rds_instance_arn)", async () => {
    const arns = await aws('rds', 'describe-db-instances', '--query', 'DBInstances[].DBInstanceArn');
    expect(arns).toEqual([f.emulator.state.backup.resources.rds]);
    const all = await aws('rds', 'describe-db-instances');
    expect(all.DBInstances[0]).toMatchObject({ DBInstanceIdentifier: f.scenario.rds.instanceId, Engine: 'mysql', Endpoint: { Address: f.scenario.rds.endpoint, Port: 3306 } });
    expect(all.DBInstances[0].VpcSecurityGroups[0].VpcSecurityGroupId).toBe(f.scenario.vpc.clusterSecurityGroup);
    const missing = await aws('rds', 'describe-db-instances', '--db-instance-identifier', 'nope').catch((e) => e);
    expect(String(missing.stderr)).toMatch(/DBInstanceNotFound/);
  });

  it('the README’s other look-ups answer too (elbv2, efs, iam)', async () => {
    const lbs = await aws('elbv2', 'describe-load-balancers');
    expect(lbs.LoadBalancers.map((l: any) => l.LoadBalancerName)).toContain(f.scenario.alb.name);
    const efs = await aws('efs', 'describe-file-systems', '--query', 'FileSystems[].FileSystemArn');
    expect(efs).toEqual([f.emulator.state.backup.resources.efs]);
    const role = await aws('iam', 'get-role', '--role-name', f.scenario.backup.roleName);
    expect(role.Role.RoleName).toBe(f.scenario.backup.roleName);
  });
});
