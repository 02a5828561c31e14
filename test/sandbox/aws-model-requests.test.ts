// The AWS endpoint judges each request by the official AWS service models (botocore's
// service-2.json, ../shared/fixtures/aws-models, shipped trimmed in aws-models/): a request the
// model refuses gets the error the real service answers, in its own protocol. Each request here
// is sent by the real SDK client (which checks almost nothing itself) or the real aws CLI, and
// breaks one constraint named in the model; the test names the model shape it breaks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupClient, StartBackupJobCommand } from '@aws-sdk/client-backup';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { ElasticLoadBalancingV2Client, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { FSxClient, ListTagsForResourceCommand as FsxListTags } from '@aws-sdk/client-fsx';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { ListTagsForResourceCommand as RdsListTags, RDSClient } from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DescribeEndpointCommand, ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startAws, type AwsFixture } from './aws-helpers.js';
import { awsPresent, awsRun } from './aws-cli-helpers.js';
import { forbidden } from './forbidden-input.js';

let f: AwsFixture;
beforeAll(async () => {
  f = await startAws();
});
afterAll(async () => {
  await f.stop();
});

interface Refusal {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** the error a send ended with (the test fails if it succeeded) */
async function refusal(p: Promise<unknown>): Promise<Refusal> {
  const r = await p.then(
    () => undefined,
    (e: Refusal) => e,
  );
  expect(r, 'the request was accepted').toBeDefined();
  return r!;
}

function expectRefused(e: Refusal, code: string, message: RegExp): void {
  expect(e.name).toBe(code);
  expect(e.$metadata?.httpStatusCode).toBe(400);
  expect(e.message).toMatch(message);
}

const ARN = (svc: string, rest: string) => `arn:aws:${svc}:us-west-2:123456789012:${rest}`;

describe('IAM (awsQuery): ValidationError', () => {
  it('GetRole with a 65-character RoleName (roleNameType: max 64)', async () => {
    const e = await refusal(new IAMClient(f.cfg()).send(new GetRoleCommand({ RoleName: 'r'.repeat(65) })));
    expectRefused(e, 'ValidationError', /Value 'r{65}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64/);
  });
  it('GetRole with a space in RoleName (roleNameType: pattern [\\w+=,.@-]+)', async () => {
    const e = await refusal(new IAMClient(f.cfg()).send(new GetRoleCommand({ RoleName: 'kf team' })));
    expectRefused(e, 'ValidationError', /Member must satisfy regular expression pattern: \[\\w\+=,\.@-\]\+/);
  });
});

describe('STS (awsQuery)', () => {
  it('GetCallerIdentity has no input members, so there is nothing to refuse; it is accepted and its answer fits the model', async () => {
    const who = await new STSClient(f.cfg()).send(new GetCallerIdentityCommand({}));
    expect(who.Account).toBe(f.scenario.accountId);
  });
});

describe('ELBv2 (awsQuery): ValidationError', () => {
  it('ModifyRule with an action Type outside ActionTypeEnum', async () => {
    const e = await refusal(
      new ElasticLoadBalancingV2Client(f.cfg()).send(
        new ModifyRuleCommand({ RuleArn: ARN('elasticloadbalancing', 'listener-rule/app/x/1/2/3'), Actions: [{ Type: forbidden('teleport') }] }),
      ),
    );
    expectRefused(e, 'ValidationError', /Value 'teleport' at 'actions\.1\.member\.type' failed to satisfy constraint: Member must satisfy enum value set: \[forward, authenticate-oidc/);
  });
  it('ModifyRule with a redirect StatusCode outside RedirectActionStatusCodeEnum', async () => {
    const e = await refusal(
      new ElasticLoadBalancingV2Client(f.cfg()).send(
        new ModifyRuleCommand({ RuleArn: ARN('elasticloadbalancing', 'listener-rule/app/x/1/2/3'), Actions: [{ Type: 'redirect', RedirectConfig: { StatusCode: forbidden('HTTP_308') } }] }),
      ),
    );
    expectRefused(e, 'ValidationError', /at 'actions\.1\.member\.redirectConfig\.statusCode'.*enum value set: \[HTTP_301, HTTP_302\]/);
  });
});

describe('RDS (awsQuery): ValidationError', () => {
  it('ListTagsForResource without ResourceName (required)', async () => {
    const e = await refusal(new RDSClient(f.cfg()).send(new RdsListTags(forbidden({}))));
    expectRefused(e, 'ValidationError', /Value null at 'resourceName' failed to satisfy constraint: Member must not be null/);
  });
  it('ListTagsForResource with a Filter without its required Name (Filters.Filter.1.Values.Value.1 only)', async () => {
    const e = await refusal(new RDSClient(f.cfg()).send(new RdsListTags({ ResourceName: ARN('rds', 'db:kubeflow-db'), Filters: [forbidden({ Values: ['x'] })] })));
    expectRefused(e, 'ValidationError', /at 'filters\.1\.member\.name'.*must not be null/);
  });
});

describe('EC2 (ec2 query): InvalidParameterValue, MissingParameter, UnknownParameter', () => {
  it('DescribeVpcs with MaxResults 1 (DescribeVpcsMaxResults: min 5)', async () => {
    const e = await refusal(new EC2Client(f.cfg()).send(new DescribeVpcsCommand({ MaxResults: 1 })));
    expectRefused(e, 'InvalidParameterValue', /Value \(1\) for parameter MaxResults is invalid/);
  });
  it('a parameter DescribeVpcs does not have is UnknownParameter', async () => {
    const res = await fetch(f.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-west-2/ec2/aws4_request' },
      body: 'Action=DescribeVpcs&Version=2016-11-15&VpcIdentifier.1=vpc-1',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/<Code>UnknownParameter<\/Code><Message>The parameter VpcIdentifier\.1 is not recognized/);
  });
});

describe('Route 53 (rest-xml): InvalidInput', () => {
  it('ChangeResourceRecordSets with a record Type outside RRType', async () => {
    const e = await refusal(
      new Route53Client(f.cfg()).send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: f.scenario.hostedZone.id,
          ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: `x.${f.scenario.subdomain}`, Type: forbidden('CNAME2'), TTL: 60, ResourceRecords: [{ Value: 'a.example.com' }] } }] },
        }),
      ),
    );
    expectRefused(e, 'InvalidInput', /at 'changeBatch\.changes\.1\.member\.resourceRecordSet\.type' failed to satisfy constraint: Member must satisfy enum value set: \[SOA, A, TXT/);
  });
  it('ChangeResourceRecordSets with an empty Changes list (Changes: min 1)', async () => {
    const e = await refusal(new Route53Client(f.cfg()).send(new ChangeResourceRecordSetsCommand({ HostedZoneId: f.scenario.hostedZone.id, ChangeBatch: { Changes: [] } })));
    expect(e.name).toBe('InvalidInput');
    expect(e.$metadata?.httpStatusCode).toBe(400);
  });
});

describe('AWS Backup (rest-json): InvalidParameterValueException, MissingParameterValueException', () => {
  const job = (over: Record<string, unknown>) =>
    new BackupClient(f.cfg()).send(
      new StartBackupJobCommand({ BackupVaultName: f.scenario.backup.vault, ResourceArn: ARN('elasticfilesystem', `file-system/${f.scenario.efs.id}`), IamRoleArn: `arn:aws:iam::123456789012:role/${f.scenario.backup.roleName}`, ...over }),
    );
  it('StartBackupJob with a one-letter BackupVaultName (BackupVaultName: pattern ^[a-zA-Z0-9\\-\\_]{2,50}$)', async () => {
    const e = await refusal(job({ BackupVaultName: 'v' }));
    expectRefused(e, 'InvalidParameterValueException', /at 'backupVaultName' failed to satisfy constraint: Member must satisfy regular expression pattern/);
  });
  it('StartBackupJob without IamRoleArn (required)', async () => {
    const e = await refusal(job({ IamRoleArn: undefined }));
    expectRefused(e, 'MissingParameterValueException', /Value null at 'iamRoleArn'/);
  });
});

describe('EFS (rest-json): ValidationException', () => {
  it('DescribeFileSystems with an id that is not fs-<hex> (FileSystemId: pattern)', async () => {
    const e = await refusal(new EFSClient(f.cfg()).send(new DescribeFileSystemsCommand({ FileSystemId: 'fs-kubeflow' })));
    expectRefused(e, 'ValidationException', /Value 'fs-kubeflow' at 'fileSystemId'/);
  });
  it('DescribeFileSystems with MaxItems 0 (MaxItems: min 1), a query-string integer', async () => {
    const e = await refusal(new EFSClient(f.cfg()).send(new DescribeFileSystemsCommand({ MaxItems: 0 })));
    expectRefused(e, 'ValidationException', /at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1/);
  });
});

describe('EKS (rest-json)', () => {
  it('DescribeCluster: the model constrains only the required name label, which the SDK will not send without', async () => {
    const e = await refusal(new EKSClient(f.cfg()).send(new DescribeClusterCommand(forbidden({}))));
    // refused by the SDK itself, before any request: nothing reaches the endpoint to judge
    expect(e.message).toMatch(/name/);
    expect(e.$metadata?.httpStatusCode).toBeUndefined();
  });
});

describe('SageMaker (json): ValidationException', () => {
  it('ListEndpoints with MaxResults 101 (MaxResults: max 100)', async () => {
    const e = await refusal(new SageMakerClient(f.cfg()).send(new ListEndpointsCommand({ MaxResults: 101 })));
    expectRefused(e, 'ValidationException', /Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100/);
  });
  it('DescribeEndpoint with an underscore in EndpointName (EndpointName: pattern)', async () => {
    const e = await refusal(new SageMakerClient(f.cfg()).send(new DescribeEndpointCommand({ EndpointName: 'team_000' })));
    expectRefused(e, 'ValidationException', /Value 'team_000' at 'endpointName'.*regular expression pattern/);
  });
});

describe('Secrets Manager (json): ValidationException', () => {
  it('DescribeSecret with a 2049-character SecretId (SecretIdType: max 2048)', async () => {
    const e = await refusal(new SecretsManagerClient(f.cfg()).send(new DescribeSecretCommand({ SecretId: 's'.repeat(2049) })));
    expectRefused(e, 'ValidationException', /at 'secretId' failed to satisfy constraint: Member must have length less than or equal to 2048/);
  });
});

describe('FSx (json): ValidationException', () => {
  it('ListTagsForResource with a ResourceARN that is not an FSx ARN (ResourceARN: pattern)', async () => {
    const e = await refusal(new FSxClient(f.cfg()).send(new FsxListTags({ ResourceARN: 'backup-0123456789abcdef0' })));
    expectRefused(e, 'ValidationException', /at 'resourceARN'.*regular expression pattern/);
  });
  it('a member of the wrong JSON type is SerializationException', async () => {
    const e = await refusal(new FSxClient(f.cfg()).send(new FsxListTags({ ResourceARN: ARN('fsx', 'backup/backup-0123456789abcdef0'), MaxResults: forbidden('ten') })));
    expect(e.name).toBe('SerializationException');
    expect(e.$metadata?.httpStatusCode).toBe(400);
  });
});

describe('lenient mode (kfup sandbox up --lenient)', () => {
  it('lets a request the model refuses through to the handler', async () => {
    const lenient = await startAws(undefined, { strict: false });
    try {
      const e = await refusal(new IAMClient(lenient.cfg()).send(new GetRoleCommand({ RoleName: 'r'.repeat(65) })));
      expect(e.name).toBe('NoSuchEntityException');
    } finally {
      await lenient.stop();
    }
  });
});

// --- the same refusals through the real aws CLI (botocore checks only required members, types
// and minimums itself, so maximums, patterns and enums reach the endpoint)

if (!awsPresent) console.warn('aws CLI not found on PATH: skipping the aws CLI model-refusal tests');

async function awsCli(...args: string[]): Promise<{ code: number; stderr: string }> {
  const r = await awsRun(f.endpoint, f.scenario.region, args, { timeoutMs: 30_000 });
  return { code: r.rc, stderr: r.stderr };
}

describe.skipIf(!awsPresent)('aws CLI v1 (skipped when aws is absent)', () => {
  it('aws iam get-role with a 65-character name is ValidationError', async () => {
    const r = await awsCli('iam', 'get-role', '--role-name', 'r'.repeat(65));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/\(ValidationError\) when calling the GetRole operation: 1 validation error detected: .*less than or equal to 64/);
  });
  it('aws sagemaker list-endpoints --sort-by Size is ValidationException (EndpointSortKey enum)', async () => {
    const r = await awsCli('sagemaker', 'list-endpoints', '--sort-by', 'Size');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/\(ValidationException\) when calling the ListEndpoints operation: .*enum value set: \[Name, CreationTime, Status\]/);
  });
});
