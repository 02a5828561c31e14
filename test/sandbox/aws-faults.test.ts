// Transport faults from the shared Traffic: each answers in the service's own error shape, the
// SDK's retries get through them, and the request log records what happened.

import { BackupClient, DescribeBackupVaultCommand, StartBackupJobCommand } from '@aws-sdk/client-backup';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { ListHostedZonesByNameCommand, Route53Client } from '@aws-sdk/client-route-53';
import { ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accepted, refusedWith, startAws, type AwsFixture } from './aws-helpers.js';

let f: AwsFixture;
/** an awsJson protocol error body: its type name is in __type */
interface AwsJsonError { __type: string }
beforeAll(async () => {
  f = await startAws();
});
afterEach(() => {
  f.traffic.setFaults([]);
});
afterAll(async () => {
  await f.stop();
});

/** a signed-looking raw request, to see the bytes the SDK would parse */
async function raw(service: string, init: { method?: string; path?: string; headers?: Record<string, string>; body?: string }) {
  const res = await fetch(f.endpoint + (init.path ?? '/'), {
    method: init.method ?? 'POST',
    headers: { authorization: `AWS4-HMAC-SHA256 Credential=test/20250101/us-west-2/${service}/aws4_request, SignedHeaders=host, Signature=00`, ...init.headers },
    body: init.body,
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}
const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('error shapes of transport faults', () => {
  it('throttle: query XML 400 Throttling, JSON 400 ThrottlingException, restJson 429 with x-amzn-ErrorType, EC2 503 RequestLimitExceeded', async () => {
    f.traffic.setFaults([{ fault: 'throttle', target: 'aws' }]);
    const iam = await raw('iam', { headers: form, body: 'Action=GetRole&Version=2010-05-08&RoleName=x' });
    expect(iam.status).toBe(400);
    expect(iam.body).toMatch(/<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>Throttling<\/Code>/);
    const sm = await raw('sagemaker', { headers: { 'x-amz-target': 'SageMaker.ListEndpoints', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    expect(sm.status).toBe(400);
    expect((JSON.parse(sm.body) as AwsJsonError).__type).toBe('ThrottlingException');
    const eks = await raw('eks', { method: 'GET', path: '/clusters/kubeflow-blue' });
    expect(eks.status).toBe(429);
    expect(eks.headers.get('x-amzn-errortype')).toBe('TooManyRequestsException');
    const r53 = await raw('route53', { method: 'GET', path: '/2013-04-01/hostedzonesbyname' });
    expect(r53.status).toBe(429);
    expect(r53.body).toContain('<Code>Throttling</Code>');
    const ec2 = await raw('ec2', { headers: form, body: 'Action=DescribeVpcs&Version=2016-11-15' });
    expect(ec2.status).toBe(503);
    expect(ec2.body).toMatch(/<Response><Errors><Error><Code>RequestLimitExceeded<\/Code>/);
  });

  it('error500 and error503 reach the SDK as InternalFailure and ServiceUnavailable', async () => {
    f.traffic.setFaults([{ fault: 'error500', service: 'iam' }, { fault: 'error503', service: 'eks' }]);
    const e500 = await new IAMClient(f.cfg({ maxAttempts: 1 })).send(new GetRoleCommand({ RoleName: 'x' })).then(accepted, refusedWith);
    expect(e500.name).toBe('InternalFailure');
    expect(e500.$metadata.httpStatusCode).toBe(500);
    const e503 = await new EKSClient(f.cfg({ maxAttempts: 1 })).send(new DescribeClusterCommand({ name: 'kubeflow-blue' })).then(accepted, refusedWith);
    expect(e503.name).toBe('ServiceUnavailable');
    expect(e503.$metadata.httpStatusCode).toBe(503);
  });

  it('drop destroys the connection: the SDK sees a network error', async () => {
    f.traffic.setFaults([{ fault: 'drop', service: 'sts' }]);
    const err = await new STSClient(f.cfg({ maxAttempts: 1 })).send(new GetCallerIdentityCommand({})).then(accepted, refusedWith);
    expect(err).toBeInstanceOf(Error);
    expect(err.$metadata?.httpStatusCode).toBeUndefined();
    const rec = f.traffic.log.entries.at(-1)!;
    expect(rec).toMatchObject({ service: 'sts', operation: 'GetCallerIdentity', fault: 'drop', mutating: false });
    expect(rec.status).toBeUndefined();
  });
});

describe('the SDK retries through faults', () => {
  it.each([
    ['throttle', 'iam'],
    ['throttle', 'sagemaker'],
    ['throttle', 'backup'],
    ['throttle', 'route53'],
    ['throttle', 'ec2'],
    ['error500', 'iam'],
    ['error503', 'backup'],
    ['drop', 'sts'],
  ] as const)('%s on %s: the call succeeds after a retry', async (fault, service) => {
    f.traffic.setFaults([{ fault, service, times: 1 }]);
    const mark = f.traffic.log.mark();
    const calls: Record<string, () => Promise<unknown>> = {
      iam: () => new IAMClient(f.cfg()).send(new GetRoleCommand({ RoleName: f.scenario.backup.roleName })),
      sagemaker: () => new SageMakerClient(f.cfg()).send(new ListEndpointsCommand({})),
      backup: () => new BackupClient(f.cfg()).send(new DescribeBackupVaultCommand({ BackupVaultName: f.scenario.backup.vault })),
      route53: () => new Route53Client(f.cfg()).send(new ListHostedZonesByNameCommand({})),
      ec2: () => new EC2Client(f.cfg()).send(new DescribeVpcsCommand({})),
      sts: () => new STSClient(f.cfg()).send(new GetCallerIdentityCommand({})),
    };
    await expect(calls[service]()).resolves.toBeDefined();
    const sent = f.traffic.log.since(mark);
    expect(sent.map((e) => e.fault)).toEqual([fault, undefined]);
    expect(sent.every((e) => e.service === service && !e.mutating)).toBe(true);
    expect(sent[1].status).toBe(200);
  });
});

describe('faults on writes', () => {
  it('a mutatingOnly throttle spares reads and hits StartBackupJob, which the SDK retries once', async () => {
    f.traffic.setFaults([{ fault: 'throttle', target: 'aws', mutatingOnly: true, times: 1 }]);
    const mark = f.traffic.log.mark();
    const backup = new BackupClient(f.cfg());
    await backup.send(new DescribeBackupVaultCommand({ BackupVaultName: f.scenario.backup.vault }));
    const out = await backup.send(
      new StartBackupJobCommand({
        BackupVaultName: f.scenario.backup.vault,
        ResourceArn: f.emulator.state.backup.resources.efs,
        IamRoleArn: `arn:aws:iam::${f.scenario.accountId}:role/service-role/${f.scenario.backup.roleName}`,
      }),
    );
    expect(out.BackupJobId).toBeTruthy();
    // the throttled attempt never reached the handler: exactly one job exists
    expect(f.emulator.state.backup.jobs.size).toBe(1);
    expect(f.traffic.log.since(mark).map((e) => [e.operation, e.mutating, e.fault ?? null, e.status])).toEqual([
      ['DescribeBackupVault', false, null, 200],
      ['StartBackupJob', true, 'throttle', 429],
      ['StartBackupJob', true, null, 200],
    ]);
  });
});

describe('operations the sandbox does not know', () => {
  it('answer as AWS does for unsupported actions, and are logged', async () => {
    const q = await raw('iam', { headers: form, body: 'Action=CreateUser&Version=2010-05-08&UserName=x' });
    expect(q.status).toBe(400);
    expect(q.body).toContain('<Code>InvalidAction</Code>');
    const j = await raw('secretsmanager', { headers: { 'x-amz-target': 'secretsmanager.RotateSecret', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    expect(j.status).toBe(400);
    expect((JSON.parse(j.body) as AwsJsonError).__type).toBe('UnknownOperationException');
    const r = await raw('eks', { method: 'DELETE', path: '/clusters/kubeflow-blue' });
    expect(r.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    const s = await raw('dynamodb', { body: '{}' });
    expect(s.status).toBe(400);
    expect((JSON.parse(s.body) as AwsJsonError).__type).toBe('UnknownServiceException');
    const bad = await raw('route53', { path: `/2013-04-01/hostedzone/${f.scenario.hostedZone.id}/rrset/`, body: '<ChangeResourceRecordSetsRequest><ChangeBatch>' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('<Code>MalformedXML</Code>');
    const ops = f.traffic.log.entries.slice(-5).map((e) => `${e.service}:${e.operation}:${e.mutating}`);
    expect(ops).toEqual(['iam:CreateUser:true', 'secretsmanager:RotateSecret:true', 'eks:Unknown:true', 'dynamodb:Unknown:false', 'route53:ChangeResourceRecordSets:true']);
  });
});

describe('start-up', () => {
  it('seeds the default scenario in well under 100 ms', async () => {
    const { AwsEmulator } = await import('../../src/sandbox/aws/index.js');
    const { Traffic } = await import('../../src/sandbox/traffic.js');
    const t0 = performance.now();
    const e = new AwsEmulator({ traffic: new Traffic(), scenario: f.scenario });
    await e.start();
    const ms = performance.now() - t0;
    await e.stop();
    expect(ms).toBeLessThan(100);
  });
});
