// irsa-trust-repair: verifies, and repairs, that every service account of a cluster annotated
// with an IAM role (the profiles' default-editor among them) is trusted by that role for the
// cluster's own OIDC provider, with the cluster's statement first in the policy. Kubeflow's
// profile controller rewrites a role's trust policy from its first statement alone when a Profile
// is created or deleted (iam/trust-repair.ts says how), so trust that irsa-trust set up can be
// lost after the upgrade. The upgrade playbook runs this on green after the restore; users run it
// on a schedule (`kfup run playbooks/irsa-repair.yaml`), and `kfup check` of it verifies without
// writing. What it replaced is journaled: `kfup rollback` puts it back.
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { defineTask, isNotFound, mapPool, type Change } from './kit/index.js';
import type { IrsaTrustRepairOutputs, IrsaTrustRepairParams } from './generated/irsa-trust-repair.js';
import { discoverRoles } from './iam/discover.js';
import { clusterIssuerHost, providerArns, requireProvider } from './iam/oidc.js';
import { parseRole } from './iam/roles.js';
import { decodePolicy, prettyPolicy, pruneStale, samePolicy, statementLabel, trustPolicySize } from './iam/trust-policy.js';
import { trustPolicyRevert, writeTrustPolicies, type TrustPersisted, type TrustRestore, type TrustWrite } from './iam/trust-writes.js';
import { repairTrust } from './iam/trust-repair.js';

const IAM_CONCURRENCY = 5;

export default defineTask<IrsaTrustRepairParams, IrsaTrustRepairOutputs, TrustWrite[], TrustPersisted, TrustRestore[]>({
  name: 'irsa-trust-repair',
  messages: {
    noTrustPolicy: 'IAM returned no trust policy for role {{name}}',
    rolesNotFound: 'IAM role{{plural}} named by service accounts of {{cluster}} not found: {{roles}}',
    overQuota: "the repaired trust polic{{plural}} would exceed IAM's trust policy quota of {{quota}} characters (white space not counted): {{roles}}. Nothing was written",
    changedSinceCheck: 'the trust policy of role {{name}} changed since check (the profile controller?); nothing was written to it (run again)',
    revertConflict: 'not restoring trust policies: {{conflicts}}. No role was changed; restore by hand from the run journal (persisted "previous")',
    changedSinceRevertCheck: 'the trust policy of role {{name}} changed since rollback checked it; not restoring it (run the rollback again)',
  },

  describe(p) {
    return [
      `find the IAM roles of service accounts on cluster ${p.cluster} (${p.namespaces?.length ? p.namespaces.join(', ') : 'the profile namespaces'})`,
      `verify each role trusts them through ${p.eks_cluster}'s OIDC provider${p.first ? ', in its first statement (the one the profile controller reads)' : ''}; add what is missing`,
      'previous trust policies are journaled for rollback',
    ];
  },

  async check(p, ctx) {
    const host = await clusterIssuerHost(ctx, p.eks_cluster, 'eks_cluster');
    const providers = await providerArns(ctx);
    const provider = await requireProvider(ctx, host, p.eks_cluster, providers);
    const exists = (arn: string) => providers.some((a) => a.toLowerCase() === arn.toLowerCase());
    const discovered = await discoverRoles(ctx, p.cluster, p.namespaces);
    const notes = [...discovered.notes];

    // the subjects each role must trust, by role name
    const subjects = new Map<string, Set<string>>();
    for (const d of discovered.roles) {
      const parsed = parseRole(d.arn);
      if (!parsed?.account) {
        notes.push(`${d.source}: "${d.arn}" is not an IAM role ARN; ignored`);
        continue;
      }
      const set = subjects.get(parsed.name) ?? new Set<string>();
      set.add(d.subject);
      subjects.set(parsed.name, set);
    }
    const names = [...subjects.keys()].sort();
    if (!names.length) notes.push(`no service account on ${p.cluster} names an IAM role`);

    const read = await mapPool(names, IAM_CONCURRENCY, async (name) => {
      const raw = (await ctx.aws(IAMClient).send(new GetRoleCommand({ RoleName: name }))).Role?.AssumeRolePolicyDocument;
      if (!raw) throw this.error('noTrustPolicy', { name });
      return decodePolicy(raw);
    }, ctx.signal);
    const missingRoles: string[] = [];
    const changes: Change[] = [];
    const plans: TrustWrite[] = [];
    const ok: string[] = [];
    const repaired: string[] = [];
    const untrusted: string[] = [];
    const overQuota: string[] = [];
    read.forEach((r, i) => {
      const name = names[i];
      if (!r.ok) {
        if (isNotFound(r.error)) return void missingRoles.push(name);
        throw r.error;
      }
      const doc = r.value;
      const pruned = p.prune_stale ? pruneStale(doc, exists) : { doc, pruned: [] };
      const want = [...subjects.get(name)!].sort();
      const result = repairTrust(pruned.doc, { host, providerArn: provider.arn, subjects: want, first: p.first });
      if (result.unrestricted) notes.push(`role ${name}: ${result.unrestricted} statement(s) for ${p.eks_cluster}'s provider have no sub condition: any service account of the cluster may assume it`);
      if (samePolicy(result.doc, doc)) return void ok.push(name);
      untrusted.push(...result.missing.map((s) => `${name}: ${s}`));
      const size = trustPolicySize(result.doc);
      if (size > p.trust_policy_quota) {
        overQuota.push(`${name} ${size} > ${p.trust_policy_quota} (statements: ${(Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).map(statementLabel).join(' | ')})`);
        return;
      }
      const what = [
        result.missing.length ? `trust ${result.missing.join(', ')}` : '',
        result.movedFirst ? `${p.eks_cluster}'s statement first` : '',
        pruned.pruned.length ? `${pruned.pruned.length} stale statement(s) pruned` : '',
      ].filter(Boolean);
      repaired.push(name);
      plans.push({ name, before: doc, after: result.doc });
      changes.push({ action: 'update', target: `iam role ${name}`, summary: `${what.join('; ')} (${size} of ${p.trust_policy_quota} characters)`, before: prettyPolicy(doc), after: prettyPolicy(result.doc) });
    });
    if (missingRoles.length) {
      throw this.error('rolesNotFound', { plural: missingRoles.length > 1 ? 's' : '', cluster: p.cluster, roles: missingRoles.join(', ') }, { hint: 'check the eks.amazonaws.com/role-arn annotations and Profile plugins, and the AWS account in use' });
    }
    if (overQuota.length) {
      throw this.error('overQuota', { plural: overQuota.length > 1 ? 'ies' : 'y', quota: p.trust_policy_quota, roles: overQuota.join('; ') }, {
        hint: "remove statements the role no longer needs, or raise the account's \"Role trust policy length\" quota in Service Quotas and set trust_policy_quota",
      });
    }
    if (untrusted.length) notes.push(`not trusted through ${p.eks_cluster}'s provider: ${untrusted.join('; ')}`);
    if (ok.length) notes.push(`${ok.length} role(s) verified: ${ok.join(', ')}`);
    return { changes, notes, data: plans, outputs: { roles_ok: ok, roles_repaired: repaired, untrusted, provider_arn: provider.arn } };
  },

  async apply(p, ctx, plan) {
    // IAM is eventually consistent (see iam/trust-writes): pods assuming these roles next may be refused for a while
    await writeTrustPolicies(ctx, plan.data ?? [], { settleSeconds: p.settle_seconds, verb: 'repaired', error: (id, data, o) => this.error(id, data, o) });
    return {};
  },

  revert: trustPolicyRevert({ changedAfter: 'kfup repaired it', summary: 'restore the trust policy the repair replaced' }),
});
