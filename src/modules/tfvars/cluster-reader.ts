// The `cluster` source: the production values of a deployment made with manifests (no Terraform
// state), read from AWS. Only Describe/List/Get calls, so it runs unchanged in check mode.
// The RDS endpoint is the `host` field of the RDS secret: the secret value is parsed here, only
// that field is kept, and it is marked secret before anything else sees it.
import { DescribeSecurityGroupsCommand, DescribeVpcsCommand, EC2Client, paginateDescribeSubnets, type Subnet } from '@aws-sdk/client-ec2';
import { EFSClient, paginateDescribeFileSystems } from '@aws-sdk/client-efs';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { allPages, awsErrorKind, awsErrorName, isNotFound, TaskError, type TaskContext } from '../kit/index.js';
import type { TfvarsFromStateParams } from '../generated/tfvars-from-state.js';
import type { Found } from './state-reader.js';

export type ClusterSource = NonNullable<TfvarsFromStateParams['cluster']>;

/** a read that failed for another reason than not-found: retryable when AWS was throttling or unavailable */
function readFailed(what: string, e: unknown): TaskError {
  const kind = awsErrorKind(e);
  return new TaskError(`${what}: ${awsErrorName(e) || 'error'}: ${e instanceof Error ? e.message : String(e)}`, { code: awsErrorName(e) || 'aws-error', retryable: kind === 'throttled' || kind === 'unavailable', cause: e });
}

/** an AWS read: not-found becomes `missing` (a TaskError with a hint), every other failure a TaskError */
async function read<T>(what: string, call: Promise<T>, missing?: () => TaskError): Promise<T> {
  try {
    return await call;
  } catch (e) {
    if (missing && isNotFound(e)) throw missing();
    // only the service's answers are classified; anything else (the check-mode guard, an abort) stays as it is
    if (!(e && typeof e === 'object' && '$metadata' in e)) throw e;
    throw readFailed(what, e);
  }
}

const tagOf = (s: Subnet, key: string): string | undefined => s.Tags?.find((t) => t.Key === key)?.Value;

/**
 * Public or private, as the AWS load balancer controller decides: the kubernetes.io/role/elb
 * (public) and kubernetes.io/role/internal-elb (private) tags, else whether the subnet gives
 * instances a public address.
 */
export function subnetRole(s: Subnet): 'public' | 'private' {
  const elb = tagOf(s, 'kubernetes.io/role/elb');
  const internal = tagOf(s, 'kubernetes.io/role/internal-elb');
  if (elb !== undefined && elb !== '0') return 'public';
  if (internal !== undefined && internal !== '0') return 'private';
  return s.MapPublicIpOnLaunch ? 'public' : 'private';
}

/** subnets tagged for another cluster only are not this cluster's (the controller skips them too) */
function forCluster(s: Subnet, cluster: string): boolean {
  const clusterTags = (s.Tags ?? []).filter((t) => t.Key?.startsWith('kubernetes.io/cluster/'));
  return clusterTags.length === 0 || clusterTags.some((t) => t.Key === `kubernetes.io/cluster/${cluster}`);
}

const byZoneThenId = (a: Subnet, b: Subnet): number => (a.AvailabilityZone ?? '').localeCompare(b.AvailabilityZone ?? '') || (a.SubnetId ?? '').localeCompare(b.SubnetId ?? '');

export async function readClusterValues(src: ClusterSource, ctx: TaskContext, withEfs: boolean): Promise<Map<string, Found>> {
  const region = src.region ? { region: src.region } : undefined;
  const found = new Map<string, Found>();
  const put = (name: string, value: unknown, from: string, secret = false) => found.set(name, { value, from, secret });

  ctx.progress(`describing EKS cluster ${src.name}`);
  const cluster = await read(
    `describing EKS cluster ${src.name}`,
    ctx.aws(EKSClient, region).send(new DescribeClusterCommand({ name: src.name })),
    () => new TaskError(`EKS cluster "${src.name}" not found in ${src.region ?? ctx.targets.aws?.region ?? 'the configured region'}`, { code: 'clusterNotFound', hint: 'check cluster.name and cluster.region (or targets.aws.region)' }),
  );
  const vpcConfig = cluster.cluster?.resourcesVpcConfig;
  const vpcId = vpcConfig?.vpcId;
  if (!vpcId) throw new TaskError(`EKS cluster "${src.name}" reports no VPC`, { code: 'noVpc' });
  put('src_vpc_id', vpcId, `EKS ${src.name} resourcesVpcConfig.vpcId`);

  const ec2 = ctx.aws(EC2Client, region);
  const vpc = (await read(`describing VPC ${vpcId}`, ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })))).Vpcs?.[0];
  if (!vpc?.CidrBlock) throw new TaskError(`VPC ${vpcId} of cluster "${src.name}" not found`, { code: 'vpcNotFound' });
  put('src_vpc_cidr', vpc.CidrBlock, `EC2 VPC ${vpcId} CidrBlock`);

  const subnets = await read(`listing the subnets of ${vpcId}`, allPages(paginateDescribeSubnets({ client: ec2 }, { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }), (p) => p.Subnets));
  const mine = subnets.filter((s) => forCluster(s, src.name)).sort(byZoneThenId);
  put('src_vpc_private_subnets', mine.filter((s) => subnetRole(s) === 'private').map((s) => s.SubnetId ?? ''), `EC2 subnets of ${vpcId} (role tags, else MapPublicIpOnLaunch)`);
  put('src_vpc_public_subnets', mine.filter((s) => subnetRole(s) === 'public').map((s) => s.SubnetId ?? ''), `EC2 subnets of ${vpcId} (role tags, else MapPublicIpOnLaunch)`);

  const sgId = vpcConfig?.clusterSecurityGroupId;
  if (!sgId) throw new TaskError(`EKS cluster "${src.name}" reports no cluster security group`, { code: 'noSecurityGroup' });
  const sg = (await read(`describing security group ${sgId}`, ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sgId] })))).SecurityGroups?.[0];
  if (!sg || sg.VpcId !== vpcId) throw new TaskError(`security group ${sgId} of cluster "${src.name}" is not in VPC ${vpcId}`, { code: 'securityGroupElsewhere' });
  put('src_cluster_sg_id', sgId, `EKS ${src.name} resourcesVpcConfig.clusterSecurityGroupId`);

  if (withEfs) {
    const efs = ctx.aws(EFSClient, region);
    const all = await read('listing EFS file systems', allPages(paginateDescribeFileSystems({ client: efs }, {}), (p) => p.FileSystems));
    const named = all.filter((f) => f.Name === src.efs_name || f.Tags?.some((t) => t.Key === 'Name' && t.Value === src.efs_name));
    if (named.length !== 1) {
      throw new TaskError(`${named.length ? `${named.length} EFS file systems are` : 'no EFS file system is'} named "${src.efs_name}"`, { code: 'efsNotFound', hint: `EFS file systems here: ${all.map((f) => f.Name ?? f.FileSystemId).join(', ') || '(none)'}` });
    }
    put('src_efs_fs_id', named[0].FileSystemId, `EFS file system named ${src.efs_name}`);
  }

  const sm = ctx.aws(SecretsManagerClient, region);
  const s3Secret = await read(`describing secret ${src.s3_secret_name}`, sm.send(new DescribeSecretCommand({ SecretId: src.s3_secret_name })), () =>
    new TaskError(`S3 secret "${src.s3_secret_name}" not found in Secrets Manager`, { code: 'secretNotFound', hint: 'check cluster.s3_secret_name' }),
  );
  put('src_s3_secret_name', s3Secret.Name ?? src.s3_secret_name, 'Secrets Manager (name checked)');
  put('src_s3_bucket_name', src.s3_bucket, 'cluster.s3_bucket');

  const rds = await read(`reading secret ${src.rds_secret_name}`, sm.send(new GetSecretValueCommand({ SecretId: src.rds_secret_name })), () =>
    new TaskError(`RDS secret "${src.rds_secret_name}" not found in Secrets Manager`, { code: 'secretNotFound', hint: 'check cluster.rds_secret_name' }),
  );
  let host: unknown;
  try {
    host = (JSON.parse(rds.SecretString ?? '') as Record<string, unknown>).host;
  } catch {
    host = undefined;
  }
  if (typeof host !== 'string' || !host) {
    throw new TaskError(`RDS secret "${src.rds_secret_name}" has no "host" field`, { code: 'noHost', hint: 'the Kubeflow on AWS RDS secret is JSON with username, password, database, host and port' });
  }
  put('src_rds_secret_name', rds.Name ?? src.rds_secret_name, 'Secrets Manager (name checked)');
  put('src_rds_endpoint', ctx.secret(host), `Secrets Manager ${src.rds_secret_name} field host`, true);
  return found;
}
