// The pure parts of alb-cutover: DNS name forms as Route 53 returns them, and which host a
// record points at.
import { describe, expect, it } from 'vitest';
import { inZone, plainDnsName, sameDnsName, targetHost } from '../../src/modules/alb/dns-name.js';
import { desiredRecord, hostResolves } from '../../src/modules/alb/records.js';

describe('alb-cutover DNS names', () => {
  it('reads Route 53 escapes, case and trailing dots as one name', () => {
    expect(plainDnsName('\\052.Platform.Example.com.')).toBe('*.platform.example.com');
    expect(sameDnsName('\\052.platform.example.com.', '*.PLATFORM.example.com')).toBe(true);
    expect(targetHost('dualstack.K8s-x.us-west-2.elb.amazonaws.com.')).toBe('k8s-x.us-west-2.elb.amazonaws.com');
    expect(inZone('platform.example.com.', 'platform.example.com')).toBe(true);
    expect(inZone('xplatform.example.com', 'platform.example.com')).toBe(false);
  });

  it('keeps an alias in its dualstack form and its TTL-less shape, in green’s load balancer’s zone (not blue’s)', () => {
    const cur = { Name: 'platform.example.com.', Type: 'A' as const, AliasTarget: { HostedZoneId: 'Z1', DNSName: 'dualstack.blue.elb.amazonaws.com.', EvaluateTargetHealth: true } };
    expect(desiredRecord({ name: 'platform.example.com', type: 'A', ttl: 300 }, cur, { from: 'blue.elb.amazonaws.com', to: 'green.elb.amazonaws.com' }, 'Z2')).toEqual({
      Name: 'platform.example.com', Type: 'A', AliasTarget: { HostedZoneId: 'Z2', DNSName: 'dualstack.green.elb.amazonaws.com', EvaluateTargetHealth: true },
    });
    expect(() => desiredRecord({ name: 'platform.example.com', type: 'A', ttl: 300 }, cur, { from: 'a', to: 'b' })).toThrow(/needs the hosted zone id of the load balancer/);
  });

  it('green resolves by its own record name inside the zone or by a record pointing at it', () => {
    const zone = { id: 'Z', name: 'platform.example.com' };
    const records = [{ Name: 'green.platform.example.com.', Type: 'CNAME' as const, TTL: 300, ResourceRecords: [{ Value: 'k8s-green.elb.amazonaws.com' }] }];
    expect(hostResolves(records, zone, 'k8s-green.elb.amazonaws.com')).toEqual({ ok: true, via: 'green.platform.example.com CNAME' });
    expect(hostResolves(records, zone, 'green.platform.example.com')).toMatchObject({ ok: true });
    expect(hostResolves(records, zone, 'k8s-blue.elb.amazonaws.com').ok).toBe(false);
    expect(hostResolves(records, zone, 'other.platform.example.com').ok).toBe(false);
  });
});
