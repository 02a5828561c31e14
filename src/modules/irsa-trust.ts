// irsa-trust: lets the IAM roles that IRSA uses be assumed from the green cluster too, in place
// of the manual procedure's irsa_trust.py. Each statement trusting blue's OIDC provider gets a
// mirror for green's provider (same sub/aud conditions on green's issuer host). The replaced
// documents are journaled so `kfup rollback` can put them back.
import { GetRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { UserError } from '../runner/errors.js';
import { loadTaskSchema } from '../runner/load/package-root.js';
import type { Change, Context, Outputs, TaskModule } from '../runner/types.js';
import { isNotFound } from './backup/aws-errors.js';
import { discoverRoles } from './iam/discover.js';
import { clusterIssuerHost, requireProvider } from './iam/oidc.js';
import { collectRoles, type RoleRef } from './iam/roles.js';
import { addGreenTrust, decodePolicy, prettyPolicy, samePolicy, type PolicyDocument } from './iam/trust-policy.js';
import { mapPool } from './kit/kube/pool.js';

export interface IrsaTrustParams {
  blue_cluster: string;
  green_cluster: string;
  roles?: string[];
  discover_from?: string;
  namespaces?: string[];
}

interface RolePlan {
  name: string;
  before: PolicyDocument;
  after: PolicyDocument;
}

/** journaled per role under 'previous': what kfup replaced and what it wrote */
type Previous = Record<string, { before: PolicyDocument; after: PolicyDocument }>;

const PREVIOUS_KEY = 'previous';
const IAM_CONCURRENCY = 5;

const accountOf = (arn: string | undefined): string | undefined => /^arn:[^:]+:iam::(\d{12}):/.exec(arn ?? '')?.[1];

async function readPolicy(ctx: Context, name: string): Promise<{ arn?: string; doc: PolicyDocument }> {
  const role = (await ctx.aws(IAMClient).send(new GetRoleCommand({ RoleName: name }))).Role;
  if (!role?.AssumeRolePolicyDocument) throw new Error(`IAM returned no trust policy for role ${name}`);
  try {
    return { arn: role.Arn, doc: decodePolicy(role.AssumeRolePolicyDocument) };
  } catch (e) {
    throw new Error(`the trust policy of role ${name} could not be read: ${(e as Error).message}`);
  }
}

/** the roles' current documents; every missing role named in one error */
async function readRoles(ctx: Context, refs: RoleRef[], notes: string[]): Promise<{ ref: RoleRef; doc: PolicyDocument }[]> {
  const results = await mapPool(refs, IAM_CONCURRENCY, (ref) => readPolicy(ctx, ref.name), ctx.signal);
  const missing: string[] = [];
  const out: { ref: RoleRef; doc: PolicyDocument }[] = [];
  results.forEach((r, i) => {
    const ref = refs[i];
    if (!r.ok) {
      if (isNotFound(r.error)) return missing.push(`${ref.name} (from ${ref.sources.join(', ')})`);
      throw r.error;
    }
    const account = accountOf(r.value.arn);
    if (ref.account && account && ref.account !== account) {
      const where = `role ${ref.name} (from ${ref.sources.join(', ')}) is named in account ${ref.account}, but this account is ${account}`;
      if (ref.sources.some((s) => s.startsWith('roles['))) throw new UserError(where, { hint: 'check the role ARN, or the AWS credentials and profile in targets.aws' });
      notes.push(`${where}; left alone`);
      return;
    }
    out.push({ ref, doc: r.value.doc });
  });
  if (missing.length) {
    throw new UserError(`IAM role${missing.length > 1 ? 's' : ''} not found: ${missing.join('; ')}`, {
      hint: 'check the role names or ARNs (roles, Profile plugins, eks.amazonaws.com/role-arn annotations) and the AWS account in use',
    });
  }
  return out;
}

const sidSuffix = (cluster: string): string => cluster.replace(/[^A-Za-z0-9]/g, '') || 'Green';

const irsaTrust: TaskModule<IrsaTrustParams> = {
  name: 'irsa-trust',
  schema: loadTaskSchema('irsa-trust'),

  describe(p) {
    const lines = [`let IRSA roles be assumed from ${p.green_cluster}: mirror each trust statement for ${p.blue_cluster}'s OIDC provider onto ${p.green_cluster}'s`];
    if (p.roles?.length) lines.push(`roles: ${p.roles.join(', ')}`);
    if (p.discover_from) {
      lines.push(
        `roles found on cluster ${p.discover_from}: Profile AwsIamForServiceAccount plugins and service accounts annotated eks.amazonaws.com/role-arn` +
          (p.namespaces?.length ? ` in ${p.namespaces.join(', ')}` : ', all namespaces'),
      );
    }
    lines.push('previous trust policies are journaled for rollback');
    return lines;
  },

  async check(params, ctx) {
    const explicit = params.roles ?? [];
    if (!explicit.length && !params.discover_from) {
      throw new UserError('irsa-trust needs roles to work on: give `roles`, `discover_from`, or both', { hint: 'e.g. discover_from: blue (a cluster of targets.clusters)' });
    }
    const [blueHost, greenHost] = await Promise.all([
      clusterIssuerHost(ctx, params.blue_cluster, 'blue_cluster'),
      clusterIssuerHost(ctx, params.green_cluster, 'green_cluster'),
    ]);
    if (blueHost === greenHost) throw new UserError(`blue_cluster and green_cluster have the same OIDC issuer (${blueHost})`, { hint: 'name two different EKS clusters' });
    const provider = await requireProvider(ctx, greenHost, params.green_cluster);

    const notes: string[] = [];
    if (!provider.audiences.includes('sts.amazonaws.com')) {
      notes.push(`green's OIDC provider ${provider.arn} does not list sts.amazonaws.com as a client ID (audience); IRSA tokens will be refused until it does`);
    }
    const discovered = params.discover_from ? await discoverRoles(ctx, params.discover_from, params.namespaces) : { roles: [], notes: [] };
    notes.push(...discovered.notes);
    const refs = collectRoles(explicit, discovered.roles, notes);
    if (!refs.length) notes.push(`no IRSA roles found${params.discover_from ? ` on cluster ${params.discover_from}` : ''}`);

    const target = { blueHost, greenHost, greenProviderArn: provider.arn, sidSuffix: sidSuffix(params.green_cluster) };
    const changes: Change[] = [];
    const plans: RolePlan[] = [];
    const updated: string[] = [];
    const already: string[] = [];
    const notBlue: string[] = [];
    for (const { ref, doc } of await readRoles(ctx, refs, notes)) {
      const mirrored = addGreenTrust(doc, target);
      if (!mirrored.blue) {
        notBlue.push(ref.name);
        notes.push(`role ${ref.name} (from ${ref.sources.join(', ')}) has no statement trusting ${params.blue_cluster}'s OIDC provider; left alone`);
      } else if (!mirrored.added) {
        already.push(ref.name);
      } else {
        updated.push(ref.name);
        plans.push({ name: ref.name, before: doc, after: mirrored.doc });
        changes.push({
          action: 'update',
          target: `iam role ${ref.name}`,
          summary: `trust ${params.green_cluster}'s OIDC provider: ${mirrored.added} statement(s) mirrored from ${params.blue_cluster}'s`,
          before: prettyPolicy(doc),
          after: prettyPolicy(mirrored.doc),
        });
      }
    }
    if (already.length) notes.push(`${already.length} role(s) already trust ${params.green_cluster}: ${already.join(', ')}`);
    const outputs: Outputs = { roles_updated: updated, roles_already_trusting: already, roles_not_trusting_blue: notBlue, green_provider_arn: provider.arn };
    return { changes, outputs, notes, data: plans };
  },

  async apply(_params, ctx, plan) {
    const plans = plan.data as RolePlan[];
    const previous: Previous = { ...(ctx.recall<Previous>(PREVIOUS_KEY) ?? {}) };
    const iam = ctx.aws(IAMClient);
    for (const p of plans) {
      const { doc: current } = await readPolicy(ctx, p.name);
      if (samePolicy(current, p.after)) continue; // written by an earlier attempt of this run
      if (!samePolicy(current, p.before)) {
        throw new Error(`the trust policy of role ${p.name} changed since check; nothing was written to it (run again to plan from its current policy)`);
      }
      // journaled before the write: a kill right after it still leaves what rollback needs
      previous[p.name] = { before: p.before, after: p.after };
      ctx.persist(PREVIOUS_KEY, previous);
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: p.name, PolicyDocument: JSON.stringify(p.after) }));
      ctx.log(`updated the trust policy of role ${p.name}`);
    }
    return {};
  },

  async revert(record, ctx) {
    const previous = (record.persisted[PREVIOUS_KEY] ?? {}) as Previous;
    const changes: Change[] = [];
    const restore: { name: string; doc: PolicyDocument }[] = [];
    const conflicts: string[] = [];
    for (const name of Object.keys(previous).sort()) {
      const { before, after } = previous[name];
      let current: PolicyDocument;
      try {
        current = (await readPolicy(ctx, name)).doc;
      } catch (e) {
        if (isNotFound(e)) {
          conflicts.push(`${name} (the role no longer exists)`);
          continue;
        }
        throw e;
      }
      if (samePolicy(current, before)) continue; // already restored
      if (!samePolicy(current, after)) {
        conflicts.push(`${name} (its trust policy changed after kfup updated it)`);
        continue;
      }
      restore.push({ name, doc: before });
      changes.push({ action: 'update', target: `iam role ${name}`, summary: 'restore the trust policy kfup replaced', before: prettyPolicy(current), after: prettyPolicy(before) });
    }
    if (conflicts.length) {
      throw new Error(
        `not restoring trust policies: ${conflicts.join('; ')}. No role was changed; restore by hand from the run journal (persisted "previous") or revert the other change first`,
      );
    }
    if (ctx.mode !== 'run') return changes;
    const iam = ctx.aws(IAMClient);
    for (const r of restore) {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: r.name, PolicyDocument: JSON.stringify(r.doc) }));
      ctx.log(`restored the trust policy of role ${r.name}`);
    }
    return changes;
  },
};

export default irsaTrust;
