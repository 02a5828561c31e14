// Where each production value lives in the state of the Kubeflow on AWS Terraform deployments
// (deployments/rds-s3/terraform and deployments/cognito-rds-s3/terraform in awslabs/kubeflow-manifests):
// root outputs where the deployment has one, else the resource that holds it. Kept as data so a
// playbook can override or extend any entry (`mappings:`).
//
// Address patterns match a resource instance's full address, e.g.
// module.kubeflow_components.module.rds[0].aws_db_instance.kubeflow_db:
//   **     any run of module segments (also none)     *    any one name
//   [*]    any index (an index may also be left out: it then matches with or without one)

export interface MappingRule {
  /** a root output of the state */
  output?: string;
  /** a resource instance address pattern */
  resource?: string;
  /** the attribute path in that resource, e.g. `address`, `vpc_config[0].cluster_security_group_id`, `tags.Name` */
  attribute?: string;
}

export type Group = 'core' | 'cognito' | 'efs' | 'fsx';

export interface VariableMapping {
  /** searched in order; the first rule that finds a value wins */
  from: MappingRule[];
  /** collect every matching instance into a list (subnets created with count) */
  list?: boolean;
  /** core: always required; other groups follow the task's `cognito` / `efs` / `fsx` setting */
  group?: Group;
  /** the value is a secret: redacted from every log line, diff and journal entry */
  secret?: boolean;
  /** used when nothing is found (the value then counts as found) */
  default?: unknown;
}

export const DEFAULT_MAPPINGS: Record<string, VariableMapping> = {
  src_vpc_private_subnets: { list: true, from: [{ resource: '**.module.vpc.aws_subnet.private[*]', attribute: 'id' }] },
  src_vpc_public_subnets: { list: true, from: [{ resource: '**.module.vpc.aws_subnet.public[*]', attribute: 'id' }] },
  src_vpc_id: { from: [{ output: 'vpc_id' }, { resource: '**.module.vpc.aws_vpc.this[*]', attribute: 'id' }] },
  src_vpc_cidr: { from: [{ output: 'vpc_cidr' }, { resource: '**.module.vpc.aws_vpc.this[*]', attribute: 'cidr_block' }] },
  src_efs_fs_id: { group: 'efs', from: [{ output: 'efs_fs_id' }, { resource: '**.aws_efs_file_system.*', attribute: 'id' }] },
  // no FSx variable: the upgrade module (deployments/upgrade/terraform/variables.tf on the blue/green
  // branch) declares none; with use_fsx it creates its own FSx security group and storage class
  // the cluster's primary security group, which the deployment also gives the RDS instance
  src_cluster_sg_id: { from: [{ resource: '**.aws_eks_cluster.this[*]', attribute: 'vpc_config[0].cluster_security_group_id' }] },
  src_s3_secret_name: { from: [{ resource: '**.aws_secretsmanager_secret.s3_secret', attribute: 'name' }] },
  src_s3_bucket_name: { from: [{ output: 's3_bucket_name' }, { resource: '**.aws_s3_bucket.artifact_store', attribute: 'id' }] },
  src_rds_secret_name: { from: [{ resource: '**.aws_secretsmanager_secret.rds_secret', attribute: 'name' }] },
  src_rds_endpoint: { secret: true, from: [{ output: 'rds_endpoint' }, { resource: '**.aws_db_instance.kubeflow_db', attribute: 'address' }] },
  user_pool_id: { group: 'cognito', from: [{ resource: '**.aws_cognito_user_pool.platform', attribute: 'id' }] },
  cognito_user_pool_arn: { group: 'cognito', from: [{ resource: '**.aws_cognito_user_pool.platform', attribute: 'arn' }] },
  cognito_user_pool_domain: { group: 'cognito', from: [{ resource: '**.aws_cognito_user_pool_domain.platform', attribute: 'domain' }] },
  // the wildcard certificate of the platform subdomain in the deployment's region (the ALB's)
  certificate_arn: { group: 'cognito', from: [{ resource: '**.module.ingress_cognito[*].aws_acm_certificate.deployment_region', attribute: 'arn' }] },
  // the deployments have no stage; an upgraded one may (its `stage` variable)
  src_stage: { group: 'cognito', default: '', from: [{ output: 'stage' }] },
};

export const GROUPS: Group[] = ['core', 'cognito', 'efs', 'fsx'];

/** the playbook's overrides on top of the defaults: a variable's rules replace the default's rules */
export function effectiveMappings(overrides: Record<string, MappingRule[] | Partial<VariableMapping> | undefined> | undefined): Record<string, VariableMapping> {
  const out: Record<string, VariableMapping> = { ...DEFAULT_MAPPINGS };
  for (const [name, o] of Object.entries(overrides ?? {})) {
    if (o === undefined) continue;
    const base = out[name] ?? { from: [] };
    out[name] = Array.isArray(o) ? { ...base, from: o } : { ...base, ...o, from: o.from ?? base.from };
  }
  return out;
}

/** "output vpc_id" / "resource module.vpc.aws_vpc.this[*] attribute id", for error messages */
export const describeRule = (r: MappingRule): string => (r.output ? `output "${r.output}"` : `resource ${r.resource} attribute ${r.attribute ?? '(none)'}`);
