// IRSA trust policies: decoding what IAM returns, and mirroring every statement that trusts the
// blue cluster's OIDC provider into one for green's provider, so the same role can be assumed
// from service accounts of either cluster. Pure functions: no I/O here.
import { jsonEqual } from '../kit/index.js';

export type Statement = Record<string, unknown> & {
  Sid?: string;
  Principal?: { Federated?: string | string[]; [k: string]: unknown } | string;
  Condition?: Record<string, Record<string, unknown>>;
};

export interface PolicyDocument {
  Version?: string;
  Statement: Statement[] | Statement;
  [k: string]: unknown;
}

/** IAM sends policy documents URL-encoded (RFC 3986); a document given as plain JSON is accepted too */
export function decodePolicy(raw: string): PolicyDocument {
  const text = raw.trimStart().startsWith('{') ? raw : decodeURIComponent(raw);
  const doc = JSON.parse(text) as PolicyDocument;
  if (!doc || typeof doc !== 'object' || !('Statement' in doc)) throw new Error('not an IAM policy document (no Statement)');
  return doc;
}

/** the document as --diff shows it: two-space JSON, key order as IAM keeps it */
export const prettyPolicy = (doc: PolicyDocument): string => `${JSON.stringify(doc, null, 2)}\n`;

/** two documents IAM treats alike (key order aside) */
export const samePolicy = (a: PolicyDocument, b: PolicyDocument): boolean => jsonEqual(a, b);

/** "https://oidc.eks.us-west-2.amazonaws.com/id/ABC" -> "oidc.eks.us-west-2.amazonaws.com/id/ABC" */
export const issuerHost = (issuer: string): string => issuer.replace(/^https?:\/\//, '').replace(/\/+$/, '');

/** whether a provider ARN (arn:aws:iam::ACCOUNT:oidc-provider/HOST) is the provider of this issuer host */
export const isProviderOf = (arn: string, host: string): boolean => arn.toLowerCase().endsWith(`:oidc-provider/${host.toLowerCase()}`);

const statementsOf = (doc: PolicyDocument): Statement[] => (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]);

function federated(st: Statement): string[] {
  const p = st.Principal;
  if (!p || typeof p !== 'object') return [];
  const f = p.Federated;
  return Array.isArray(f) ? f : typeof f === 'string' ? [f] : [];
}

export const trustsHost = (st: Statement, host: string): boolean => federated(st).some((a) => isProviderOf(a, host));

export interface MirrorTarget {
  blueHost: string;
  greenHost: string;
  greenProviderArn: string;
  /** appended to a mirrored statement's Sid (Sids must be unique in a policy) */
  sidSuffix: string;
}

/** blue's statement for green: the green provider as principal, condition keys on green's issuer */
export function mirrorStatement(st: Statement, t: MirrorTarget): Statement {
  const copy = JSON.parse(JSON.stringify(st)) as Statement;
  const principal = copy.Principal as { Federated?: string | string[] };
  principal.Federated = Array.isArray(principal.Federated)
    ? principal.Federated.map((a) => (isProviderOf(a, t.blueHost) ? t.greenProviderArn : a))
    : t.greenProviderArn;
  if (copy.Condition) {
    const prefix = `${t.blueHost.toLowerCase()}:`;
    for (const [op, block] of Object.entries(copy.Condition)) {
      if (!block || typeof block !== 'object') continue;
      copy.Condition[op] = Object.fromEntries(
        Object.entries(block).map(([key, value]) => [key.toLowerCase().startsWith(prefix) ? `${t.greenHost}:${key.slice(prefix.length)}` : key, value]),
      );
    }
  }
  if (typeof copy.Sid === 'string' && copy.Sid) copy.Sid = `${copy.Sid}${t.sidSuffix}`;
  return copy;
}

const withoutSid = (st: Statement): Statement => {
  const { Sid: _sid, ...rest } = st;
  return rest;
};

export interface MirrorResult {
  /** the new document (the same object when nothing was added) */
  doc: PolicyDocument;
  /** statements that trust blue */
  blue: number;
  /** mirrored statements added */
  added: number;
}

/**
 * Adds, right after each statement trusting blue, its mirror for green unless the document
 * already has an equivalent statement (same content apart from Sid). Running it on its own
 * output adds nothing.
 */
export function addGreenTrust(doc: PolicyDocument, t: MirrorTarget): MirrorResult {
  const statements = statementsOf(doc);
  const existing = statements.map(withoutSid);
  const out: Statement[] = [];
  let blue = 0;
  let added = 0;
  for (const st of statements) {
    out.push(st);
    if (!trustsHost(st, t.blueHost)) continue;
    blue++;
    const mirror = mirrorStatement(st, t);
    const bare = withoutSid(mirror);
    if (existing.some((e) => jsonEqual(e, bare))) continue;
    existing.push(bare);
    out.push(mirror);
    added++;
  }
  return { doc: added ? { ...doc, Statement: out } : doc, blue, added };
}

/** IAM's "Role trust policy length" quota by default (characters, white space not counted) */
export const DEFAULT_TRUST_POLICY_QUOTA = 2048;

/**
 * The size IAM counts against the trust policy quota: the document's characters apart from white
 * space (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 */
export const trustPolicySize = (doc: PolicyDocument): number => JSON.stringify(doc).replace(/\s/g, '').length;

const OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\//;

/**
 * Statements whose federated principals are all OIDC providers that no longer exist in IAM (the
 * clusters of earlier upgrades, deleted since), and the document without them. IAM resolves
 * principals when a policy is saved and refuses one naming a provider that does not exist, so a
 * stale statement would make every later update of the role fail; pruning it removes nothing that
 * still grants anything. A statement naming at least one existing provider, or any other principal,
 * is kept.
 */
export function pruneStale(doc: PolicyDocument, providerExists: (arn: string) => boolean): { doc: PolicyDocument; pruned: Statement[] } {
  const statements = statementsOf(doc);
  const pruned: Statement[] = [];
  const kept = statements.filter((st) => {
    const principals = federated(st);
    const stale = principals.length > 0 && principals.every((a) => OIDC_PROVIDER_ARN.test(a) && !providerExists(a));
    if (stale) pruned.push(st);
    return !stale;
  });
  // a policy needs a statement: one whose every statement is stale is left for a person to decide
  if (!pruned.length || !kept.length) return { doc, pruned: [] };
  return { doc: { ...doc, Statement: kept }, pruned };
}

/** the statement shortened for a message: its Sid, principal (an OIDC provider by its issuer id) and subjects */
export function statementLabel(st: Statement): string {
  const who = federated(st).map((a) => a.replace(/^arn:[^:]+:iam::\d{12}:oidc-provider\//, '').replace(/^.*\/id\//, 'oidc id/')).join(', ') || JSON.stringify(st.Principal);
  const subs: unknown[] = Object.values(st.Condition ?? {}).flatMap((block) =>
    Object.entries(block ?? {})
      .filter(([k]) => /:sub$/i.test(k))
      .flatMap(([, v]): unknown[] => (Array.isArray(v) ? (v as unknown[]) : [v])),
  );
  return `${st.Sid ? `${st.Sid}: ` : ''}${who}${subs.length ? ` sub ${subs.map(String).join(', ')}` : ''}`;
}
