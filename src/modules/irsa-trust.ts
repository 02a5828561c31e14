// irsa-trust: lets the IAM roles that IRSA uses be assumed from the green cluster too, in place
// of the manual procedure's irsa_trust.py. Each statement trusting blue's OIDC provider gets a
// mirror for green's provider (same sub/aud conditions on green's issuer host). The replaced
// documents are journaled so `kfup rollback` can put them back.
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { defineTask, isNotFound, mapPool, type Change, type Context } from './kit/index.js';
import type { IrsaTrustOutputs, IrsaTrustParams } from './generated/irsa-trust.js';
import { discoverRoles } from './iam/discover.js';
import { clusterIssuerHost, providerArns, requireProvider } from './iam/oidc.js';
import { collectRoles, type RoleRef } from './iam/roles.js';
import { addGreenTrust, decodePolicy, prettyPolicy, pruneStale, statementLabel, trustPolicySize, type PolicyDocument } from './iam/trust-policy.js';
import { trustPolicyRevert, writeTrustPolicies, type TrustPersisted, type TrustRestore, type TrustWrite } from './iam/trust-writes.js';

const IAM_CONCURRENCY = 5;

const accountOf = (arn: string | undefined): string | undefined => /^arn:[^:]+:iam::(\d{12}):/.exec(arn ?? '')?.[1];

const sidSuffix = (cluster: string): string => cluster.replace(/[^A-Za-z0-9]/g, '') || 'Green';

const messages = {
  needsRoles: 'irsa-trust needs roles to work on: give `roles`, `discover_from`, or both',
  sameIssuer: 'blue_cluster and green_cluster have the same OIDC issuer ({{host}})',
  noTrustPolicy: 'IAM returned no trust policy for role {{name}}',
  unreadablePolicy: 'the trust policy of role {{name}} could not be read: {{problem}}',
  otherAccount: 'role {{name}} (from {{sources}}) is named in account {{account}}, but this account is {{actual}}',
  rolesNotFound: 'IAM role{{plural}} not found: {{roles}}',
  changedSinceCheck: 'the trust policy of role {{name}} changed since check; nothing was written to it (run again to plan from its current policy)',
  revertConflict:
    'not restoring trust policies: {{conflicts}}. No role was changed; restore by hand from the run journal (persisted "previous") or revert the other change first',
  overQuota:
    'the trust polic{{plural}} would exceed IAM\'s trust policy quota of {{quota}} characters (white space not counted): {{roles}}. Nothing was written',
  changedSinceRevertCheck: 'the trust policy of role {{name}} changed since rollback checked it; not restoring it (run the rollback again)',
};

type Ctx = Pick<Context, 'aws' | 'signal'>;

export default defineTask<IrsaTrustParams, IrsaTrustOutputs, TrustWrite[], TrustPersisted, TrustRestore[]>({
  name: 'irsa-trust',
  messages,

  describe(p) {
    const lines = [`let IRSA roles be assumed from ${p.green_cluster}: mirror each trust statement for ${p.blue_cluster}'s OIDC provider onto ${p.green_cluster}'s`];
    if (p.roles.length) lines.push(`roles: ${p.roles.join(', ')}`);
    if (p.discover_from) {
      lines.push(
        `roles found on cluster ${p.discover_from}: Profile AwsIamForServiceAccount plugins and service accounts annotated eks.amazonaws.com/role-arn` +
          (p.namespaces?.length ? ` in ${p.namespaces.join(', ')}` : ' in the profile namespaces'),
      );
    }
    lines.push('previous trust policies are journaled for rollback');
    return lines;
  },

  async check(params, ctx) {
    /** a role's current document */
    const readPolicy = async (c: Ctx, name: string): Promise<{ arn?: string; doc: PolicyDocument }> => {
      const role = (await c.aws(IAMClient).send(new GetRoleCommand({ RoleName: name }))).Role;
      if (!role?.AssumeRolePolicyDocument) throw this.error('noTrustPolicy', { name });
      try {
        return { arn: role.Arn, doc: decodePolicy(role.AssumeRolePolicyDocument) };
      } catch (e) {
        throw this.error('unreadablePolicy', { name, problem: (e as Error).message });
      }
    };
    if (!params.roles.length && !params.discover_from) throw this.error('needsRoles', {}, { hint: 'e.g. discover_from: blue (a cluster of targets.clusters)' });
    const [blueHost, greenHost] = await Promise.all([
      clusterIssuerHost(ctx, params.blue_cluster, 'blue_cluster'),
      clusterIssuerHost(ctx, params.green_cluster, 'green_cluster'),
    ]);
    if (blueHost === greenHost) throw this.error('sameIssuer', { host: blueHost }, { hint: 'name two different EKS clusters' });
    const providers = await providerArns(ctx);
    const provider = await requireProvider(ctx, greenHost, params.green_cluster, providers);
    const providerExists = (arn: string) => providers.some((a) => a.toLowerCase() === arn.toLowerCase());

    const notes: string[] = [];
    if (!provider.audiences.includes('sts.amazonaws.com')) {
      notes.push(`green's OIDC provider ${provider.arn} does not list sts.amazonaws.com as a client ID (audience); IRSA tokens will be refused until it does`);
    }
    const discovered = params.discover_from ? await discoverRoles(ctx, params.discover_from, params.namespaces) : { roles: [], notes: [] };
    notes.push(...discovered.notes);
    const refs = collectRoles(params.roles, discovered.roles, notes);
    if (!refs.length) notes.push(`no IRSA roles found${params.discover_from ? ` on cluster ${params.discover_from}` : ''}`);

    // the roles' current documents; every missing role named in one error
    const results = await mapPool(refs, IAM_CONCURRENCY, (ref) => readPolicy(ctx, ref.name), ctx.signal);
    const missing: string[] = [];
    const roles: { ref: RoleRef; doc: PolicyDocument }[] = [];
    results.forEach((r, i) => {
      const ref = refs[i];
      if (!r.ok) {
        if (isNotFound(r.error)) return missing.push(`${ref.name} (from ${ref.sources.join(', ')})`);
        throw r.error;
      }
      const account = accountOf(r.value.arn);
      if (ref.account && account && ref.account !== account) {
        const data = { name: ref.name, sources: ref.sources.join(', '), account: ref.account, actual: account };
        if (ref.sources.some((s) => s.startsWith('roles['))) throw this.error('otherAccount', data, { hint: 'check the role ARN, or the AWS credentials and profile in targets.aws' });
        notes.push(`${this.error('otherAccount', data).message}; left alone`);
        return;
      }
      roles.push({ ref, doc: r.value.doc });
    });
    if (missing.length) {
      throw this.error('rolesNotFound', { plural: missing.length > 1 ? 's' : '', roles: missing.join('; ') }, {
        hint: 'check the role names or ARNs (roles, Profile plugins, eks.amazonaws.com/role-arn annotations) and the AWS account in use',
      });
    }

    const target = { blueHost, greenHost, greenProviderArn: provider.arn, sidSuffix: sidSuffix(params.green_cluster) };
    const changes: Change[] = [];
    const plans: TrustWrite[] = [];
    const updated: string[] = [];
    const already: string[] = [];
    const notBlue: string[] = [];
    const overQuota: string[] = [];
    for (const { ref, doc } of roles) {
      // statements for OIDC providers deleted since (clusters of earlier upgrades) go first: IAM
      // refuses to save a policy that names them, and they take room under the quota
      const pruned = params.prune_stale ? pruneStale(doc, providerExists) : { doc, pruned: [] };
      const mirrored = addGreenTrust(pruned.doc, target);
      if (!mirrored.blue) {
        notBlue.push(ref.name);
        notes.push(`role ${ref.name} (from ${ref.sources.join(', ')}) has no statement trusting ${params.blue_cluster}'s OIDC provider; left alone`);
        continue;
      }
      if (!mirrored.added && !pruned.pruned.length) {
        already.push(ref.name);
        continue;
      }
      const size = trustPolicySize(mirrored.doc);
      if (size > params.trust_policy_quota) {
        const added = mirrored.added ? `${mirrored.added} mirrored statement(s) for ${params.green_cluster}` : 'no mirrored statement';
        overQuota.push(`${ref.name} ${size} > ${params.trust_policy_quota} (now ${trustPolicySize(doc)}; ${added}; its statements: ${(Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).map(statementLabel).join(' | ')})`);
        continue;
      }
      if (pruned.pruned.length) notes.push(`role ${ref.name}: ${pruned.pruned.length} statement(s) for OIDC providers that no longer exist are removed: ${pruned.pruned.map(statementLabel).join(', ')}`);
      updated.push(ref.name);
      plans.push({ name: ref.name, before: doc, after: mirrored.doc });
      const parts = [mirrored.added ? `${mirrored.added} statement(s) mirrored from ${params.blue_cluster}'s` : '', pruned.pruned.length ? `${pruned.pruned.length} stale statement(s) pruned` : ''].filter(Boolean);
      changes.push({
        action: 'update',
        target: `iam role ${ref.name}`,
        summary: `trust ${params.green_cluster}'s OIDC provider: ${parts.join(', ')} (${size} of ${params.trust_policy_quota} characters)`,
        before: prettyPolicy(doc),
        after: prettyPolicy(mirrored.doc),
      });
    }
    if (overQuota.length) {
      throw this.error('overQuota', { plural: overQuota.length > 1 ? 'ies' : 'y', quota: params.trust_policy_quota, roles: overQuota.join('; ') }, {
        hint: "remove statements the role no longer needs, or raise the account's \"Role trust policy length\" quota in Service Quotas and set trust_policy_quota",
      });
    }
    if (already.length) notes.push(`${already.length} role(s) already trust ${params.green_cluster}: ${already.join(', ')}`);
    const outputs = { roles_updated: updated, roles_already_trusting: already, roles_not_trusting_blue: notBlue, green_provider_arn: provider.arn };
    return { changes, outputs, notes, data: plans };
  },

  async apply(params, ctx, plan) {
    await writeTrustPolicies(ctx, plan.data ?? [], { settleSeconds: params.settle_seconds, verb: 'updated', error: (id, data, o) => this.error(id, data, o) });
    return {};
  },

  revert: trustPolicyRevert({ changedAfter: 'kfup updated it', summary: 'restore the trust policy kfup replaced' }),
});
