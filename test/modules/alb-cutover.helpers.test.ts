// The pure parts of alb-cutover: DNS name forms as Route 53 returns them, and which host a
// record points at.
import { describe, expect, it } from 'vitest';
import { inZone, plainDnsName, sameDnsName, targetHost } from '../../src/modules/alb/dns-name.js';
import { desiredRecord, hostResolves, servingNamespaces } from '../../src/modules/alb/records.js';

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
    const spec = { name: 'platform.example.com', type: 'A' as const, ttl: 300, value: 'green.elb.amazonaws.com', source: 'value' };
    expect(desiredRecord(spec, cur, 'Z2')).toEqual({
      Name: 'platform.example.com', Type: 'A', AliasTarget: { HostedZoneId: 'Z2', DNSName: 'dualstack.green.elb.amazonaws.com', EvaluateTargetHealth: true },
    });
    // a new alias takes Route 53's dualstack form; a value that says its form keeps it
    expect(desiredRecord(spec, undefined, 'Z2').AliasTarget?.DNSName).toBe('dualstack.green.elb.amazonaws.com');
    expect(desiredRecord({ ...spec, value: 'dualstack.green.elb.amazonaws.com' }, { ...cur, AliasTarget: { ...cur.AliasTarget, DNSName: 'blue.elb.amazonaws.com.' } }, 'Z2').AliasTarget?.DNSName).toBe('dualstack.green.elb.amazonaws.com');
    expect(() => desiredRecord(spec, cur)).toThrow(/needs the hosted zone id of the load balancer/);
  });

  it('green resolves by its own record name inside the zone or by a record pointing at it', () => {
    const zone = { id: 'Z', name: 'platform.example.com' };
    const records = [{ Name: 'green.platform.example.com.', Type: 'CNAME' as const, TTL: 300, ResourceRecords: [{ Value: 'k8s-green.elb.amazonaws.com' }] }];
    expect(hostResolves(records, zone, 'k8s-green.elb.amazonaws.com')).toEqual({ ok: true, via: 'green.platform.example.com CNAME' });
    expect(hostResolves(records, zone, 'green.platform.example.com')).toMatchObject({ ok: true });
    expect(hostResolves(records, zone, 'k8s-blue.elb.amazonaws.com').ok).toBe(false);
    expect(hostResolves(records, zone, 'other.platform.example.com').ok).toBe(false);
  });

  // KServe tutorial, "Add DNS records": a CNAME *.<namespace>.<subdomain> to the serving ingress's address
  // (awslabs/kubeflow-manifests website/content/en/docs/component-guides/kserve/tutorial.md)
  it('finds the KServe tutorial\'s serving records: *.<namespace>.<domain> CNAMEs to blue\'s or green\'s serving load balancer', () => {
    const cname = (name: string, value: string) => ({ Name: name, Type: 'CNAME' as const, TTL: 300, ResourceRecords: [{ Value: value }] });
    const records = [
      cname('\\052.staging.platform.example.com.', 'k8s-blue-api.elb.amazonaws.com'),
      cname('\\052.prod.platform.example.com.', 'k8s-green-api.elb.amazonaws.com'),
      cname('\\052.other.platform.example.com.', 'k8s-elsewhere.elb.amazonaws.com'),
      cname('\\052.a.b.platform.example.com.', 'k8s-blue-api.elb.amazonaws.com'),
      cname('\\052.platform.example.com.', 'k8s-blue-api.elb.amazonaws.com'),
      cname('x.team.platform.example.com.', 'k8s-blue-api.elb.amazonaws.com'),
    ];
    expect(servingNamespaces(records, 'platform.example.com', ['k8s-blue-api.elb.amazonaws.com', 'k8s-green-api.elb.amazonaws.com'])).toEqual(['prod', 'staging']);
  });
});
