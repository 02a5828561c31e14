// The real `aws` CLI (v1, botocore) against the emulated account: a second, independent
// implementation of each wire protocol. Skipped when `aws` is not on PATH.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcIssuer } from '../../src/sandbox/scenario.js';
import { sleep, startAws, type AwsFixture } from './aws-helpers.js';
import { awsCliWith, awsPresent, awsRun, type AwsCallOptions } from './aws-cli-helpers.js';

if (!awsPresent) console.warn('aws CLI not found on PATH: skipping the aws CLI tests');

let f: AwsFixture;
// the parts of each command's JSON output these tests read (botocore's output shapes)
interface Cluster { cluster: { status: string; identity: { oidc: { issuer: string } } } }
interface BackupJob { BackupJobId: string; State: string; ResourceType: string; RecoveryPointArn: string }
interface Role { Role: { Arn: string; AssumeRolePolicyDocument: { Statement: { Action: string }[] } } }
interface RecordSets { ResourceRecordSets: { Name: string; Type: string }[] }
interface LoadBalancers { LoadBalancers: { LoadBalancerArn: string }[] }
interface Listeners { Listeners: { ListenerArn: string }[] }
interface Rules { Rules: { IsDefault: boolean; Actions: { RedirectConfig: { Host: string } }[] }[] }
interface Endpoint { EndpointStatus: string }
/** a failed command's error, carrying the CLI's stderr */
type CliFailure = { stderr?: string };
const failure = (e: unknown) => e as CliFailure;

// botocore retries (AWS_MAX_ATTEMPTS=3), as a user's CLI would
const OPTS: AwsCallOptions = { maxAttempts: 3, timeoutMs: 30_000 };
/** `aws --endpoint-url URL ... --output json`, parsed as T (the part of botocore's output shape the caller reads) */
const aws = <T>(...args: string[]) => awsCliWith<T>(f.endpoint, f.scenario.region, args, OPTS);

describe.skipIf(!awsPresent)('aws CLI v1 against the sandbox (skipped when aws is absent)', () => {
  beforeAll(async () => {
    f = await startAws({ backupJobMs: 200 });
  });
  afterAll(async () => {
    await f?.stop();
  });

  // The other commands run through the CLI's entry point in one long-lived Python process
  // (aws-cli-helpers.ts), which saves a Python start-up per command; this one also runs the `aws`
  // binary itself, end to end, and the two must print the same.
  it('eks describe-cluster (the aws binary itself, and the same answer through the batch process)', async () => {
    const args = ['eks', 'describe-cluster', '--name', f.scenario.green.clusterName];
    const binary = await awsRun(f.endpoint, f.scenario.region, args, { ...OPTS, binary: true });
    expect(binary.rc, binary.stderr).toBe(0);
    expect(await awsRun(f.endpoint, f.scenario.region, args, OPTS)).toEqual(binary);
    const out = JSON.parse(binary.stdout) as Cluster;
    expect(out.cluster.identity.oidc.issuer).toBe(oidcIssuer(f.scenario, 'green'));
    expect(out.cluster.status).toBe('ACTIVE');
  });

  it('backup start-backup-job then describe-backup-job until COMPLETED', async () => {
    const started = await aws<BackupJob>(
      'backup', 'start-backup-job',
      '--backup-vault-name', f.scenario.backup.vault,
      '--resource-arn', f.emulator.state.backup.resources.rds,
      '--iam-role-arn', `arn:aws:iam::${f.scenario.accountId}:role/service-role/${f.scenario.backup.roleName}`,
      '--idempotency-token', 'cli-token-1',
    );
    expect(started.BackupJobId).toMatch(/^[0-9A-F-]{36}$/);
    await sleep(250);
    const job = await aws<BackupJob>('backup', 'describe-backup-job', '--backup-job-id', started.BackupJobId);
    expect(job.State).toBe('COMPLETED');
    expect(job.ResourceType).toBe('RDS');
    expect(job.RecoveryPointArn).toContain(':snapshot:awsbackup:job-');
  });

  it('iam get-role (botocore decodes the URL-encoded trust policy)', async () => {
    const out = await aws<Role>('iam', 'get-role', '--role-name', f.scenario.profiles[1].roleArn.split('/').pop()!);
    expect(out.Role.Arn).toBe(f.scenario.profiles[1].roleArn);
    expect(out.Role.AssumeRolePolicyDocument.Statement[0].Action).toBe('sts:AssumeRoleWithWebIdentity');
  });

  it('route53 list-resource-record-sets', async () => {
    const out = await aws<RecordSets>('route53', 'list-resource-record-sets', '--hosted-zone-id', f.scenario.hostedZone.id);
    const names = out.ResourceRecordSets.map((r) => `${r.Name} ${r.Type}`);
    expect(names).toContain('platform.example.com. A');
    expect(names).toContain(`\\052.${f.scenario.profiles[0].namespace}.platform.example.com. CNAME`);
  });

  it('elbv2 describe-rules', async () => {
    const lbs = await aws<LoadBalancers>('elbv2', 'describe-load-balancers', '--names', f.scenario.alb.name);
    const ls = await aws<Listeners>('elbv2', 'describe-listeners', '--load-balancer-arn', lbs.LoadBalancers[0].LoadBalancerArn);
    const out = await aws<Rules>('elbv2', 'describe-rules', '--listener-arn', ls.Listeners[0].ListenerArn);
    const rule = out.Rules.find((r) => !r.IsDefault)!;
    expect(rule.Actions[0].RedirectConfig.Host).toBe(f.scenario.blue.platformDomain);
  });

  it('sagemaker describe-endpoint, and the error for a missing one', async () => {
    const name = f.scenario.profiles[0].endpoints[0];
    const out = await aws<Endpoint>('sagemaker', 'describe-endpoint', '--endpoint-name', name);
    expect(out.EndpointStatus).toBe('InService');
    const err = await aws('sagemaker', 'describe-endpoint', '--endpoint-name', 'missing').then((): CliFailure => ({}), failure);
    expect(String(err.stderr)).toMatch(/ValidationException.*Could not find endpoint/);
  });
});
