// The README's "where to find it" commands, run as written with the real `aws` CLI (v1, botocore)
// against the sandbox: each must answer, in the shape botocore parses, what the README says it
// finds. (`aws s3 ls` is S3's, not covered here.) Skipped when `aws` is not on PATH.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAws, type AwsFixture } from './aws-helpers.js';
import { awsCli, awsPresent } from './aws-cli-helpers.js';

if (!awsPresent) console.warn('aws CLI not found on PATH: skipping the README "where to find it" command tests');

let f: AwsFixture;
const aws = <T>(...args: string[]) => awsCli<T>(f.endpoint, f.scenario.region, ...args);
/** a failed command's error, carrying the CLI's stderr */
type CliFailure = { stderr?: string };
const failure = (e: unknown) => e as CliFailure;
// the parts of each command's JSON output these tests read (botocore's output shapes)
interface HostedZones { HostedZones: { Id: string; Name: string; Config: { PrivateZone: boolean } }[] }
interface Clusters { clusters: string[] }
interface Secrets { SecretList: { Name: string }[] }
interface Vaults { BackupVaultList: { BackupVaultName: string; BackupVaultArn: string }[] }
interface DbInstances { DBInstances: { VpcSecurityGroups: { VpcSecurityGroupId: string }[] }[] }
interface LoadBalancers { LoadBalancers: { LoadBalancerName: string }[] }
interface Role { Role: { RoleName: string } }

describe.skipIf(!awsPresent)('README "where to find it" commands with the aws CLI (skipped when aws is absent)', () => {
  beforeAll(async () => {
    f = await startAws();
  });
  afterAll(async () => {
    await f?.emulator.stop();
  });

  it('aws route53 list-hosted-zones (hosted_zone)', async () => {
    const out = await aws<HostedZones>('route53', 'list-hosted-zones');
    expect(out.HostedZones.map((z) => z.Name)).toEqual([f.scenario.hostedZone.name]);
    expect(out.HostedZones[0].Id).toBe(`/hostedzone/${f.scenario.hostedZone.id}`);
    expect(out.HostedZones[0].Config.PrivateZone).toBe(false);
  });

  it('aws eks list-clusters (blue_cluster_name)', async () => {
    const out = await aws<Clusters>('eks', 'list-clusters');
    expect(out.clusters).toEqual([f.scenario.blue.clusterName, f.scenario.green.clusterName]);
  });

  it('aws secretsmanager list-secrets (s3_secret_name, rds_secret_name), no secret values', async () => {
    const out = await aws<Secrets>('secretsmanager', 'list-secrets');
    expect(out.SecretList.map((s) => s.Name).sort()).toEqual([f.scenario.rds.secretName, f.scenario.s3.secretName].sort());
    expect(JSON.stringify(out)).not.toContain('SecretString');
    const filtered = await aws<Secrets>('secretsmanager', 'list-secrets', '--filters', 'Key=name,Values=kubeflow/rds');
    expect(filtered.SecretList.map((s) => s.Name)).toEqual([f.scenario.rds.secretName]);
  });

  it('aws backup list-backup-vaults (backup_vault)', async () => {
    const out = await aws<Vaults>('backup', 'list-backup-vaults');
    expect(out.BackupVaultList.map((v) => v.BackupVaultName)).toEqual([f.scenario.backup.vault]);
    expect(out.BackupVaultList[0].BackupVaultArn).toMatch(/^arn:aws:backup:us-west-2:\d{12}:backup-vault:/);
  });

  it("aws rds describe-db-instances --query 'DBInstances[].DBInstanceArn' (rds_instance_arn)", async () => {
    const arns = await aws<string[]>('rds', 'describe-db-instances', '--query', 'DBInstances[].DBInstanceArn');
    expect(arns).toEqual([f.emulator.state.backup.resources.rds]);
    const all = await aws<DbInstances>('rds', 'describe-db-instances');
    expect(all.DBInstances[0]).toMatchObject({ DBInstanceIdentifier: f.scenario.rds.instanceId, Engine: 'mysql', Endpoint: { Address: f.scenario.rds.endpoint, Port: 3306 } });
    expect(all.DBInstances[0].VpcSecurityGroups[0].VpcSecurityGroupId).toBe(f.scenario.vpc.clusterSecurityGroup);
    const missing = await aws('rds', 'describe-db-instances', '--db-instance-identifier', 'nope').then((): CliFailure => ({}), failure);
    expect(String(missing.stderr)).toMatch(/DBInstanceNotFound/);
  });

  it('the README’s other look-ups answer too (elbv2, efs, iam)', async () => {
    const lbs = await aws<LoadBalancers>('elbv2', 'describe-load-balancers');
    expect(lbs.LoadBalancers.map((l) => l.LoadBalancerName)).toContain(f.scenario.alb.name);
    const efs = await aws<string[]>('efs', 'describe-file-systems', '--query', 'FileSystems[].FileSystemArn');
    expect(efs).toEqual([f.emulator.state.backup.resources.efs]);
    const role = await aws<Role>('iam', 'get-role', '--role-name', f.scenario.backup.roleName);
    expect(role.Role.RoleName).toBe(f.scenario.backup.roleName);
  });
});
