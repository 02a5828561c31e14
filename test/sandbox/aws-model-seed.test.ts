// The sandbox's own seed data, read back through every read operation the emulator answers, fits
// the official AWS service models: each answer is checked against its operation's output shape
// (types, required members, enums, members the model lacks) by the fixture, and the checks of the
// requests these SDK calls make accept them. A departure fails here, naming the member.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupClient, DescribeBackupVaultCommand, ListBackupJobsCommand, ListRecoveryPointsByBackupVaultCommand, StartBackupJobCommand, DescribeBackupJobCommand, ListTagsCommand } from '@aws-sdk/client-backup';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeRulesCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetOpenIDConnectProviderCommand, GetRoleCommand, IAMClient, ListOpenIDConnectProvidersCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { GetHostedZoneCommand, ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DescribeEndpointCommand, ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { checkResponse } from '../../src/sandbox/aws/model/response-check.js';
import type { AwsReply } from '../../src/sandbox/aws/index.js';
import { startAws, type AwsFixture } from './aws-helpers.js';

let f: AwsFixture;
beforeAll(async () => {
  f = await startAws({ backupJobMs: 50 });
});
afterAll(async () => {
  await f.stop();
});

describe('the seeded account read through every read operation', () => {
  it('fits the output shapes of the models (and every request is accepted)', async () => {
    const s = f.scenario;
    const state = f.emulator.state;
    const iam = new IAMClient(f.cfg());
    await new STSClient(f.cfg()).send(new GetCallerIdentityCommand({}));
    await iam.send(new ListRolesCommand({ MaxItems: 5 }));
    for (const r of state.iam.roles.values()) await iam.send(new GetRoleCommand({ RoleName: r.RoleName }));
    const providers = await iam.send(new ListOpenIDConnectProvidersCommand({}));
    for (const p of providers.OpenIDConnectProviderList ?? []) await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: p.Arn }));
    const ec2 = new EC2Client(f.cfg());
    await ec2.send(new DescribeVpcsCommand({}));
    await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [s.vpc.id] }] }));
    await ec2.send(new DescribeSecurityGroupsCommand({}));
    const elb = new ElasticLoadBalancingV2Client(f.cfg());
    const lbs = await elb.send(new DescribeLoadBalancersCommand({}));
    for (const lb of lbs.LoadBalancers ?? []) {
      const ls = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
      for (const l of ls.Listeners ?? []) await elb.send(new DescribeRulesCommand({ ListenerArn: l.ListenerArn }));
    }
    const r53 = new Route53Client(f.cfg());
    await r53.send(new ListHostedZonesByNameCommand({ DNSName: s.subdomain }));
    await r53.send(new GetHostedZoneCommand({ Id: s.hostedZone.id }));
    await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: s.hostedZone.id }));
    const eks = new EKSClient(f.cfg());
    for (const side of ['blue', 'green'] as const) await eks.send(new DescribeClusterCommand({ name: s[side].clusterName }));
    await new EFSClient(f.cfg()).send(new DescribeFileSystemsCommand({}));
    const sm = new SecretsManagerClient(f.cfg());
    for (const name of state.secrets.secrets.keys()) {
      await sm.send(new DescribeSecretCommand({ SecretId: name }));
      await sm.send(new GetSecretValueCommand({ SecretId: name }));
    }
    const sage = new SageMakerClient(f.cfg());
    const eps = await sage.send(new ListEndpointsCommand({}));
    for (const e of eps.Endpoints ?? []) await sage.send(new DescribeEndpointCommand({ EndpointName: e.EndpointName }));
    const backup = new BackupClient(f.cfg());
    await backup.send(new DescribeBackupVaultCommand({ BackupVaultName: s.backup.vault }));
    const job = await backup.send(
      new StartBackupJobCommand({ BackupVaultName: s.backup.vault, ResourceArn: `arn:aws:elasticfilesystem:${s.region}:${s.accountId}:file-system/${s.efs.id}`, IamRoleArn: state.iam.getRole(s.backup.roleName).Arn, RecoveryPointTags: { run: 'seed' } }),
    );
    await new Promise((r) => setTimeout(r, 120));
    const done = await backup.send(new DescribeBackupJobCommand({ BackupJobId: job.BackupJobId }));
    await backup.send(new ListBackupJobsCommand({ ByBackupVaultName: s.backup.vault }));
    await backup.send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: s.backup.vault }));
    if (done.RecoveryPointArn) await backup.send(new ListTagsCommand({ ResourceArn: done.RecoveryPointArn }));
    // every one of those operations answered, and the fixture's stop() judges each answer
    const answered = new Set(f.traffic.log.entries.filter((e) => e.target === 'aws' && e.status === 200).map((e) => `${e.service}:${e.operation}`));
    expect(answered.size).toBe(26);
  });

  it('the check would catch a seeded value outside an enum', () => {
    // the same kind of read as above, with an endpoint status SageMaker does not have
    const reply: AwsReply = { service: 'sagemaker', operation: 'DescribeEndpoint', status: 200, headers: {}, body: JSON.stringify({ EndpointName: 'e', EndpointArn: 'arn:aws:sagemaker:us-west-2:1:endpoint/e', EndpointStatus: 'Running', CreationTime: 1, LastModifiedTime: 1 }) };
    expect(checkResponse(reply).join('\n')).toMatch(/'Running' at 'endpointStatus': Member must satisfy enum value set/);
  });
});
