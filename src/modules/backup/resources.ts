// The data stores backup-snapshot protects. Empty strings mean "not used", so a playbook can pass
// optional variables straight through. The shape AWS Backup expects of each ARN is checked by the
// schema (schemas/tasks/backup-snapshot.schema.json), so a malformed one is refused as invalid
// input at its line, before anything is read.
import { TaskError } from '../kit/index.js';

export const RESOURCE_KINDS = ['efs', 's3', 'rds', 'fsx'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** the ARNs by kind, as the schema gives them (each defaults to an empty string) */
export type ResourceArns = Record<ResourceKind, string>;

/** the resources actually given, in a stable order */
export function usedResources(resources: ResourceArns): { kind: ResourceKind; arn: string }[] {
  return RESOURCE_KINDS.flatMap((kind) => {
    const arn = resources[kind].trim();
    return arn ? [{ kind, arn }] : [];
  });
}

/** "arn:aws:iam::123456789012:role/service-role/Name" -> "Name" (GetRole takes the bare name) */
export function roleNameFromArn(arn: string): string {
  const name = /:role\/(?:[^/]+\/)*([^/]+)$/.exec(arn.trim())?.[1];
  // the schema's pattern makes this unreachable; a message rather than a crash if it ever is not
  if (!name) throw new TaskError(`role_arn is not a well-formed IAM role ARN: ${arn}`, { code: 'badRoleArn', hint: 'expected arn:aws:iam::<account>:role/<path/>name' });
  return name;
}
