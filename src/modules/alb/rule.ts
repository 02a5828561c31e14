// Finding the ALB listener rule that redirects users to the active cluster: by ARN, or on the
// load balancer's listener (by ARN or port) as the one rule whose redirect host is one of the
// hosts given (blue's, or green's when the cut-over happened already).
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  paginateDescribeListeners,
  paginateDescribeRules,
  type Action,
  type ElasticLoadBalancingV2Client,
  type Listener,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AlbCutoverParams } from '../generated/alb-cutover.js';
import { TaskError, allPages, isNotFound, unlessNotFound } from '../kit/index.js';
import { sameDnsName } from './dns-name.js';

/** the task's parameters that say where the rule is */
export type RuleLookup = Pick<AlbCutoverParams, 'load_balancer' | 'listener_port' | 'listener_arn' | 'rule_arn'>;

/** the redirect hosts of a rule's actions */
export const redirectHosts = (rule: Rule): string[] => (rule.Actions ?? []).filter((a) => a.Type === 'redirect' && a.RedirectConfig?.Host).map((a) => a.RedirectConfig!.Host!);

export const ruleLabel = (rule: Rule): string => `priority ${rule.Priority ?? '?'} (${rule.RuleArn})`;

/** the rule's actions with every redirect to `from` sent to `to` instead; the rest unchanged */
export function retarget(actions: Action[], from: string, to: string): Action[] {
  return actions.map((a) => (a.Type === 'redirect' && a.RedirectConfig?.Host && sameDnsName(a.RedirectConfig.Host, from) ? { ...a, RedirectConfig: { ...a.RedirectConfig, Host: to } } : a));
}

async function listenerOf(elb: ElasticLoadBalancingV2Client, q: RuleLookup): Promise<Listener> {
  if (q.listener_arn) {
    const found = (await unlessNotFound(elb.send(new DescribeListenersCommand({ ListenerArns: [q.listener_arn] }))))?.Listeners?.[0];
    if (!found) throw new TaskError(`listener ${q.listener_arn} not found`, { code: 'listenerNotFound', hint: 'listener_arn is the ARN of a listener of load_balancer, in the region of targets.aws' });
    return found;
  }
  const lbNotFound = () =>
    new TaskError(`load balancer "${q.load_balancer}" not found`, { code: 'loadBalancerNotFound', hint: 'load_balancer is the ALB name (not its DNS name), in the region of targets.aws' });
  let lbArn: string | undefined;
  try {
    lbArn = (await elb.send(new DescribeLoadBalancersCommand({ Names: [q.load_balancer] }))).LoadBalancers?.[0]?.LoadBalancerArn;
  } catch (e) {
    if (isNotFound(e)) throw lbNotFound();
    throw e;
  }
  if (!lbArn) throw lbNotFound();
  const listeners: Listener[] = await allPages(paginateDescribeListeners({ client: elb }, { LoadBalancerArn: lbArn }), (p) => p.Listeners);
  const port = q.listener_port;
  const found = listeners.find((l) => l.Port === port);
  if (!found) {
    throw new TaskError(`load balancer ${q.load_balancer} has no listener on port ${port}`, {
      code: 'noListener',
      hint: `its listeners: ${listeners.map((l) => `${l.Protocol} ${l.Port}`).join(', ') || 'none'}; set listener_port or listener_arn`,
    });
  }
  return found;
}

/** the one rule to cut over, and where it was found */
export async function findRule(elb: ElasticLoadBalancingV2Client, q: RuleLookup, hosts: { from: string; to: string }): Promise<Rule> {
  if (q.rule_arn) {
    const ruleNotFound = () => new TaskError(`listener rule ${q.rule_arn} not found`, { code: 'ruleNotFound' });
    let rule: Rule | undefined;
    try {
      rule = (await elb.send(new DescribeRulesCommand({ RuleArns: [q.rule_arn] }))).Rules?.[0];
    } catch (e) {
      if (isNotFound(e)) throw ruleNotFound();
      throw e;
    }
    if (!rule) throw ruleNotFound();
    return rule;
  }
  const listener = await listenerOf(elb, q);
  const rules: Rule[] = await allPages(paginateDescribeRules({ client: elb }, { ListenerArn: listener.ListenerArn }), (p) => p.Rules);
  const matching = rules.filter((r) => redirectHosts(r).some((h) => sameDnsName(h, hosts.from) || sameDnsName(h, hosts.to)));
  if (matching.length === 1) return matching[0];
  const where = `listener ${listener.Protocol} ${listener.Port} of ${q.load_balancer}`;
  if (!matching.length) {
    const seen = rules.flatMap((r) => redirectHosts(r).map((h) => `${h} (priority ${r.Priority})`));
    throw new TaskError(`no rule on ${where} redirects to ${hosts.from} or ${hosts.to}`, {
      code: 'noRule',
      hint: seen.length ? `its redirect rules point at: ${seen.join(', ')}; check rule.from_host, or name the rule with rule_arn` : 'it has no redirect rules; name the rule with rule_arn',
    });
  }
  throw new TaskError(`${matching.length} rules on ${where} redirect to ${hosts.from} or ${hosts.to}: ${matching.map(ruleLabel).join(', ')}`, { code: 'severalRules', hint: 'name the one to switch with rule_arn' });
}
