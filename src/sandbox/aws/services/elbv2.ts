// Elastic Load Balancing v2 over awsQuery: the ALB, its listeners and rules, and ModifyRule
// (the cut-over from blue to green rewrites a rule's redirect host).

import { rpcService } from '../service.js';
import type { AuthenticateConfig, Rule, RuleAction, RuleCondition } from '../state.js';
import { AwsError, isoTime, qList, qStr, unflattenQuery, type QueryValue } from '../wire.js';

type Q = Record<string, QueryValue>;

const strList = (v: QueryValue | undefined): string[] => qList(v).filter((x): x is string => typeof x === 'string');

/**
 * an authenticate-cognito/-oidc configuration as the query protocol sends it: its string members,
 * SessionTimeout (a Long) and the AuthenticationRequestExtraParams map (entry.N.key / entry.N.value)
 */
function authConfigIn(c: Q | undefined): AuthenticateConfig | undefined {
  if (!c) return undefined;
  const out: AuthenticateConfig = {};
  for (const [k, v] of Object.entries(c)) {
    if (k === 'SessionTimeout') out[k] = Number(qStr(v));
    else if (k === 'AuthenticationRequestExtraParams') {
      const map: Record<string, string> = {};
      for (const e of qList((v as Q).entry)) map[qStr((e as Q).key) ?? ''] = qStr((e as Q).value) ?? '';
      out[k] = map;
    } else if (typeof qStr(v) === 'string') out[k] = qStr(v)!;
  }
  return out;
}

function actionIn(a: Q): RuleAction {
  const rc = a.RedirectConfig as Q | undefined;
  const fr = a.FixedResponseConfig as Q | undefined;
  const type = qStr(a.Type);
  if (!type) throw new AwsError('ValidationError', "1 validation error detected: Value null at 'actions.member.type' failed to satisfy constraint: Member must not be null");
  return {
    Type: type,
    Order: a.Order !== undefined ? Number(qStr(a.Order)) : undefined,
    TargetGroupArn: qStr(a.TargetGroupArn),
    ForwardConfig: a.ForwardConfig
      ? { TargetGroups: qList((a.ForwardConfig as Q).TargetGroups).map((t) => ({ TargetGroupArn: qStr((t as Q).TargetGroupArn) ?? '', Weight: (t as Q).Weight !== undefined ? Number(qStr((t as Q).Weight)) : undefined })) }
      : undefined,
    RedirectConfig: rc
      ? { Protocol: qStr(rc.Protocol), Port: qStr(rc.Port), Host: qStr(rc.Host), Path: qStr(rc.Path), Query: qStr(rc.Query), StatusCode: qStr(rc.StatusCode) ?? '' }
      : undefined,
    FixedResponseConfig: fr ? { StatusCode: qStr(fr.StatusCode) ?? '', ContentType: qStr(fr.ContentType), MessageBody: qStr(fr.MessageBody) } : undefined,
    AuthenticateCognitoConfig: authConfigIn(a.AuthenticateCognitoConfig as Q | undefined),
    AuthenticateOidcConfig: authConfigIn(a.AuthenticateOidcConfig as Q | undefined),
  };
}

function conditionIn(c: Q): RuleCondition {
  const field = qStr(c.Field) ?? '';
  const hh = c.HostHeaderConfig as Q | undefined;
  const pp = c.PathPatternConfig as Q | undefined;
  const values = c.Values !== undefined ? strList(c.Values) : undefined;
  const out: RuleCondition = { Field: field, Values: values };
  if (field === 'host-header') out.HostHeaderConfig = { Values: hh ? strList(hh.Values) : (values ?? []) };
  if (field === 'path-pattern') out.PathPatternConfig = { Values: pp ? strList(pp.Values) : (values ?? []) };
  if (!out.Values) out.Values = out.HostHeaderConfig?.Values ?? out.PathPatternConfig?.Values;
  return out;
}

const ruleOut = (r: Rule) => ({ RuleArn: r.RuleArn, Priority: r.Priority, Conditions: r.Conditions, Actions: r.Actions, IsDefault: r.IsDefault });

export const elbv2 = rpcService(
  { name: 'elbv2', signingName: 'elasticloadbalancing', protocol: 'query', xmlns: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/' },
  {
    DescribeLoadBalancers: (input: Q, state) => {
      const names = strList(input.Names);
      const arns = strList(input.LoadBalancerArns);
      const all = [...state.elbv2.loadBalancers.values()];
      let found = all;
      if (names.length) {
        found = names.map((n) => all.find((lb) => lb.LoadBalancerName === n)!);
        if (found.some((x) => !x)) throw new AwsError('LoadBalancerNotFound', `Load balancers '[${names.filter((n) => !all.some((lb) => lb.LoadBalancerName === n)).join(', ')}]' not found`);
      } else if (arns.length) {
        found = arns.map((a) => state.elbv2.loadBalancers.get(a)!);
        if (found.some((x) => !x)) throw new AwsError('LoadBalancerNotFound', 'One or more load balancers not found');
      }
      return { LoadBalancers: found.map((lb) => ({ ...lb, CreatedTime: isoTime(lb.CreatedTime) })) };
    },
    DescribeListeners: (input: Q, state) => {
      const lbArn = qStr(input.LoadBalancerArn);
      const arns = strList(input.ListenerArns);
      if (!lbArn && !arns.length) throw new AwsError('ValidationError', 'You must specify either listener ARNs or a load balancer ARN');
      if (lbArn && !state.elbv2.loadBalancers.has(lbArn)) throw new AwsError('LoadBalancerNotFound', `Load balancer '${lbArn}' not found`);
      const all = [...state.elbv2.listeners.values()];
      const found = arns.length ? arns.map((a) => state.elbv2.listeners.get(a)) : all.filter((l) => l.LoadBalancerArn === lbArn);
      if (found.some((x) => !x)) throw new AwsError('ListenerNotFound', 'One or more listeners not found');
      return { Listeners: found };
    },
    DescribeRules: (input: Q, state) => {
      const listenerArn = qStr(input.ListenerArn);
      const arns = strList(input.RuleArns);
      if (!listenerArn && !arns.length) throw new AwsError('ValidationError', 'You must specify either listener rule ARNs or a listener ARN');
      if (listenerArn && !state.elbv2.listeners.has(listenerArn)) throw new AwsError('ListenerNotFound', `Listener '${listenerArn}' not found`);
      const found = arns.length
        ? arns.map((a) => state.elbv2.rule(a))
        : [...state.elbv2.rules.values()].filter((r) => r.ListenerArn === listenerArn).sort((a, b) => (a.IsDefault ? 1 : b.IsDefault ? -1 : Number(a.Priority) - Number(b.Priority)));
      return { Rules: found.map(ruleOut) };
    },
    ModifyRule: (input: Q, state) => {
      const arn = qStr(input.RuleArn);
      if (!arn) throw new AwsError('ValidationError', "1 validation error detected: Value null at 'ruleArn' failed to satisfy constraint: Member must not be null");
      const actions = input.Actions !== undefined ? qList(input.Actions).map((a) => actionIn(a as Q)) : undefined;
      const conditions = input.Conditions !== undefined ? qList(input.Conditions).map((c) => conditionIn(c as Q)) : undefined;
      return { Rules: [ruleOut(state.elbv2.modifyRule(arn, actions, conditions))] };
    },
  },
  (req) => new URLSearchParams(req.body).get('Action') ?? req.query.get('Action') ?? undefined,
  (req) => unflattenQuery(new URLSearchParams(req.body)),
);
