// Writing and restoring roles' trust policies, shared by irsa-trust and irsa-trust-repair: both
// plan a new document per role in check, write it in apply only if the role still holds what
// check read (compare-and-set), journal what they replaced before each write, wait for IAM to
// settle, and on rollback put back what they replaced unless someone changed it since.
import { GetRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { isNotFound, sleep, type Change, type RevertPlan, type TaskContext, type TaskError, type TaskErrorOptions } from '../kit/index.js';
import { decodePolicy, prettyPolicy, samePolicy, type PolicyDocument } from './trust-policy.js';

/** one role's planned update: its document as check read it, and the one to write */
export interface TrustWrite {
  name: string;
  before: PolicyDocument;
  after: PolicyDocument;
}

/** journaled per role under 'previous': what kfup replaced and what it wrote */
export type TrustJournal = Record<string, { before: PolicyDocument; after: PolicyDocument }>;

export interface TrustPersisted {
  previous: TrustJournal;
}

/** a role to restore: the document kfup wrote (as revert.check saw it) and the one it replaced */
export interface TrustRestore {
  name: string;
  now: PolicyDocument;
  doc: PolicyDocument;
}

/** the task type's own messages these helpers raise: each task words them for what it did */
export type TrustErrorId = 'noTrustPolicy' | 'changedSinceCheck' | 'revertConflict' | 'changedSinceRevertCheck';
export type TrustErrors = (id: TrustErrorId, data: Record<string, unknown>, options?: TaskErrorOptions) => TaskError;

type Ctx = TaskContext<TrustPersisted>;

async function currentPolicy(iam: IAMClient, name: string): Promise<PolicyDocument | undefined> {
  const raw = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role?.AssumeRolePolicyDocument;
  return raw ? decodePolicy(raw) : undefined;
}

/**
 * Writes each planned document, if the role still holds the one check read; journals the
 * replaced document before each write, then waits `settleSeconds` for IAM to propagate.
 */
export async function writeTrustPolicies(ctx: Ctx, writes: TrustWrite[], opts: { settleSeconds: number; verb: string; error: TrustErrors }): Promise<void> {
  const previous: TrustJournal = { ...(ctx.recall('previous') ?? {}) };
  const iam = ctx.aws(IAMClient);
  for (const w of writes) {
    const current = await currentPolicy(iam, w.name);
    if (current && samePolicy(current, w.after)) continue; // written by an earlier attempt of this run
    if (!current || !samePolicy(current, w.before)) throw opts.error('changedSinceCheck', { name: w.name }, { retryable: true });
    // journaled before the write: a kill right after it still leaves what rollback needs
    previous[w.name] = { before: w.before, after: w.after };
    ctx.persist('previous', previous);
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: w.name, PolicyDocument: JSON.stringify(w.after) }));
    ctx.log(`${opts.verb} the trust policy of role ${w.name}`);
  }
  // IAM is eventually consistent: a change "may not be immediately visible" everywhere
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency),
  // and nothing tells when STS sees it. The next steps (pods on the cluster that assume these
  // roles) depend on it: wait a while.
  if (writes.length && opts.settleSeconds > 0) {
    ctx.progress(`waiting ${opts.settleSeconds} s for IAM to propagate the new trust`);
    await sleep(opts.settleSeconds * 1000, ctx.signal);
  }
}

/**
 * Rollback's plan: each journaled role whose policy is still the one kfup wrote gets back the one
 * it replaced. A role changed since (or deleted) is a conflict: nothing is restored then.
 */
export async function planTrustRestore(
  ctx: Ctx,
  previous: TrustJournal,
  opts: { error: TrustErrors; /** e.g. "kfup updated it" */ changedAfter: string; summary: string },
): Promise<{ changes: Change[]; data: TrustRestore[] }> {
  const iam = ctx.aws(IAMClient);
  const changes: Change[] = [];
  const restore: TrustRestore[] = [];
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
    if (!raw) throw opts.error('noTrustPolicy', { name });
    const current = decodePolicy(raw);
    if (samePolicy(current, before)) continue; // already restored
    if (!samePolicy(current, after)) {
      conflicts.push(`${name} (its trust policy changed after ${opts.changedAfter})`);
      continue;
    }
    restore.push({ name, now: current, doc: before });
    changes.push({ action: 'update', target: `iam role ${name}`, summary: opts.summary, before: prettyPolicy(current), after: prettyPolicy(before) });
  }
  if (conflicts.length) throw opts.error('revertConflict', { conflicts: conflicts.join('; ') });
  return { changes, data: restore };
}

/** Rollback's apply: each planned restore, if the role still holds what the plan saw */
export async function restoreTrustPolicies(ctx: Ctx, restores: TrustRestore[], error: TrustErrors): Promise<void> {
  const iam = ctx.aws(IAMClient);
  for (const r of restores) {
    const current = await currentPolicy(iam, r.name);
    if (current && samePolicy(current, r.doc)) continue; // restored by an earlier attempt
    if (!current || !samePolicy(current, r.now)) throw error('changedSinceRevertCheck', { name: r.name }, { retryable: true });
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: r.name, PolicyDocument: JSON.stringify(r.doc) }));
    ctx.log(`restored the trust policy of role ${r.name}`);
  }
}

/** what the revert methods need of their task type (`this`, as defineTask binds it) */
interface TrustTask {
  error(id: TrustErrorId, data?: Record<string, unknown>, options?: TaskErrorOptions): TaskError;
}

/**
 * The `revert` of a task type whose apply wrote with writeTrustPolicies: the journaled roles get
 * back what they had, worded for what the task did (e.g. changedAfter "kfup repaired it").
 */
export function trustPolicyRevert(wording: { changedAfter: string; summary: string }) {
  return {
    check(this: TrustTask, record: { persisted: Partial<TrustPersisted> }, ctx: Ctx): Promise<RevertPlan<TrustRestore[]>> {
      return planTrustRestore(ctx, record.persisted.previous ?? {}, { ...wording, error: (id, data, o) => this.error(id, data, o) });
    },
    apply(this: TrustTask, _record: unknown, ctx: Ctx, plan: RevertPlan<TrustRestore[]>): Promise<void> {
      return restoreTrustPolicies(ctx, plan.data ?? [], (id, data, o) => this.error(id, data, o));
    },
  };
}
