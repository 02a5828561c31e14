// The data stores backup-snapshot protects and the ARN shape AWS Backup expects for each.
// Empty strings mean "not used", so a playbook can pass optional variables straight through.
import { TaskError } from '../kit/index.js';

export const RESOURCE_KINDS = ['efs', 's3', 'rds', 'fsx'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** the ARNs by kind, as the schema gives them (each defaults to an empty string) */
export type ResourceArns = Record<ResourceKind, string>;

const PARTITION = '(aws|aws-cn|aws-us-gov)';
const REGION = '[a-z]{2}(-[a-z]+)+-\\d';
const ACCOUNT = '\\d{12}';

/** what a well-formed ARN of each kind looks like, and an example for the error hint */
const SHAPES: Record<ResourceKind, { re: RegExp; example: string }> = {
  efs: {
    re: new RegExp(`^arn:${PARTITION}:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/fs-[0-9a-z]{8,40}$`),
    example: 'arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/fs-0123456789abcdef0',
  },
  s3: {
    // bucket ARNs carry neither region nor account
    re: new RegExp(`^arn:${PARTITION}:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`),
    example: 'arn:aws:s3:::my-kubeflow-artifacts',
  },
  rds: {
    re: new RegExp(`^arn:${PARTITION}:rds:${REGION}:${ACCOUNT}:(db|cluster):[a-zA-Z][a-zA-Z0-9-]{0,62}$`),
    example: 'arn:aws:rds:us-west-2:123456789012:db:kubeflow-db',
  },
  fsx: {
    re: new RegExp(`^arn:${PARTITION}:fsx:${REGION}:${ACCOUNT}:file-system/fs-[0-9a-z]{8,40}$`),
    example: 'arn:aws:fsx:us-west-2:123456789012:file-system/fs-0123456789abcdef0',
  },
};

/** the resources actually given, in a stable order, each ARN checked against its kind */
export function usedResources(resources: ResourceArns): { kind: ResourceKind; arn: string }[] {
  const out: { kind: ResourceKind; arn: string }[] = [];
  for (const kind of RESOURCE_KINDS) {
    const arn = resources[kind].trim();
    if (!arn) continue;
    if (!SHAPES[kind].re.test(arn)) {
      throw new TaskError(`resources.${kind} is not a well-formed ${kind.toUpperCase()} ARN: ${arn}`, {
        code: 'badResourceArn',
        hint: `expected something like ${SHAPES[kind].example} (or an empty string when there is no ${kind.toUpperCase()} to back up)`,
      });
    }
    out.push({ kind, arn });
  }
  return out;
}

/** "arn:aws:iam::123456789012:role/service-role/Name" -> "Name" (GetRole takes the bare name) */
export function roleNameFromArn(arn: string): string {
  const m = /^arn:[a-z-]+:iam::\d{12}:role\/(?:[^/]+\/)*([\w+=,.@-]{1,64})$/.exec(arn.trim());
  if (!m) {
    throw new TaskError(`role_arn is not a well-formed IAM role ARN: ${arn}`, {
      code: 'badRoleArn',
      hint: 'expected arn:aws:iam::<account>:role/<path/>name, e.g. arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole',
    });
  }
  return m[1];
}
