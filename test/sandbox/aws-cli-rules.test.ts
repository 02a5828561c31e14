// The documented service rules (see aws-rules-*.test.ts for each rule's source) refused as the
// real `aws` CLI (v1, botocore) sees the refusal: the error code and message it prints. Skipped
// when `aws` is not on PATH.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAws, type AwsFixture } from './aws-helpers.js';
import { awsCli, awsCliError, awsPresent } from './aws-cli-helpers.js';

if (!awsPresent) console.warn('aws CLI not found on PATH: skipping the service rule tests with the aws CLI');

let f: AwsFixture;
const aws = <T>(...args: string[]) => awsCli<T>(f.endpoint, f.scenario.region, ...args);
const awsError = (...args: string[]) => awsCliError(f.endpoint, f.scenario.region, ...args);

describe.skipIf(!awsPresent)('service rules through the aws CLI (skipped when aws is absent)', () => {
  beforeAll(async () => {
    f = await startAws();
  });
  afterAll(async () => {
    await f?.emulator.stop();
  });

  it('iam update-assume-role-policy over the 2,048-character quota: LimitExceeded (IAM quotas page)', async () => {
    const st = (i: number) => ({
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::${f.scenario.accountId}:oidc-provider/oidc.eks.${f.scenario.region}.amazonaws.com/id/${f.scenario.blue.oidcId}` },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { [`oidc.eks.${f.scenario.region}.amazonaws.com/id/${f.scenario.blue.oidcId}:sub`]: `system:serviceaccount:team-000:service-account-${i}` } },
    });
    const doc = JSON.stringify({ Version: '2012-10-17', Statement: Array.from({ length: 9 }, (_, i) => st(i)) });
    const err = await awsError('iam', 'update-assume-role-policy', '--role-name', f.scenario.profiles[0].roleArn.split('/').pop()!, '--policy-document', doc);
    expect(err).toMatch(/\(LimitExceeded\).*Cannot exceed quota for ACLSizePerRole: 2048/);
  });

  it('route53 change-resource-record-sets with an alias to no load balancer: InvalidChangeBatch (AliasTarget reference)', async () => {
    const batch = JSON.stringify({
      Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: f.scenario.subdomain, Type: 'A', AliasTarget: { HostedZoneId: 'Z1H1FL5HABSF5', DNSName: 'dualstack.no-such-lb-1.us-west-2.elb.amazonaws.com', EvaluateTargetHealth: true } } }],
    });
    const err = await awsError('route53', 'change-resource-record-sets', '--hosted-zone-id', f.scenario.hostedZone.id, '--change-batch', batch);
    expect(err).toMatch(/\(InvalidChangeBatch\).*the alias target name does not lie within the target zone/);
  });

  it('route53: a CNAME at the apex is refused; list-resource-record-sets pages through the whole zone (ListResourceRecordSets reference)', async () => {
    const batch = JSON.stringify({ Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: f.scenario.subdomain, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: f.scenario.green.ingressHost }] } }] });
    const err = await awsError('route53', 'change-resource-record-sets', '--hosted-zone-id', f.scenario.hostedZone.id, '--change-batch', batch);
    expect(err).toMatch(/\(InvalidChangeBatch\).*is not permitted at apex/);
    // botocore's paginator follows NextRecordName / NextRecordType across the 300-record pages
    const all = await aws<{ ResourceRecordSets: unknown[] }>('route53', 'list-resource-record-sets', '--hosted-zone-id', f.scenario.hostedZone.id);
    expect(all.ResourceRecordSets.length).toBe(f.emulator.state.route53.zone(f.scenario.hostedZone.id).records.length);
    expect(all.ResourceRecordSets.length).toBeGreaterThan(300);
  });

  it('elbv2 modify-rule with two redirects: InvalidLoadBalancerAction (Action reference)', async () => {
    const rule = [...f.emulator.state.elbv2.rules.values()].find((r) => !r.IsDefault)!;
    const redirect = (host: string, order: number) => ({ Type: 'redirect', Order: order, RedirectConfig: { Protocol: 'HTTPS', Port: '443', Host: host, Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_302' } });
    const err = await awsError('elbv2', 'modify-rule', '--rule-arn', rule.RuleArn, '--actions', JSON.stringify([redirect(f.scenario.green.ingressHost, 1), redirect(f.scenario.blue.ingressHost, 2)]));
    expect(err).toMatch(/\(InvalidLoadBalancerAction\).*exactly one forward, redirect or fixed-response action/);
    const bad = await awsError('elbv2', 'modify-rule', '--rule-arn', rule.RuleArn, '--actions', JSON.stringify([{ ...redirect('#{path}.example.com', 1) }]));
    expect(bad).toMatch(/\(InvalidLoadBalancerAction\).*cannot contain #\{path\}/);
  });

  it('backup start-backup-job reusing a token with other parameters: InvalidRequestException (the sandbox’s reading)', async () => {
    const args = (resource: string) => [
      'backup', 'start-backup-job', '--backup-vault-name', f.scenario.backup.vault, '--resource-arn', resource,
      '--iam-role-arn', f.emulator.state.iam.getRole(f.scenario.backup.roleName).Arn, '--idempotency-token', 'cli-rules-token',
    ];
    const first = await aws<{ BackupJobId: string }>(...args(f.emulator.state.backup.resources.efs));
    const err = await awsError(...args(f.emulator.state.backup.resources.s3));
    expect(err).toMatch(new RegExp(`\\(InvalidRequestException\\).*already used with different parameters \\(backup job ${first.BackupJobId}\\)`));
  });
});
