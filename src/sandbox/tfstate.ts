// The Terraform state a cognito-rds-s3 deployment of production (blue) would have left behind,
// written by the sandbox beside its kubeconfig, so that rehearsals take the procedure's main path
// (values read from production's state file). Its resource addresses follow the Kubeflow on AWS
// Terraform modules, and like a real state it holds secrets (the database password, the S3 keys,
// the Cognito client secret) that kfup must never read or show.
import { createHash } from 'node:crypto';
import type { Scenario } from './scenario.js';

const fakeSecret = (seed: string): string => createHash('sha256').update(`sandbox-secret:${seed}`).digest('base64url').slice(0, 24);

type Instance = { index_key?: number | string; schema_version: number; attributes: Record<string, unknown>; sensitive_attributes: unknown[] };
type Resource = { module?: string; mode: 'managed' | 'data'; type: string; name: string; provider: string; instances: Instance[] };

const provider = 'provider["registry.terraform.io/hashicorp/aws"]';
const one = (attributes: Record<string, unknown>, index_key?: number | string): Instance => ({ ...(index_key === undefined ? {} : { index_key }), schema_version: 0, attributes, sensitive_attributes: [] });

export function productionState(s: Scenario): Record<string, unknown> {
  const acct = s.accountId;
  const region = s.region;
  const dbPassword = fakeSecret('db');
  const rdsPort = 3306;
  const resources: Resource[] = [
    { module: 'module.vpc', mode: 'managed', type: 'aws_vpc', name: 'this', provider, instances: [one({ id: s.vpc.id, cidr_block: s.vpc.cidr, tags: { Name: `${s.blue.clusterName}-vpc` } }, 0)] },
    { module: 'module.vpc', mode: 'managed', type: 'aws_subnet', name: 'private', provider, instances: s.vpc.privateSubnets.map((id, i) => one({ id, vpc_id: s.vpc.id, cidr_block: `10.0.${i + 1}.0/24`, map_public_ip_on_launch: false }, i)) },
    { module: 'module.vpc', mode: 'managed', type: 'aws_subnet', name: 'public', provider, instances: s.vpc.publicSubnets.map((id, i) => one({ id, vpc_id: s.vpc.id, cidr_block: `10.0.${i + 101}.0/24`, map_public_ip_on_launch: true }, i)) },
    {
      module: 'module.eks_blueprints.module.aws_eks',
      mode: 'managed',
      type: 'aws_eks_cluster',
      name: 'this',
      provider,
      instances: [one({ name: s.blue.clusterName, arn: `arn:aws:eks:${region}:${acct}:cluster/${s.blue.clusterName}`, vpc_config: [{ vpc_id: s.vpc.id, subnet_ids: s.vpc.privateSubnets, cluster_security_group_id: s.vpc.clusterSecurityGroup }] }, 0)],
    },
    { module: 'module.kubeflow_components', mode: 'managed', type: 'random_password', name: 'db_password', provider: 'provider["registry.terraform.io/hashicorp/random"]', instances: [one({ id: 'none', result: dbPassword, length: 16 }, 0)] },
    {
      module: 'module.kubeflow_components.module.rds[0]',
      mode: 'managed',
      type: 'aws_db_instance',
      name: 'kubeflow_db',
      provider,
      instances: [one({ id: s.rds.instanceId, address: s.rds.endpoint, endpoint: `${s.rds.endpoint}:${rdsPort}`, username: 'admin', password: dbPassword, arn: `arn:aws:rds:${region}:${acct}:db:${s.rds.instanceId}` })],
    },
    { module: 'module.kubeflow_components.module.rds[0]', mode: 'managed', type: 'aws_secretsmanager_secret', name: 'rds_secret', provider, instances: [one({ id: `arn:aws:secretsmanager:${region}:${acct}:secret:${s.rds.secretName}`, name: s.rds.secretName })] },
    {
      module: 'module.kubeflow_components.module.rds[0]',
      mode: 'managed',
      type: 'aws_secretsmanager_secret_version',
      name: 'rds_secret_version',
      provider,
      instances: [one({ secret_string: JSON.stringify({ username: 'admin', password: dbPassword, database: 'kubeflow', host: s.rds.endpoint, port: String(rdsPort) }) })],
    },
    { module: 'module.kubeflow_components.module.s3[0]', mode: 'managed', type: 'aws_s3_bucket', name: 'artifact_store', provider, instances: [one({ id: s.s3.bucket, bucket: s.s3.bucket, arn: `arn:aws:s3:::${s.s3.bucket}` })] },
    { module: 'module.kubeflow_components.module.s3[0]', mode: 'managed', type: 'aws_secretsmanager_secret', name: 's3_secret', provider, instances: [one({ id: `arn:aws:secretsmanager:${region}:${acct}:secret:${s.s3.secretName}`, name: s.s3.secretName })] },
    {
      module: 'module.kubeflow_components.module.s3[0]',
      mode: 'managed',
      type: 'aws_secretsmanager_secret_version',
      name: 's3_secret_version',
      provider,
      instances: [one({ secret_string: JSON.stringify({ accesskey: `AKIA${fakeSecret('ak').toUpperCase().slice(0, 16)}`, secretkey: fakeSecret('sk') }) })],
    },
    {
      module: 'module.kubeflow_components.module.cognito[0]',
      mode: 'managed',
      type: 'aws_cognito_user_pool',
      name: 'platform',
      provider,
      instances: [one({ id: s.cognito.userPoolId, arn: `arn:aws:cognito-idp:${region}:${acct}:userpool/${s.cognito.userPoolId}`, name: 'kubeflow-users' })],
    },
    { module: 'module.kubeflow_components.module.cognito[0]', mode: 'managed', type: 'aws_cognito_user_pool_domain', name: 'platform', provider, instances: [one({ id: s.cognito.domain, domain: s.cognito.domain })] },
    { module: 'module.kubeflow_components.module.cognito[0]', mode: 'managed', type: 'aws_cognito_user_pool_client', name: 'platform', provider, instances: [one({ id: fakeSecret('client-id').slice(0, 20), client_secret: fakeSecret('client-secret') })] },
    {
      module: 'module.kubeflow_components.module.ingress_cognito[0]',
      mode: 'managed',
      type: 'aws_acm_certificate',
      name: 'deployment_region',
      provider,
      instances: [one({ arn: s.cognito.certificateArn, domain_name: `*.${s.subdomain}` })],
    },
    { module: 'module.efs', mode: 'managed', type: 'aws_efs_file_system', name: 'kubeflow', provider, instances: [one({ id: s.efs.id, creation_token: s.efs.name, arn: `arn:aws:elasticfilesystem:${region}:${acct}:file-system/${s.efs.id}` })] },
  ];
  return {
    version: 4,
    terraform_version: '1.2.9',
    serial: 42,
    lineage: '5a1d0b3c-kfup-sandbox-blue',
    outputs: {
      vpc_cidr: { value: s.vpc.cidr, type: 'string' },
      eks_cluster_id: { value: s.blue.clusterName, type: 'string' },
      region: { value: region, type: 'string' },
      rds_endpoint: { value: s.rds.endpoint, type: 'string' },
      s3_bucket_name: { value: s.s3.bucket, type: 'string' },
      stage: { value: s.stage, type: 'string' },
      kubelow_platform_domain: { value: s.blue.platformDomain, type: 'string' },
    },
    resources,
    check_results: null,
  };
}
