// Read operations of every emulated service, through the real SDK v3 clients.

import { DescribeBackupVaultCommand, BackupClient } from '@aws-sdk/client-backup';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeFileSystemsCommand, EFSClient, FileSystemNotFound } from '@aws-sdk/client-efs';
import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient, ResourceNotFoundException as SecretNotFound } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcIssuer } from '../../src/sandbox/scenario.js';
import { accepted, refusedWith, startAws, type AwsFixture } from './aws-helpers.js';

let f: AwsFixture;
beforeAll(async () => {
  f = await startAws();
});
afterAll(async () => {
  await f.stop();
});

describe('STS', () => {
  it('GetCallerIdentity names the scenario account', async () => {
    const out = await new STSClient(f.cfg()).send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe(f.scenario.accountId);
    expect(out.Arn).toMatch(/^arn:aws:iam::123456789012:/);
    expect(out.UserId).toMatch(/^AIDA/);
  });
});

describe('EKS', () => {
  it('DescribeCluster gives each colour its own OIDC issuer and the shared VPC', async () => {
    const eks = new EKSClient(f.cfg());
    const blue = (await eks.send(new DescribeClusterCommand({ name: f.scenario.blue.clusterName }))).cluster!;
    const green = (await eks.send(new DescribeClusterCommand({ name: f.scenario.green.clusterName }))).cluster!;
    expect(blue.identity?.oidc?.issuer).toBe(oidcIssuer(f.scenario, 'blue'));
    expect(green.identity?.oidc?.issuer).toBe(`https://oidc.eks.us-west-2.amazonaws.com/id/${f.scenario.green.oidcId}`);
    expect(blue.status).toBe('ACTIVE');
    expect(blue.createdAt).toBeInstanceOf(Date);
    expect(blue.resourcesVpcConfig?.vpcId).toBe(f.scenario.vpc.id);
    expect(blue.resourcesVpcConfig?.clusterSecurityGroupId).toBe(f.scenario.vpc.clusterSecurityGroup);
    expect(blue.resourcesVpcConfig?.subnetIds).toEqual(expect.arrayContaining(f.scenario.vpc.privateSubnets));
    expect(green.version).not.toBe(blue.version);
  });

  it('an unknown cluster raises ResourceNotFoundException', async () => {
    const err = await new EKSClient(f.cfg()).send(new DescribeClusterCommand({ name: 'nope' })).then(accepted, refusedWith);
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect(err.$metadata.httpStatusCode).toBe(404);
  });
});

describe('EC2', () => {
  const ec2 = () => new EC2Client(f.cfg());

  it('DescribeVpcs by id and by filter', async () => {
    const byId = await ec2().send(new DescribeVpcsCommand({ VpcIds: [f.scenario.vpc.id] }));
    expect(byId.Vpcs?.[0]?.CidrBlock).toBe(f.scenario.vpc.cidr);
    const none = await ec2().send(new DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: ['vpc-other'] }] }));
    expect(none.Vpcs).toEqual([]);
    const err = await ec2().send(new DescribeVpcsCommand({ VpcIds: ['vpc-missing'] })).then(accepted, refusedWith);
    expect(err.name).toBe('InvalidVpcID.NotFound');
  });

  it('DescribeSubnets tells public from private by their ELB role tags', async () => {
    const pub = await ec2().send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [f.scenario.vpc.id] }, { Name: 'tag:kubernetes.io/role/elb', Values: ['1'] }] }));
    expect(pub.Subnets?.map((s) => s.SubnetId).sort()).toEqual([...f.scenario.vpc.publicSubnets].sort());
    expect(pub.Subnets?.every((s) => s.MapPublicIpOnLaunch === true)).toBe(true);
    const priv = await ec2().send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag-key', Values: ['kubernetes.io/role/internal-elb'] }] }));
    expect(priv.Subnets?.map((s) => s.SubnetId).sort()).toEqual([...f.scenario.vpc.privateSubnets].sort());
    expect(priv.Subnets?.every((s) => s.MapPublicIpOnLaunch === false)).toBe(true);
    const one = await ec2().send(new DescribeSubnetsCommand({ SubnetIds: [f.scenario.vpc.privateSubnets[1]] }));
    expect(one.Subnets?.[0]?.Tags).toContainEqual({ Key: 'kubernetes.io/role/internal-elb', Value: '1' });
  });

  it('DescribeSecurityGroups by group-id filter and by id', async () => {
    const sg = f.scenario.vpc.clusterSecurityGroup;
    const out = await ec2().send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: [sg] }] }));
    expect(out.SecurityGroups?.map((g) => g.GroupId)).toEqual([sg]);
    expect(out.SecurityGroups?.[0]?.VpcId).toBe(f.scenario.vpc.id);
    const byId = await ec2().send(new DescribeSecurityGroupsCommand({ GroupIds: [sg] }));
    expect(byId.SecurityGroups?.[0]?.Tags).toContainEqual({ Key: 'aws:eks:cluster-name', Value: f.scenario.blue.clusterName });
  });
});

describe('EFS', () => {
  it('DescribeFileSystems lists all, finds by id, and raises FileSystemNotFound', async () => {
    const efs = new EFSClient(f.cfg());
    const all = await efs.send(new DescribeFileSystemsCommand({}));
    expect(all.FileSystems?.map((x) => x.FileSystemId)).toEqual([f.scenario.efs.id]);
    const one = await efs.send(new DescribeFileSystemsCommand({ FileSystemId: f.scenario.efs.id }));
    expect(one.FileSystems?.[0]?.Name).toBe(f.scenario.efs.name);
    expect(one.FileSystems?.[0]?.Tags).toContainEqual({ Key: 'Name', Value: f.scenario.efs.name });
    const err = await efs.send(new DescribeFileSystemsCommand({ FileSystemId: 'fs-0000000000deadbeef' })).then(accepted, refusedWith);
    expect(err).toBeInstanceOf(FileSystemNotFound);
  });
});

describe('Secrets Manager', () => {
  it('DescribeSecret and GetSecretValue for the RDS and S3 secrets', async () => {
    const sm = new SecretsManagerClient(f.cfg());
    const d = await sm.send(new DescribeSecretCommand({ SecretId: f.scenario.rds.secretName }));
    expect(d.ARN).toMatch(/^arn:aws:secretsmanager:us-west-2:123456789012:secret:kubeflow\/rds-secret-\w{6}$/);
    expect(d.LastChangedDate).toBeInstanceOf(Date);
    const rds = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: d.ARN! }))).SecretString!) as Record<string, unknown>;
    expect(Object.keys(rds).sort()).toEqual(['database', 'host', 'password', 'port', 'username']);
    expect(rds.host).toBe(f.scenario.rds.endpoint);
    const s3 = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: f.scenario.s3.secretName }))).SecretString!) as Record<string, unknown>;
    expect(Object.keys(s3).sort()).toEqual(['accesskey', 'secretkey']);
    const err = await sm.send(new GetSecretValueCommand({ SecretId: 'nope' })).then(accepted, refusedWith);
    expect(err).toBeInstanceOf(SecretNotFound);
  });
});

describe('Backup vault', () => {
  it('DescribeBackupVault', async () => {
    const out = await new BackupClient(f.cfg()).send(new DescribeBackupVaultCommand({ BackupVaultName: f.scenario.backup.vault }));
    expect(out.BackupVaultArn).toBe(`arn:aws:backup:us-west-2:123456789012:backup-vault:${f.scenario.backup.vault}`);
    expect(out.CreationDate).toBeInstanceOf(Date);
  });
});

describe('request log', () => {
  it('records the service, operation and that reads do not mutate', () => {
    const ops = f.traffic.log.entries.map((e) => `${e.service}:${e.operation}:${e.mutating}`);
    expect(ops).toContain('sts:GetCallerIdentity:false');
    expect(ops).toContain('eks:DescribeCluster:false');
    expect(ops).toContain('ec2:DescribeSubnets:false');
    expect(ops).toContain('efs:DescribeFileSystems:false');
    expect(ops).toContain('secretsmanager:GetSecretValue:false');
    expect(f.traffic.log.mutating()).toEqual([]);
  });
});
