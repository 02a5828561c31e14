// Operations that change the emulated account, through the real SDK v3 clients: backup jobs,
// IAM trust policies, Route 53 changes, ALB rules, SageMaker endpoints.

import { BackupClient, DescribeBackupJobCommand, type DescribeBackupJobCommandOutput, ListBackupJobsCommand, ListRecoveryPointsByBackupVaultCommand, StartBackupJobCommand } from '@aws-sdk/client-backup';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeRulesCommand, ElasticLoadBalancingV2Client, ModifyRuleCommand, OperationNotPermittedException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetOpenIDConnectProviderCommand, GetRoleCommand, IAMClient, ListOpenIDConnectProvidersCommand, ListRolesCommand, MalformedPolicyDocumentException, NoSuchEntityException, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { ChangeResourceRecordSetsCommand, GetChangeCommand, InvalidChangeBatch, ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DeleteEndpointCommand, DescribeEndpointCommand, ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irsaTrustPolicy } from '../../src/sandbox/aws/index.js';
import { oidcProviderArn } from '../../src/sandbox/scenario.js';
import { accepted, refusedWith, sleep, startAws, type AwsFixture } from './aws-helpers.js';

let f: AwsFixture;
beforeAll(async () => {
  f = await startAws({ backupJobMs: 300, dnsChangeMs: 400 });
});
afterAll(async () => {
  await f.stop();
});

describe('AWS Backup jobs', () => {
  const start = (resource: string, token?: string) =>
    new BackupClient(f.cfg()).send(
      new StartBackupJobCommand({
        BackupVaultName: f.scenario.backup.vault,
        ResourceArn: resource,
        IamRoleArn: `arn:aws:iam::${f.scenario.accountId}:role/service-role/${f.scenario.backup.roleName}`,
        IdempotencyToken: token,
      }),
    );

  it('a job goes CREATED -> RUNNING -> COMPLETED and leaves a recovery point', async () => {
    const backup = new BackupClient(f.cfg());
    const efsArn = f.emulator.state.backup.resources.efs;
    const { BackupJobId } = await start(efsArn);
    const seen = new Set<string>();
    let last: DescribeBackupJobCommandOutput | undefined;
    // polled until the job ends, for at most 20 s (a wall-clock bound, not a count a busy machine exhausts)
    for (const until = Date.now() + 20_000; Date.now() < until; ) {
      last = await backup.send(new DescribeBackupJobCommand({ BackupJobId }));
      seen.add(last.State!);
      if (last.State === 'RUNNING') expect(Number(last.PercentDone)).toBeGreaterThan(0);
      if (last.State === 'COMPLETED') break;
      await sleep(25);
    }
    if (!last) throw new Error('DescribeBackupJob was never asked');
    expect(last.State).toBe('COMPLETED');
    expect([...seen]).toEqual(expect.arrayContaining(['RUNNING', 'COMPLETED']));
    expect(last.RecoveryPointArn).toMatch(/^arn:aws:backup:us-west-2:123456789012:recovery-point:/);
    expect(last.CompletionDate).toBeInstanceOf(Date);
    const rps = await backup.send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: f.scenario.backup.vault, ByResourceArn: efsArn }));
    expect(rps.RecoveryPoints?.map((r) => r.RecoveryPointArn)).toContain(last.RecoveryPointArn);
  });

  it('the same idempotency token returns the same job', async () => {
    const a = await start(f.emulator.state.backup.resources.rds, 'kfup-run-1-rds');
    const b = await start(f.emulator.state.backup.resources.rds, 'kfup-run-1-rds');
    const c = await start(f.emulator.state.backup.resources.rds, 'kfup-run-2-rds');
    expect(b.BackupJobId).toBe(a.BackupJobId);
    expect(c.BackupJobId).not.toBe(a.BackupJobId);
  });

  it('a job for a resource named in failBackupJobs ends FAILED with a message', async () => {
    f.traffic.scenario.failBackupJobs = [f.scenario.s3.bucket];
    try {
      const { BackupJobId } = await start(f.emulator.state.backup.resources.s3);
      await sleep(350);
      const out = await new BackupClient(f.cfg()).send(new DescribeBackupJobCommand({ BackupJobId }));
      expect(out.State).toBe('FAILED');
      expect(out.StatusMessage).toMatch(/error/);
    } finally {
      f.traffic.scenario.failBackupJobs = undefined;
    }
  });

  it('ListBackupJobs filters by state, resource and vault', async () => {
    await sleep(350);
    const backup = new BackupClient(f.cfg());
    const failed = await backup.send(new ListBackupJobsCommand({ ByState: 'FAILED' }));
    expect(failed.BackupJobs?.map((j) => j.ResourceArn)).toEqual([f.emulator.state.backup.resources.s3]);
    const rds = await backup.send(new ListBackupJobsCommand({ ByResourceArn: f.emulator.state.backup.resources.rds }));
    expect(rds.BackupJobs).toHaveLength(2);
    const other = await backup.send(new ListBackupJobsCommand({ ByBackupVaultName: 'other-vault' }));
    expect(other.BackupJobs).toEqual([]);
  });

  it('an unknown vault is ResourceNotFoundException', async () => {
    const err = await new BackupClient(f.cfg())
      .send(new StartBackupJobCommand({ BackupVaultName: 'nope', ResourceArn: f.emulator.state.backup.resources.efs, IamRoleArn: 'arn:aws:iam::123456789012:role/x' }))
      .then(accepted, refusedWith);
    expect(err.name).toBe('ResourceNotFoundException');
  });
});

/** an IAM trust policy document, the parts these tests read and write */
interface TrustPolicy { Statement: { Sid?: string; Principal: { Federated: string }; Condition: { StringEquals: Record<string, string> } }[] }

describe('IAM', () => {
  const roleName = () => f.scenario.profiles[0].roleArn.split('/').pop()!;

  it('GetRole returns the trust policy URL-decoded by the SDK, trusting blue', async () => {
    const out = await new IAMClient(f.cfg()).send(new GetRoleCommand({ RoleName: roleName() }));
    expect(out.Role?.Arn).toBe(f.scenario.profiles[0].roleArn);
    const doc = JSON.parse(decodeURIComponent(out.Role!.AssumeRolePolicyDocument!)) as TrustPolicy;
    const st = doc.Statement[0];
    expect(st.Principal.Federated).toBe(oidcProviderArn(f.scenario, 'blue'));
    const host = `oidc.eks.us-west-2.amazonaws.com/id/${f.scenario.blue.oidcId}`;
    expect(st.Condition.StringEquals).toEqual({ [`${host}:sub`]: `system:serviceaccount:${f.scenario.profiles[0].namespace}:default-editor`, [`${host}:aud`]: 'sts.amazonaws.com' });
  });

  it('UpdateAssumeRolePolicy round-trips a document with characters that need encoding', async () => {
    const iamc = new IAMClient(f.cfg());
    const policy = irsaTrustPolicy(f.scenario, 'green', f.scenario.profiles[0].namespace, 'default-editor') as TrustPolicy;
    policy.Statement[0].Sid = 'green & blue: 100% "ok" + more';
    const text = JSON.stringify(policy);
    await iamc.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName(), PolicyDocument: text }));
    expect(f.emulator.state.iam.roles.get(roleName())!.AssumeRolePolicyDocument).toBe(text);
    const out = await iamc.send(new GetRoleCommand({ RoleName: roleName() }));
    expect(decodeURIComponent(out.Role!.AssumeRolePolicyDocument!)).toBe(text);
    const bad = await iamc.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName(), PolicyDocument: '{not json' })).then(accepted, refusedWith);
    expect(bad).toBeInstanceOf(MalformedPolicyDocumentException);
  });

  it('GetRole of a missing role raises NoSuchEntityException', async () => {
    const err = await new IAMClient(f.cfg()).send(new GetRoleCommand({ RoleName: 'missing' })).then(accepted, refusedWith);
    expect(err).toBeInstanceOf(NoSuchEntityException);
    expect(err.$metadata.httpStatusCode).toBe(404);
  });

  it('ListRoles pages with Marker and MaxItems', async () => {
    const iamc = new IAMClient(f.cfg());
    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await iamc.send(new ListRolesCommand({ MaxItems: 2, Marker: marker }));
      names.push(...out.Roles!.map((r) => r.RoleName!));
      marker = out.IsTruncated ? out.Marker : undefined;
      pages++;
    } while (marker);
    expect(names.sort()).toEqual([...f.emulator.state.iam.roles.keys()].sort());
    expect(pages).toBe(Math.ceil(names.length / 2));
  });

  it('OIDC providers of both clusters', async () => {
    const iamc = new IAMClient(f.cfg());
    const list = await iamc.send(new ListOpenIDConnectProvidersCommand({}));
    expect(list.OpenIDConnectProviderList?.map((p) => p.Arn).sort()).toEqual([oidcProviderArn(f.scenario, 'blue'), oidcProviderArn(f.scenario, 'green')].sort());
    const green = await iamc.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: oidcProviderArn(f.scenario, 'green') }));
    expect(green.Url).toBe(`oidc.eks.us-west-2.amazonaws.com/id/${f.scenario.green.oidcId}`);
    expect(green.ClientIDList).toEqual(['sts.amazonaws.com']);
  });
});

describe('Route 53', () => {
  const zoneId = () => f.scenario.hostedZone.id;

  it('finds the zone by name and lists the platform records', async () => {
    const r53 = new Route53Client(f.cfg());
    const zones = await r53.send(new ListHostedZonesByNameCommand({ DNSName: f.scenario.subdomain }));
    expect(zones.HostedZones?.[0]?.Id).toBe(`/hostedzone/${zoneId()}`);
    expect(zones.HostedZones?.[0]?.Name).toBe(f.scenario.hostedZone.name);
    const recs = (await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId() }))).ResourceRecordSets!;
    const apex = recs.find((r) => r.Name === 'platform.example.com.' && r.Type === 'A');
    expect(apex?.AliasTarget?.DNSName).toContain(f.scenario.blue.ingressHost);
    // the KServe tutorial's serving record of a profile namespace, to blue's serving load balancer
    // (it sorts after the zone's other hosts: past the first page)
    const serving = f.emulator.state.route53.record(zoneId(), `*.${f.scenario.profiles[0].namespace}.${f.scenario.subdomain}`, 'CNAME');
    expect(serving?.ResourceRecords).toEqual([{ Value: f.scenario.blue.servingHost }]);
    // each cluster's platform hostname to its ingress
    expect(recs.find((r) => r.Name === `${f.scenario.green.platformDomain}.`)?.ResourceRecords).toEqual([{ Value: f.scenario.green.ingressHost }]);
    expect(recs.map((r) => r.Type)).toEqual(expect.arrayContaining(['NS', 'SOA']));
  });

  it('UPSERT goes PENDING then INSYNC, and CREATE of an existing record is InvalidChangeBatch', async () => {
    const r53 = new Route53Client(f.cfg());
    const out = await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: `/hostedzone/${zoneId()}`,
        ChangeBatch: {
          Comment: 'cut over to green',
          Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: `*.${f.scenario.subdomain}`, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: f.scenario.green.ingressHost }] } }],
        },
      }),
    );
    expect(out.ChangeInfo?.Status).toBe('PENDING');
    expect(out.ChangeInfo?.Id).toMatch(/^\/change\/C/);
    expect((await r53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id! }))).ChangeInfo?.Status).toBe('PENDING');
    await sleep(450);
    expect((await r53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id! }))).ChangeInfo?.Status).toBe('INSYNC');
    expect(f.emulator.state.route53.record(zoneId(), `*.${f.scenario.subdomain}`, 'CNAME')?.ResourceRecords).toEqual([{ Value: f.scenario.green.ingressHost }]);

    const err = await r53
      .send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId(), ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: { Name: f.scenario.green.platformDomain, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'x.example.com' }] } }] } }))
      .then(accepted, refusedWith);
    expect(err).toBeInstanceOf(InvalidChangeBatch);
    expect(err.message).toMatch(/already exists/);
  });

  it('DELETE of a missing record fails and changes nothing; slowDnsMs holds changes PENDING', async () => {
    const r53 = new Route53Client(f.cfg());
    const before = f.emulator.state.route53.records(zoneId()).length;
    const err = await r53
      .send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId(), ChangeBatch: { Changes: [
        { Action: 'CREATE', ResourceRecordSet: { Name: `new.${f.scenario.subdomain}`, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.0.0.1' }] } },
        { Action: 'DELETE', ResourceRecordSet: { Name: `gone.${f.scenario.subdomain}`, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.0.0.2' }] } },
      ] } }))
      .then(accepted, refusedWith);
    expect(err).toBeInstanceOf(InvalidChangeBatch);
    expect(f.emulator.state.route53.records(zoneId())).toHaveLength(before);

    f.traffic.scenario.slowDnsMs = 5000;
    try {
      const out = await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId(), ChangeBatch: { Changes: [
        { Action: 'CREATE', ResourceRecordSet: { Name: `new.${f.scenario.subdomain}`, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.0.0.1' }] } },
      ] } }));
      await sleep(200);
      expect((await r53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id! }))).ChangeInfo?.Status).toBe('PENDING');
    } finally {
      f.traffic.scenario.slowDnsMs = undefined;
    }
  });
});

describe('ELBv2', () => {
  it('ModifyRule moves the redirect from blue to green', async () => {
    const elb = new ElasticLoadBalancingV2Client(f.cfg());
    const lb = (await elb.send(new DescribeLoadBalancersCommand({ Names: [f.scenario.alb.name] }))).LoadBalancers![0];
    expect(lb.Type).toBe('application');
    const listener = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners![0];
    expect(listener.Protocol).toBe('HTTPS');
    expect(listener.Port).toBe(443);
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules!;
    const rule = rules.find((r) => !r.IsDefault)!;
    // the upgrade module's alb_redirection: the stable alias redirected to blue's platform hostname
    expect(rule.Actions?.[0]?.RedirectConfig?.Host).toBe(f.scenario.blue.platformDomain);
    expect(rule.Conditions?.[0]?.HostHeaderConfig?.Values).toEqual([f.scenario.redirectAlias]);

    const out = await elb.send(
      new ModifyRuleCommand({
        RuleArn: rule.RuleArn,
        Actions: [{ Type: 'redirect', RedirectConfig: { ...rule.Actions![0].RedirectConfig!, Host: f.scenario.green.platformDomain } }],
        Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [f.scenario.subdomain] } }],
      }),
    );
    expect(out.Rules?.[0]?.Actions?.[0]?.RedirectConfig?.Host).toBe(f.scenario.green.platformDomain);
    const again = (await elb.send(new DescribeRulesCommand({ RuleArns: [rule.RuleArn!] }))).Rules![0];
    expect(again.Actions?.[0]?.RedirectConfig).toMatchObject({ Host: f.scenario.green.platformDomain, StatusCode: 'HTTP_301', Path: '/#{path}' });
    expect(again.Conditions?.[0]?.HostHeaderConfig?.Values).toEqual([f.scenario.subdomain]);

    const dflt = rules.find((r) => r.IsDefault)!;
    const err = await elb.send(new ModifyRuleCommand({ RuleArn: dflt.RuleArn, Conditions: [{ Field: 'path-pattern', Values: ['/x'] }] })).then(accepted, refusedWith);
    expect(err).toBeInstanceOf(OperationNotPermittedException);
    const missing = await elb.send(new DescribeLoadBalancersCommand({ Names: ['nope'] })).then(accepted, refusedWith);
    expect(missing.name).toBe('LoadBalancerNotFoundException');
  });
});

describe('SageMaker', () => {
  it('lists, describes and deletes the profiles’ endpoints', async () => {
    const sm = new SageMakerClient(f.cfg());
    const expected = f.scenario.profiles.flatMap((p) => p.endpoints);
    const list = await sm.send(new ListEndpointsCommand({}));
    expect(list.Endpoints?.map((e) => e.EndpointName).sort()).toEqual(expected.sort());
    const name = expected[0];
    const d = await sm.send(new DescribeEndpointCommand({ EndpointName: name }));
    expect(d.EndpointStatus).toBe('InService');
    expect(d.CreationTime).toBeInstanceOf(Date);
    await sm.send(new DeleteEndpointCommand({ EndpointName: name }));
    expect(f.emulator.state.sagemaker.endpoints.has(name)).toBe(false);
    const err = await sm.send(new DescribeEndpointCommand({ EndpointName: name })).then(accepted, refusedWith);
    expect(err.name).toBe('ValidationException');
    expect(err.message).toMatch(/Could not find endpoint/);
  });
});

describe('request log', () => {
  it('marks writes as mutating and reads as not', () => {
    const muts = new Set(f.traffic.log.mutating().map((e) => `${e.service}:${e.operation}`));
    expect([...muts].sort()).toEqual(['backup:StartBackupJob', 'elbv2:ModifyRule', 'iam:UpdateAssumeRolePolicy', 'route53:ChangeResourceRecordSets', 'sagemaker:DeleteEndpoint']);
    expect(f.traffic.log.entries.some((e) => e.service === 'route53' && e.operation === 'GetChange' && !e.mutating)).toBe(true);
  });
});
