// Which roles irsa-trust works on: the ones listed in the task and the ones found on a cluster,
// by name (IAM's GetRole takes the name), each remembering where it came from for messages.
import { TaskError } from '../kit/index.js';
import type { DiscoveredRole } from './discover.js';

const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[^/]+\/)*([\w+=,.@-]{1,64})$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

export interface RoleRef {
  name: string;
  /** the account the ARN names, when the role was given as an ARN */
  account?: string;
  sources: string[];
}

export function parseRole(value: string): { name: string; account?: string } | undefined {
  const v = value.trim();
  const m = ROLE_ARN.exec(v);
  if (m) return { name: m[3], account: m[2] };
  return ROLE_NAME.test(v) ? { name: v } : undefined;
}

/** explicit roles must parse (a TaskError otherwise); a malformed annotation found on a cluster is only noted */
export function collectRoles(explicit: string[], discovered: DiscoveredRole[], notes: string[]): RoleRef[] {
  const byName = new Map<string, RoleRef>();
  const add = (name: string, account: string | undefined, source: string) => {
    const ref = byName.get(name) ?? { name, account, sources: [] };
    ref.account ??= account;
    if (!ref.sources.includes(source)) ref.sources.push(source);
    byName.set(name, ref);
  };
  explicit.forEach((value, i) => {
    const parsed = parseRole(value);
    if (!parsed) {
      throw new TaskError(`roles[${i}] is neither an IAM role name nor a role ARN: ${value}`, { code: 'badRole', hint: 'write a role name (kf-team-irsa) or its ARN (arn:aws:iam::123456789012:role/kf-team-irsa)' });
    }
    add(parsed.name, parsed.account, `roles[${i}]`);
  });
  for (const d of discovered) {
    const parsed = parseRole(d.arn);
    if (!parsed?.account) {
      notes.push(`${d.source}: "${d.arn}" is not an IAM role ARN; ignored`);
      continue;
    }
    add(parsed.name, parsed.account, d.source);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
