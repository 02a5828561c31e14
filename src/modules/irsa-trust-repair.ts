// irsa-trust-repair: verifies, and repairs, that every service account of a cluster annotated
// with an IAM role (the profiles' default-editor among them) is trusted by that role for the
// cluster's own OIDC provider, with the cluster's statement first in the policy. Kubeflow's
// profile controller rewrites a role's trust policy from its first statement alone when a Profile
// is created or deleted (iam/trust-repair.ts says how), so trust that irsa-trust set up can be
// lost after the upgrade. The upgrade playbook runs this on green after the restore; users run it
// on a schedule (`kfup run playbooks/irsa-repair.yaml`), and `kfup check` of it verifies without
// writing. What it replaced is journaled: `kfup rollback` puts it back.
import { GetRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { defineTask, isNotFound, mapPool, sleep, type Change } from './kit/index.js';
import type { IrsaTrustRepairOutputs, IrsaTrustRepairParams } from './generated/irsa-trust-repair.js';
import { discoverRoles } from './iam/discover.js';
import { clusterIssuerHost, providerArns, requireProvider } from './iam/oidc.js';
import { parseRole } from './iam/roles.js';
import { decodePolicy, prettyPolicy, pruneStale, samePolicy, statementLabel, trustPolicySize, type PolicyDocument } from './iam/trust-policy.js';
import { repairTrust } from './iam/trust-repair.js';

interface RolePlan {
  name: string;
  before: PolicyDocument;
  after: PolicyDocument;
}
type Previous = Record<string, { before: PolicyDocument; after: PolicyDocument }>;
interface Persisted {
  previous: Previous;
}
interface Restore {
  name: string;
  now: PolicyDocument;
  doc: PolicyDocument;
}

const IAM_CONCURRENCY = 5;

export default defineTask<IrsaTrustRepairParams, IrsaTrustRepairOutputs, RolePlan[], Persisted, Restore[]>({
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
    const plans: RolePlan[] = [];
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
    const previous: Previous = { ...(ctx.recall('previous') ?? {}) };
    const iam = ctx.aws(IAMClient);
    for (const r of plan.data ?? []) {
      const raw = (await iam.send(new GetRoleCommand({ RoleName: r.name }))).Role?.AssumeRolePolicyDocument;
      const current = raw ? decodePolicy(raw) : undefined;
      if (current && samePolicy(current, r.after)) continue;
      if (!current || !samePolicy(current, r.before)) throw this.error('changedSinceCheck', { name: r.name }, { retryable: true });
      previous[r.name] = { before: r.before, after: r.after };
      ctx.persist('previous', previous);
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: r.name, PolicyDocument: JSON.stringify(r.after) }));
      ctx.log(`repaired the trust policy of role ${r.name}`);
    }
    // IAM is eventually consistent (see irsa-trust): pods assuming these roles next may be refused for a while
    if (plan.data?.length && p.settle_seconds > 0) {
      ctx.progress(`waiting ${p.settle_seconds} s for IAM to propagate the new trust`);
      await sleep(p.settle_seconds * 1000, ctx.signal);
    }
    return {};
  },

  revert: {
    async check(record, ctx) {
      const previous = record.persisted.previous ?? {};
      const iam = ctx.aws(IAMClient);
      const changes: Change[] = [];
      const restore: Restore[] = [];
      const conflicts: string[] = [];
      for (const name of Object.keys(previous).sort()) {
        const { before, after } = previous[name];
        let raw: string | undefined;
        try {
          raw = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role?.AssumeRolePolicyDocument;
        } catch (e) {
          if (!isNotFound(e)) throw e;
          conflicts.push(`${name} (the role no longer exists)`);
          continue;
        }
        if (!raw) throw this.error('noTrustPolicy', { name });
        const current = decodePolicy(raw);
        if (samePolicy(current, before)) continue;
        if (!samePolicy(current, after)) {
          conflicts.push(`${name} (its trust policy changed after kfup repaired it)`);
          continue;
        }
        restore.push({ name, now: current, doc: before });
        changes.push({ action: 'update', target: `iam role ${name}`, summary: 'restore the trust policy the repair replaced', before: prettyPolicy(current), after: prettyPolicy(before) });
      }
      if (conflicts.length) throw this.error('revertConflict', { conflicts: conflicts.join('; ') });
      return { changes, data: restore };
    },

    async apply(_record, ctx, plan) {
      const iam = ctx.aws(IAMClient);
      for (const r of plan.data ?? []) {
        const raw = (await iam.send(new GetRoleCommand({ RoleName: r.name }))).Role?.AssumeRolePolicyDocument;
        const current = raw ? decodePolicy(raw) : undefined;
        if (current && samePolicy(current, r.doc)) continue;
        if (!current || !samePolicy(current, r.now)) throw this.error('changedSinceRevertCheck', { name: r.name }, { retryable: true });
        await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: r.name, PolicyDocument: JSON.stringify(r.doc) }));
        ctx.log(`restored the trust policy of role ${r.name}`);
      }
    },
  },
});
