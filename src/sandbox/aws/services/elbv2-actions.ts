// The documented rules for a listener rule's actions that the ELBv2 model does not carry (it
// types RedirectConfig's members as free strings, and Actions as a list of any length):
//
// - "Each rule must include exactly one of the following routing actions: forward,
//   fixed-response, or redirect, and it must be the last action to be performed"; before it, an
//   HTTPS listener's rule may have one authentication action (Action, ELBv2 API reference
//   https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Action.html, and the
//   ALB guide's "Listener rules" https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-action-types.html).
//   So at most one redirect per rule, and never a redirect together with a forward.
// - RedirectActionConfig (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RedirectActionConfig.html):
//   the reserved keywords are #{protocol}, #{host}, #{port}, #{path} and #{query}; Host may use
//   #{host}; Path is absolute and may use #{host}, #{path} and #{port}; Query any keyword;
//   Protocol is HTTP, HTTPS or #{protocol}, and HTTPS cannot be redirected to HTTP; Port is 1 to
//   65535 or #{port}; StatusCode HTTP_301 or HTTP_302 is required; at least one of protocol,
//   host, port or path must change, or the redirect would loop.

import type { RuleAction } from '../state.js';
import { AwsError } from '../wire.js';

const ROUTING = new Set(['forward', 'fixed-response', 'redirect']);
const AUTH = new Set(['authenticate-oidc', 'authenticate-cognito', 'jwt-validation']);
const KEYWORDS = ['protocol', 'host', 'port', 'path', 'query'];

const invalid = (message: string) => new AwsError('InvalidLoadBalancerAction', message);
const validation = (message: string) => new AwsError('ValidationError', message);

/** the #{...} keywords a value uses; an unknown one is refused outright */
function keywordsIn(value: string, field: string): string[] {
  const used = [...value.matchAll(/#\{([^}]*)\}/g)].map((m) => m[1]);
  const unknown = used.find((k) => !KEYWORDS.includes(k));
  if (unknown !== undefined) throw invalid(`The redirect ${field} '${value}' contains the unknown keyword '#{${unknown}}'; the reserved keywords are ${KEYWORDS.map((k) => `#{${k}}`).join(', ')}`);
  return used;
}

function onlyKeywords(value: string, field: string, allowed: string[]): void {
  const bad = keywordsIn(value, field).find((k) => !allowed.includes(k));
  if (bad) throw invalid(`The redirect ${field} '${value}' cannot contain #{${bad}}${allowed.length ? `; it can contain ${allowed.map((k) => `#{${k}}`).join(', ')}` : ''}`);
}

function checkRedirect(a: RuleAction, listenerProtocol: string | undefined): void {
  const rc = a.RedirectConfig;
  if (!rc) throw validation('A redirect configuration must be specified for a redirect action');
  if (!['HTTP_301', 'HTTP_302'].includes(rc.StatusCode)) {
    throw validation(`1 validation error detected: Value '${rc.StatusCode}' at 'redirectConfig.statusCode' failed to satisfy constraint: Member must satisfy enum value set: [HTTP_301, HTTP_302]`);
  }
  for (const [field, v] of [['host', rc.Host], ['path', rc.Path], ['query', rc.Query]] as const) {
    if (v !== undefined && (field === 'query' ? v.length > 128 : v.length < 1 || v.length > 128)) throw validation(`The redirect ${field} must be ${field === 'query' ? 'at most' : '1 to'} 128 characters long`);
  }
  if (rc.Protocol !== undefined) {
    if (!/^(HTTPS?|#\{protocol\})$/.test(rc.Protocol)) throw validation(`Protocol '${rc.Protocol}' must be one of HTTP, HTTPS or #{protocol}`);
    if (rc.Protocol === 'HTTP' && listenerProtocol === 'HTTPS') throw invalid('A redirect from HTTPS to HTTP is not allowed');
  }
  if (rc.Port !== undefined && rc.Port !== '#{port}') {
    const n = Number(rc.Port);
    if (!/^\d+$/.test(rc.Port) || n < 1 || n > 65535) throw invalid(`The redirect port '${rc.Port}' must be a number from 1 to 65535, or #{port}`);
  }
  if (rc.Host !== undefined) onlyKeywords(rc.Host, 'host', ['host']);
  if (rc.Path !== undefined) {
    if (!rc.Path.startsWith('/')) throw invalid(`The redirect path '${rc.Path}' must be absolute (start with '/')`);
    onlyKeywords(rc.Path, 'path', ['host', 'path', 'port']);
  }
  if (rc.Query !== undefined) keywordsIn(rc.Query, 'query');
  const same = (v: string | undefined, dflt: string) => v === undefined || v === dflt;
  if (same(rc.Protocol, '#{protocol}') && same(rc.Host, '#{host}') && same(rc.Port, '#{port}') && same(rc.Path, '/#{path}')) {
    throw invalid('The redirect must change at least one of protocol, host, port or path, or it would loop');
  }
}

/** throws as ELBv2 does for a rule's action list it refuses (CreateRule, ModifyRule) */
export function checkRuleActions(actions: RuleAction[], listenerProtocol: string | undefined): void {
  if (actions.length === 0) throw validation("1 validation error detected: Value '[]' at 'actions' failed to satisfy constraint: Member must have length greater than or equal to 1");
  for (const a of actions) {
    if (!ROUTING.has(a.Type) && !AUTH.has(a.Type)) throw invalid(`The action type '${a.Type}' is not valid`);
    if (a.Type === 'redirect') checkRedirect(a, listenerProtocol);
    if (a.Type === 'forward' && !a.TargetGroupArn && !a.ForwardConfig) throw validation('A target group ARN must be specified for a forward action');
    if (a.Type === 'fixed-response' && !a.FixedResponseConfig) throw validation('A fixed response configuration must be specified');
  }
  const routing = actions.filter((a) => ROUTING.has(a.Type));
  if (routing.length !== 1) {
    throw invalid(`A rule must have exactly one forward, redirect or fixed-response action, but it has ${routing.length ? routing.map((a) => a.Type).join(', ') : 'none'}`);
  }
  if (actions.filter((a) => AUTH.has(a.Type)).length > 1) throw new AwsError('TooManyActions', 'A rule can have at most one authentication action');
  if (actions.some((a) => AUTH.has(a.Type)) && listenerProtocol !== 'HTTPS') throw invalid('Authentication actions are supported only on HTTPS listeners');
  // the routing action is the last one performed: the highest Order (list position when not given)
  const ordered = actions.map((a, i) => ({ a, order: a.Order ?? i + 1 })).sort((x, y) => x.order - y.order);
  if (new Set(ordered.map((x) => x.order)).size !== ordered.length) throw invalid('Each action of a rule must have a different Order');
  if (!ROUTING.has(ordered[ordered.length - 1].a.Type)) throw invalid(`The ${routing[0].Type} action must be the last action to be performed`);
}
