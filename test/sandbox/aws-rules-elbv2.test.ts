// ELBv2's documented rules for listener rule actions, sent by the real SDK client (ModifyRule):
// - RedirectActionConfig (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RedirectActionConfig.html):
//   #{protocol} #{host} #{port} #{path} #{query} only, Host may use #{host}, Path is absolute with
//   #{host} #{path} #{port}, Protocol HTTP/HTTPS/#{protocol} (never HTTPS to HTTP), Port 1-65535
//   or #{port}, StatusCode HTTP_301/HTTP_302, and no redirect loop;
// - Action (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Action.html):
//   exactly one forward, fixed-response or redirect per rule, performed last;
// - ModifyRule (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyRule.html):
//   a list given replaces the whole list; what is not given is unchanged.

import { ElasticLoadBalancingV2Client, ModifyRuleCommand, type Action, type RedirectActionConfig } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkRuleActions } from '../../src/sandbox/aws/services/elbv2-actions.js';
import type { Rule } from '../../src/sandbox/aws/state.js';
import { startAws, type AwsFixture } from './aws-helpers.js';
import { forbidden } from './forbidden-input.js';

let f: AwsFixture;
let elb: ElasticLoadBalancingV2Client;
let rule: Rule;
let seeded: string;
beforeAll(async () => {
  f = await startAws();
  elb = new ElasticLoadBalancingV2Client(f.cfg());
  rule = [...f.emulator.state.elbv2.rules.values()].find((r) => !r.IsDefault)!;
  seeded = JSON.stringify(rule);
});
afterAll(async () => {
  await f?.emulator.stop();
});
afterEach(() => {
  Object.assign(rule, JSON.parse(seeded));
});

const base = (): RedirectActionConfig => ({ Protocol: 'HTTPS', Port: '443', Host: f.scenario.green.ingressHost, Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_302' });
const redirect = (over: Partial<RedirectActionConfig> = {}): Action => ({ Type: 'redirect', RedirectConfig: { ...base(), ...over } });
const modify = (Actions: Action[]) => elb.send(new ModifyRuleCommand({ RuleArn: rule.RuleArn, Actions }));

async function refusal(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!e) throw new Error('the request was accepted');
  return { name: (e as Error).name, message: (e as Error).message };
}

describe('ELBv2 redirect actions (RedirectActionConfig)', () => {
  it.each<[string, Partial<RedirectActionConfig>]>([
    ['an unknown keyword', { Host: '#{hostname}.example.com' }],
    ['#{path} in Host (Host may use only #{host})', { Host: '#{path}.example.com' }],
    ['#{query} in Path (Path may use #{host}, #{path}, #{port})', { Path: '/#{query}' }],
    ['a relative Path', { Path: 'green/#{path}' }],
    ['Port 0', { Port: '0' }],
    ['Port 65536', { Port: '65536' }],
    ['a Port that is no number', { Port: 'https' }],
    ['HTTPS redirected to HTTP', { Protocol: 'HTTP' }],
    ['a redirect that changes nothing (it would loop)', { Protocol: '#{protocol}', Host: '#{host}', Port: '#{port}', Path: '/#{path}' }],
  ])('%s is InvalidLoadBalancerAction, and the rule is unchanged', async (_what, over) => {
    const err = await refusal(modify([redirect(over)]));
    expect(err.name).toBe('InvalidLoadBalancerActionException');
    expect(JSON.stringify(rule)).toBe(seeded);
  });

  it.each<[string, Partial<RedirectActionConfig>]>([
    ['Protocol FTP', { Protocol: 'FTP' }],
    ['StatusCode HTTP_307', { StatusCode: forbidden('HTTP_307') }],
    ['no StatusCode', { StatusCode: undefined }],
  ])('%s is a ValidationError', async (_what, over) => {
    expect((await refusal(modify([redirect(over)]))).name).toBe('ValidationError');
  });

  it('the documented keywords where each field allows them, Port #{port} and 1..65535, are accepted', async () => {
    await modify([redirect({ Host: 'green.#{host}', Path: '/kf/#{host}/#{port}/#{path}', Query: '#{query}&from=#{protocol}-#{host}-#{port}-#{path}', Port: '#{port}', Protocol: '#{protocol}' })]);
    await modify([redirect({ Port: '1', StatusCode: 'HTTP_301' })]);
    await modify([redirect({ Port: '65535' })]);
    expect(rule.Actions[0].RedirectConfig).toMatchObject({ Port: '65535', Host: f.scenario.green.ingressHost });
  });
});

describe('ELBv2 rule actions (Action: exactly one routing action, performed last)', () => {
  const forward: Action = { Type: 'forward', TargetGroupArn: `arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/green/0123456789abcdef` };
  const fixed: Action = { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'upgrading' } };

  it('two redirects in one rule are refused', async () => {
    const err = await refusal(modify([{ ...redirect(), Order: 1 }, { ...redirect({ Host: 'other.example.com' }), Order: 2 }]));
    expect(err.name).toBe('InvalidLoadBalancerActionException');
    expect(err.message).toMatch(/exactly one forward, redirect or fixed-response action/);
  });

  it('a redirect together with a forward (or a fixed response) is refused', async () => {
    expect((await refusal(modify([{ ...forward, Order: 1 }, { ...redirect(), Order: 2 }]))).name).toBe('InvalidLoadBalancerActionException');
    expect((await refusal(modify([redirect(), fixed]))).name).toBe('InvalidLoadBalancerActionException');
  });

  it('an authentication action is allowed before the routing one on an HTTPS listener, not after it', async () => {
    const auth: Action = { Type: 'authenticate-cognito', AuthenticateCognitoConfig: { UserPoolArn: 'arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_AbCdEfGhI', UserPoolClientId: 'client', UserPoolDomain: 'auth' } };
    await modify([{ ...auth, Order: 1 }, { ...redirect(), Order: 2 }]);
    expect(rule.Actions.map((a) => a.Type)).toEqual(['authenticate-cognito', 'redirect']);
    const err = await refusal(modify([{ ...redirect(), Order: 1 }, { ...auth, Order: 2 }]));
    expect(err.message).toMatch(/must be the last action/);
  });
});

describe('ModifyRule replaces the whole list it is given (ModifyRule reference)', () => {
  it('Actions given replace all actions; Conditions alone leave the actions as they were', async () => {
    await modify([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'upgrading' } }]);
    expect(rule.Actions).toEqual([{ Type: 'fixed-response', Order: 1, FixedResponseConfig: { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'upgrading' } }]);
    const actions = JSON.stringify(rule.Actions);
    await elb.send(new ModifyRuleCommand({ RuleArn: rule.RuleArn, Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [f.scenario.subdomain] } }] }));
    expect(JSON.stringify(rule.Actions)).toBe(actions);
    expect(rule.Conditions).toHaveLength(1);
  });

  it('every seeded rule passes the same checks', () => {
    for (const r of f.emulator.state.elbv2.rules.values()) {
      const listener = f.emulator.state.elbv2.listeners.get(r.ListenerArn);
      expect(() => checkRuleActions(r.Actions, listener?.Protocol)).not.toThrow();
    }
  });
});
