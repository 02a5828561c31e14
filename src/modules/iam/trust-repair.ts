// Verify-and-repair of IRSA trust on the live cluster, against Kubeflow's profile controller.
//
// The controller's AWS IAM plugin (kubeflow/kubeflow components/profile-controller/controllers/
// plugin_iam.go) reads only the FIRST statement of a role's trust policy: on every reconcile it
// looks there for its profile's default-editor subject, and when a Profile is created without it
// there, or deleted, it replaces the whole policy by one statement built from that first
// statement. So after the upgrade, creating or deleting a Profile drops every statement but the
// first; with blue's first, green's trust is gone. The answer here:
// - verify: every service account of the cluster that is annotated with a role (the profiles'
//   default-editor among them) must be trusted by a statement for the cluster's own OIDC
//   provider (sub condition naming it, or matching it with StringLike);
// - repair: add the missing subjects to the cluster's own statement (or create one, with
//   sts.amazonaws.com as audience and exactly the subjects needed), and put that statement
//   first, so that the controller on this cluster finds its subjects there and, when it does
//   rewrite, keeps this cluster's trust.
// Pure functions: no I/O here.
import { jsonEqual } from '../kit/index.js';
import { isProviderOf, type PolicyDocument, type Statement } from './trust-policy.js';

export interface TrustTarget {
  /** the cluster's issuer host, e.g. oidc.eks.us-west-2.amazonaws.com/id/ABC */
  host: string;
  /** its IAM OIDC provider's ARN */
  providerArn: string;
  /** the sub claims that must be trusted: system:serviceaccount:<ns>:<name> */
  subjects: string[];
  /** put the cluster's own statement first (what the profile controller reads) */
  first: boolean;
}

export interface RepairResult {
  doc: PolicyDocument;
  /** subjects no statement for the provider trusted */
  missing: string[];
  /** the cluster's statement was moved (or added) to the front */
  movedFirst: boolean;
  /** statements for the provider with no sub condition: any service account of the cluster may assume the role */
  unrestricted: number;
}

const WEB_IDENTITY = 'sts:AssumeRoleWithWebIdentity';
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const statementsOf = (doc: PolicyDocument): Statement[] => (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]);

/** the values of condition key `key` under operator `op` (IAM condition keys are case-insensitive) */
function conditionValues(st: Statement, op: string, key: string): string[] | undefined {
  const block = st.Condition?.[op];
  if (!block || typeof block !== 'object') return undefined;
  const found = Object.entries(block).find(([k]) => k.toLowerCase() === key.toLowerCase());
  return found ? asList(found[1]).map(String) : undefined;
}

/** StringLike's wildcards: * any run of characters, ? one character */
const likeMatches = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(value);

/** a statement that lets web identities of this provider assume the role */
function forProvider(st: Statement, t: Pick<TrustTarget, 'host'>): boolean {
  if (st.Effect !== 'Allow') return false;
  const p = st.Principal;
  const fed = p && typeof p === 'object' ? asList(p.Federated).map(String) : [];
  if (!fed.some((a) => isProviderOf(a, t.host))) return false;
  return asList(st.Action).some((a) => a === WEB_IDENTITY || a === 'sts:*' || a === '*');
}

/** does the statement trust this subject? no sub condition at all trusts every service account */
function trusts(st: Statement, host: string, subject: string): boolean {
  const key = `${host}:sub`;
  const eq = conditionValues(st, 'StringEquals', key);
  const like = conditionValues(st, 'StringLike', key);
  if (eq === undefined && like === undefined) return true;
  return !!eq?.includes(subject) || !!like?.some((p) => likeMatches(p, subject));
}

const hasSubCondition = (st: Statement, host: string): boolean =>
  conditionValues(st, 'StringEquals', `${host}:sub`) !== undefined || conditionValues(st, 'StringLike', `${host}:sub`) !== undefined;

/** the statement this cluster's subjects are kept in: one for the provider whose subjects are a StringEquals list */
const isOwn = (st: Statement, host: string): boolean => conditionValues(st, 'StringEquals', `${host}:sub`) !== undefined && conditionValues(st, 'StringLike', `${host}:sub`) === undefined;

/** the statement with `subjects` added to its StringEquals <host>:sub, the key spelled as it was (unchanged when it has them all) */
function withSubjects(st: Statement, host: string, subjects: string[]): Statement {
  const copy = JSON.parse(JSON.stringify(st)) as Statement;
  const block = copy.Condition!.StringEquals;
  const key = Object.keys(block).find((k) => k.toLowerCase() === `${host}:sub`.toLowerCase())!;
  const have = asList(block[key]).map(String);
  const add = subjects.filter((s) => !have.includes(s));
  // nothing to add: the statement stays as written (a single subject stays a string), so that it
  // still equals the mirror irsa-trust wrote and a later irsa-trust finds green already trusted
  if (!add.length) return st;
  block[key] = [...have, ...add];
  return copy;
}

function newStatement(t: TrustTarget, subjects: string[]): Statement {
  return {
    Effect: 'Allow',
    Principal: { Federated: t.providerArn },
    Action: WEB_IDENTITY,
    Condition: { StringEquals: { [`${t.host}:aud`]: 'sts.amazonaws.com', [`${t.host}:sub`]: subjects } },
  };
}

export function repairTrust(doc: PolicyDocument, t: TrustTarget): RepairResult {
  const statements = statementsOf(doc);
  const mine = statements.filter((st) => forProvider(st, t));
  const missing = t.subjects.filter((s) => !mine.some((st) => trusts(st, t.host, s)));
  const unrestricted = mine.filter((st) => !hasSubCondition(st, t.host)).length;
  const ownIndex = statements.findIndex((st) => forProvider(st, t) && isOwn(st, t.host));
  let out = [...statements];
  let movedFirst = false;
  if (ownIndex >= 0) {
    // the cluster's statement gets what is missing; first, it must hold every subject the profile
    // controller looks for there
    const needed = t.first ? t.subjects : missing;
    const updated = needed.length ? withSubjects(out[ownIndex], t.host, needed) : out[ownIndex];
    out[ownIndex] = updated;
    if (t.first && ownIndex > 0) {
      out.splice(ownIndex, 1);
      out.unshift(updated);
      movedFirst = true;
    }
  } else if (missing.length || (t.first && t.subjects.length)) {
    const created = newStatement(t, t.first ? t.subjects : missing);
    if (t.first) {
      out.unshift(created);
      movedFirst = true;
    } else out.push(created);
  }
  if (jsonEqual(out, statements)) out = statements;
  return { doc: out === statements ? doc : { ...doc, Statement: out }, missing, movedFirst, unrestricted };
}
