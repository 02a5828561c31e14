// IAM's documented rules for a role's trust policy (AssumeRolePolicyDocument), which the service
// model does not carry (it only says "a string of 1 to 131072 characters"):
//
// - its size counts against the account's quota "Role trust policy length", 2,048 characters by
//   default, white space not counted; over it IAM answers LimitExceeded (HTTP 409, per the model's
//   LimitExceededException) "Cannot exceed quota for ACLSizePerRole: 2048".
//   Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
// - a document that is not a policy is MalformedPolicyDocument (HTTP 400): invalid JSON, a wrong
//   Version, a statement without Effect, Principal or Action, or with a Resource (trust policies
//   have none). Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
//   and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
// - a principal IAM cannot resolve is refused when the policy is saved: a Federated principal
//   naming an OIDC provider of this account that does not exist gets MalformedPolicyDocument
//   `Invalid principal in policy: "Federated":"arn:..."` (IAM resolves ARN principals on save, as
//   the Principal element page says for roles; providers are resolved the same way).

import { AwsError } from '../wire.js';

/** a principal as checkTrustPolicy accepts it: "*" or a map of kind to one name or a list of names */
export type TrustPrincipal = '*' | Partial<Record<'AWS' | 'Service' | 'Federated' | 'CanonicalUser', string | string[]>>;

/** one statement of a trust policy IAM accepted (the keys STATEMENT_KEYS allows, minus the prohibited Resource) */
export interface TrustStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: TrustPrincipal;
  NotPrincipal?: TrustPrincipal;
  Action?: string | string[];
  NotAction?: string | string[];
  /** operator (StringEquals ...) to condition key to value(s); IAM leaves the values' JSON type open */
  Condition?: Record<string, Record<string, unknown>>;
}

/** a trust policy IAM accepted, its Statement always as a list (IAM also takes a single statement) */
export interface TrustPolicy {
  Version?: string;
  Statement: TrustStatement[];
}

/** the Federated principal a statement names (irsa-trust and the profile controller write one), or undefined */
export const federatedPrincipal = (st: TrustStatement): string | string[] | undefined => (st.Principal === '*' ? undefined : st.Principal?.Federated);

/** the default of the "Role trust policy length" quota (characters, white space not counted) */
export const DEFAULT_TRUST_POLICY_QUOTA = 2048;

export interface TrustPolicyContext {
  accountId: string;
  /** the account's "Role trust policy length" quota */
  quota: number;
  oidcProviderExists: (arn: string) => boolean;
}

const malformed = (message: string) => new AwsError('MalformedPolicyDocument', message, 400);

/** the size IAM counts against the quota: every character but white space */
export const policySize = (doc: string): number => doc.replace(/\s/g, '').length;

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);

/** throws the error IAM answers for a trust policy it refuses; returns nothing when it accepts it */
export function checkTrustPolicy(document: string, ctx: TrustPolicyContext): void {
  // IAM's character set for policy documents: tab, LF, CR and U+0020..U+00FF (quotas page)
  if (/[^\t\n\r\u0020-\u00ff]/.test(document)) throw malformed('The policy contains characters outside the allowed set');
  let doc: unknown;
  try {
    doc = JSON.parse(document);
  } catch {
    throw malformed('This policy contains invalid Json');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw malformed('Syntax errors in policy.');
  const policy = doc as Record<string, unknown>;
  if (policy.Version !== undefined && policy.Version !== '2012-10-17' && policy.Version !== '2008-10-17') {
    throw malformed('The policy must contain a valid version string');
  }
  if (policy.Statement === undefined) throw malformed('Missing required field Statement');
  const statements = asList(policy.Statement);
  if (!statements.length) throw malformed('Missing required field Statement');
  for (const raw of statements) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw malformed('Syntax errors in policy.');
    const st = raw as Record<string, unknown>;
    if (Object.keys(st).some((k) => !STATEMENT_KEYS.has(k))) throw malformed('Syntax errors in policy.');
    if (st.Effect === undefined) throw malformed('Missing required field Effect');
    // the client's Effect may be any JSON value; it is echoed as String() shows it
    // eslint-disable-next-line @typescript-eslint/no-base-to-string
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw malformed(`Invalid effect: ${String(st.Effect)}`);
    if (st.Resource !== undefined || st.NotResource !== undefined) throw malformed('Has prohibited field Resource');
    if (st.Action === undefined && st.NotAction === undefined) throw malformed('Missing required field Action');
    if (st.Principal === undefined && st.NotPrincipal === undefined) throw malformed('Missing required field Principal');
    checkPrincipal(st.Principal ?? st.NotPrincipal, ctx);
  }
  // the quota is checked once the document is a policy at all, as IAM reports a malformed one first
  const size = policySize(document);
  if (size > ctx.quota) throw new AwsError('LimitExceeded', `Cannot exceed quota for ACLSizePerRole: ${ctx.quota}`, 409);
}

function checkPrincipal(principal: unknown, ctx: TrustPolicyContext): void {
  if (principal === '*') return;
  if (!principal || typeof principal !== 'object' || Array.isArray(principal)) throw malformed('Syntax errors in policy.');
  for (const [kind, value] of Object.entries(principal as Record<string, unknown>)) {
    if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(kind)) throw malformed(`Invalid principal in policy: "${kind}"`);
    for (const v of asList(value)) {
      if (typeof v !== 'string' || !v) throw malformed('Syntax errors in policy.');
      if (kind !== 'Federated') continue;
      const provider = /^arn:aws[a-z-]*:iam::(\d{12}):(oidc-provider|saml-provider)\/(.+)$/.exec(v);
      if (!provider) {
        // a web identity provider is named by its domain (cognito-identity.amazonaws.com, accounts.google.com ...)
        if (/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(v)) continue;
        throw malformed('Federated principals must be valid domain names or SAML metadata ARNs');
      }
      if (provider[2] === 'oidc-provider' && provider[1] === ctx.accountId && !ctx.oidcProviderExists(v)) {
        throw malformed(`Invalid principal in policy: "Federated":"${v}"`);
      }
    }
  }
}
