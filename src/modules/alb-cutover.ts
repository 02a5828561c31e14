// alb-cutover: moves the users from blue to green ("Update DNS records" in the upgrade guide).
// Two different things move, and the parameters keep them apart:
// - the ALB listener rule of the upgrade module's alb_redirection, which redirects the stable alias
//   (kubelow_alias) to the active cluster's platform hostname: from blue's kubelow_platform_domain
//   to green's (`rule`). Host names, not load balancers: Cognito's callback URLs must match the
//   host the browser ends up on. Only the redirect's Host changes; the rule's conditions and its
//   other actions are kept (ModifyRule is sent the whole action list, conditions untouched).
// - Route 53 records that point at a cluster's load balancer: the KServe tutorial's serving
//   records (*.<namespace>.<domain> CNAMEs to the serving ingress's load balancer, `serving`) and
//   any others (`records`, e.g. the Cognito apex alias). Each names its own target: a value, or
//   the address of an Ingress on green. Aliases get the load balancer's canonical hosted zone id
//   from ELBv2. All are UPSERTed in one change batch, waited on until INSYNC.
// Before any change it checks that green's platform hostname resolves in the zone and that the
// rule points at blue (or at green already). What it replaced goes into the journal, so `revert`
// (kfup rollback) is the fail-back to blue.
import { ElasticLoadBalancingV2Client, DescribeRulesCommand, ModifyRuleCommand, type Action, type Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ChangeResourceRecordSetsCommand, Route53Client, type Change as R53Change, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { defineTask, jsonEqual, TaskError, unlessNotFound, Unknown, type Change, type TaskContext } from './kit/index.js';
import type { AlbCutoverOutputs, AlbCutoverParams } from './generated/alb-cutover.js';
import { plainDnsName, sameDnsName } from './alb/dns-name.js';
import { ingressAddress, ingressLabel } from './alb/ingress-address.js';
import { checkRecordName, desiredRecord, findRecord, findZone, hostResolves, listRecords, recordTarget, recordView, sameRecordSet, servingNamespaces, type RecordSpec } from './alb/records.js';
import { aliasTargetOf } from './alb/load-balancer.js';
import { findRule, redirectHosts, retarget, ruleLabel } from './alb/rule.js';
import { waitInsync } from './alb/wait-sync.js';

/** the rule as check found it and as apply sets it; journaled (persisted 'rule') for revert */
interface ReplacedRule {
  arn: string;
  label: string;
  before: Action[];
  after: Action[];
}
/** the records as check found them (null: absent) and as apply sets them; journaled as 'records' */
interface ReplacedRecords {
  zoneId: string;
  zoneName: string;
  items: { before: ResourceRecordSet | null; after: ResourceRecordSet }[];
}

/** what check found to change */
interface Data {
  rule?: ReplacedRule;
  records?: ReplacedRecords;
}

/** what apply journals, before each write */
interface Persisted {
  rule: ReplacedRule;
  records: ReplacedRecords;
  /** the Route 53 change id of the UPSERT */
  change: string;
}

/** what rolling back changes: the rule's actions as revert.check saw them and the ones to put back; one Route 53 batch */
interface RevertData {
  rule?: { arn: string; label: string; now: Action[]; back: Action[] };
  records?: { zoneId: string; batch: R53Change[] };
}

/** a rule's redirects as compared, shown and journaled: the configs, without absent fields */
const redirectView = (actions: Action[]) =>
  actions.filter((a) => a.Type === 'redirect').map((a) => Object.fromEntries(Object.entries(a.RedirectConfig ?? {}).filter(([, v]) => v !== undefined)));
const sameActions = (a: Action[], b: Action[]) => jsonEqual(redirectView(a), redirectView(b));
const recordTargetName = (zone: string, rr: ResourceRecordSet) => `route53 ${zone} ${plainDnsName(rr.Name ?? '')} ${rr.Type}`;
const shown = (rr: ResourceRecordSet | null | undefined) => (rr ? recordTarget(rr) : '(absent)');
const timeoutMs = (p: AlbCutoverParams) => p.sync_timeout_seconds * 1000;
const servingName = (ns: string, domain: string) => `*.${ns}.${plainDnsName(domain)}`;

/**
 * The records to point at green, each with its target: `records` as given (a value, or the address
 * of its to_ingress), then the serving records, whose names are the namespaces given or, when none
 * are, found in the zone by what they point at (blue's serving load balancer, or green's already).
 */
async function resolveRecords(p: AlbCutoverParams, ctx: TaskContext, zoneRecords: ResourceRecordSet[], notes: string[]): Promise<RecordSpec[]> {
  const waitMs = p.ingress_timeout_seconds * 1000;
  const out: RecordSpec[] = [];
  for (const r of p.records) {
    if (r.value) out.push({ name: r.name, type: r.type, value: r.value, ttl: r.ttl, alias_zone_id: r.alias_zone_id, source: 'value' });
    else if (r.to_ingress) {
      const value = await ingressAddress(ctx, r.to_ingress, waitMs);
      out.push({ name: r.name, type: r.type, value, ttl: r.ttl, alias_zone_id: r.alias_zone_id, source: ingressLabel(r.to_ingress) });
    }
  }
  const sv = p.serving;
  if (!sv) return out;
  const to = await ingressAddress(ctx, sv.to_ingress, waitMs);
  let namespaces = sv.namespaces;
  if (!namespaces.length) {
    if (!sv.from_ingress) throw new TaskError('serving: give the namespaces, or from_ingress to find their records', { code: 'servingUnknown', hint: "from_ingress is blue's serving ingress (the KServe tutorial's istio-ingress-api with Cognito, istio-ingress without)" });
    const from = await ingressAddress(ctx, sv.from_ingress, waitMs);
    const addresses = [from, to].filter((a): a is string => !!a);
    namespaces = servingNamespaces(zoneRecords, sv.domain, addresses);
    notes.push(namespaces.length ? `serving records found for ${namespaces.join(', ')} (*.<namespace>.${plainDnsName(sv.domain)} pointing at ${addresses.join(' or ')})` : `no serving record (*.<namespace>.${plainDnsName(sv.domain)} CNAME) points at ${addresses.join(' or ') || 'the serving ingresses'}`);
  }
  for (const ns of namespaces) out.push({ name: servingName(ns, sv.domain), type: 'CNAME', value: to, ttl: sv.ttl, source: ingressLabel(sv.to_ingress) });
  return out;
}

export default defineTask<AlbCutoverParams, AlbCutoverOutputs, Data, Persisted, RevertData>({
  name: 'alb-cutover',
  messages: {
    sameHosts: 'rule.from_host and rule.to_host are both {{host}}',
    notResolving: "green's host {{host}} does not resolve in hosted zone {{zone}}",
    noRedirect: 'listener rule {{rule}} has no redirect action',
    ruleElsewhere: "listener rule {{rule}} redirects to {{targets}}, neither blue's {{from}} nor green's {{to}}",
    ruleGone: 'listener rule {{rule}} is gone',
    ruleChanged: 'listener rule {{rule}} changed since check (now redirects to {{targets}}); run again to re-plan',
    recordChanged: 'record {{name}} {{type}} changed since check (now {{now}}); run again to re-plan',
    ruleMovedOn: 'listener rule {{rule}} now redirects to {{targets}}, not what the cut-over set; not reverting it',
  },

  describe(p) {
    const { from_host: from, to_host: to } = p.rule;
    const rule = p.rule_arn ? `rule ${p.rule_arn}` : `the rule of ${p.load_balancer} ${p.listener_arn ? `listener ${p.listener_arn}` : `port ${p.listener_port}`} that redirects to ${from}`;
    const lines = [`check that ${to} resolves in hosted zone ${p.hosted_zone}`, `switch ${rule} to redirect to ${to}`];
    const target = (r: { value?: string; to_ingress?: { cluster: string; namespace: string; name: string } }) => r.value ?? (r.to_ingress ? `the address of ${ingressLabel(r.to_ingress)}` : '?');
    for (const r of p.records) lines.push(`UPSERT ${r.name} ${r.type} -> ${target(r)} in ${p.hosted_zone}`);
    const sv = p.serving;
    if (sv) {
      const names = sv.namespaces.length ? sv.namespaces.map((ns) => servingName(ns, sv.domain)).join(', ') : `the *.<namespace>.${plainDnsName(sv.domain)} CNAMEs pointing at ${sv.from_ingress ? `the address of ${ingressLabel(sv.from_ingress)}` : '?'}`;
      lines.push(`UPSERT ${names} -> the address of ${ingressLabel(sv.to_ingress)} in ${p.hosted_zone}`);
    }
    if ((p.records.length || sv) && p.wait_for_sync) lines.push('wait for the Route 53 change to be INSYNC');
    return lines;
  },

  async check(p, ctx) {
    if (sameDnsName(p.rule.from_host, p.rule.to_host)) throw this.error('sameHosts', { host: p.rule.to_host }, { hint: "rule.from_host is blue's platform hostname (its kubelow_platform_domain), rule.to_host green's" });
    const elb = ctx.aws(ElasticLoadBalancingV2Client);
    const r53 = ctx.aws(Route53Client);
    const hosts = { from: p.rule.from_host, to: p.rule.to_host };
    const notes: string[] = [];
    const changes: Change[] = [];
    const data: Data = {};

    // preconditions first, all of them, before anything is planned. The rule is looked up while
    // the zone is read (its failure, if any, is reported after the zone's)
    const ruleLookup = findRule(elb, p, hosts);
    ruleLookup.catch(() => undefined);
    const zone = await findZone(r53, p.hosted_zone);
    const records = await listRecords(r53, zone.id);
    const specs = await resolveRecords(p, ctx, records, notes);
    for (const spec of specs) checkRecordName(spec, zone);
    const resolves = hostResolves(records, zone, hosts.to);
    if (!resolves.ok) {
      throw this.error('notResolving', { host: plainDnsName(hosts.to), zone: zone.name }, {
        hint: `no record of the zone is named ${plainDnsName(hosts.to)} or points at it; green's deployment creates its platform hostname (kubeflow-<stage>.${zone.name}, its kubelow_platform_domain) before the cut-over`,
      });
    }
    notes.push(`${plainDnsName(hosts.to)} resolves in ${zone.name} (${resolves.via})`);

    const rule = await ruleLookup;
    const targets = redirectHosts(rule);
    const label = ruleLabel(rule);
    if (!targets.length) throw this.error('noRedirect', { rule: label }, { hint: 'rule_arn must name the rule that redirects users to the active cluster' });
    const atBlue = targets.some((h) => sameDnsName(h, hosts.from));
    const atGreen = targets.every((h) => sameDnsName(h, hosts.to));
    if (!atBlue && !atGreen) {
      throw this.error('ruleElsewhere', { rule: label, targets: targets.join(', '), from: hosts.from, to: hosts.to }, {
        hint: 'check rule.from_host and rule.to_host (platform hostnames); kfup does not switch a rule it cannot account for',
      });
    }
    const ruleArn = rule.RuleArn ?? p.rule_arn ?? '';
    if (atBlue) {
      const after = retarget(rule.Actions ?? [], hosts.from, hosts.to);
      data.rule = { arn: ruleArn, label, before: rule.Actions ?? [], after };
      changes.push({ action: 'update', target: `alb rule ${p.load_balancer} ${label}`, summary: `redirect host ${plainDnsName(hosts.from)} -> ${plainDnsName(hosts.to)}`, before: redirectView(rule.Actions ?? []), after: redirectView(after) });
      notes.push(`rule ${label}: redirects to ${targets.join(', ')} -> ${hosts.to}`);
    } else notes.push(`rule ${label}: redirects to ${hosts.to} already`);

    // an alias points at green's load balancer in that load balancer's canonical zone: read it
    // now, so that a missing load balancer stops the cut-over before the rule is switched
    const aliasZones = new Map<string, string>();
    for (const spec of specs.filter((r) => r.type !== 'CNAME' && !r.alias_zone_id && r.value !== undefined)) {
      const host = plainDnsName(spec.value!);
      if (aliasZones.has(host)) continue;
      const lb = await aliasTargetOf(elb, host);
      aliasZones.set(host, lb.zoneId);
      notes.push(`load balancer ${lb.dnsName} (${lb.type}) is in canonical hosted zone ${lb.zoneId}`);
    }
    const items: ReplacedRecords['items'] = [];
    for (const spec of specs) {
      const current = findRecord(records, spec.name, spec.type);
      if (spec.value === undefined) {
        // check mode, before the Ingress an earlier task creates has its load balancer
        const target = `the address of ${spec.source}, known after apply`;
        changes.push({ action: current ? 'update' : 'create', target: recordTargetName(zone.name, { Name: spec.name, Type: spec.type }), summary: `UPSERT: ${shown(current)} -> ${target}`, before: current ? recordView(current) : undefined });
        notes.push(`record ${plainDnsName(spec.name)} ${spec.type}: ${shown(current)} -> ${target}`);
        continue;
      }
      const want = desiredRecord(spec, current, aliasZones.get(plainDnsName(spec.value)));
      if (current && sameRecordSet(current, want)) {
        notes.push(`record ${plainDnsName(spec.name)} ${spec.type}: ${shown(current)} already`);
        continue;
      }
      items.push({ before: current ? recordView(current) : null, after: recordView(want) });
      changes.push({
        action: current ? 'update' : 'create',
        target: recordTargetName(zone.name, want),
        summary: `UPSERT: ${shown(current)} -> ${recordTarget(want)}${spec.source === 'value' ? '' : ` (the address of ${spec.source})`}`,
        before: current ? recordView(current) : undefined,
        after: recordView(want),
      });
      notes.push(`record ${plainDnsName(spec.name)} ${spec.type}: ${shown(current)} -> ${recordTarget(want)}`);
    }
    if (items.length) data.records = { zoneId: zone.id, zoneName: zone.name, items };
    const pending = specs.some((x) => x.value === undefined);
    const outputs = { rule_arn: ruleArn, active_host: plainDnsName(hosts.to), hosted_zone_id: zone.id, change_id: items.length || pending ? new Unknown('change_id') : null };
    return { changes, outputs, notes, data };
  },

  async apply(p, ctx, plan) {
    const data = plan.data ?? {};
    const elb = ctx.aws(ElasticLoadBalancingV2Client);
    const r53 = ctx.aws(Route53Client);
    // the records are read again (have they changed since check?) while the rule is
    const freshRecords = data.records ? listRecords(r53, data.records.zoneId) : undefined;
    freshRecords?.catch(() => undefined);
    if (data.rule) {
      const cur = await describeRule(elb, data.rule.arn);
      if (!cur) throw this.error('ruleGone', { rule: data.rule.label });
      if (!sameActions(cur.Actions ?? [], data.rule.before)) {
        if (!sameActions(cur.Actions ?? [], data.rule.after)) throw this.error('ruleChanged', { rule: data.rule.label, targets: redirectHosts(cur).join(', ') }, { retryable: true });
        ctx.log(`rule ${data.rule.label} was switched since check`);
      } else {
        ctx.persist('rule', data.rule);
        ctx.progress(`switching rule ${data.rule.label} to ${p.rule.to_host}`);
        await elb.send(new ModifyRuleCommand({ RuleArn: data.rule.arn, Actions: data.rule.after }));
      }
    }
    if (!data.records || !freshRecords) return {};
    const { zoneId, zoneName, items } = data.records;
    const fresh = await freshRecords;
    for (const it of items) {
      const cur = findRecord(fresh, it.after.Name ?? '', it.after.Type ?? '');
      const unchanged = it.before ? !!cur && sameRecordSet(cur, it.before) : !cur || sameRecordSet(cur, it.after);
      if (!unchanged) throw this.error('recordChanged', { name: it.after.Name, type: it.after.Type, now: shown(cur) }, { retryable: true });
    }
    ctx.persist('records', data.records);
    const batch: R53Change[] = items.map((it) => ({ Action: 'UPSERT', ResourceRecordSet: it.after }));
    ctx.progress(`UPSERT ${items.length} record(s) in ${zoneName}`);
    const res = await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: `kfup alb-cutover ${ctx.run.id}: to green`, Changes: batch } }));
    const changeId = res.ChangeInfo?.Id ?? '';
    ctx.persist('change', changeId);
    if (p.wait_for_sync && changeId) await waitInsync(ctx, r53, changeId, timeoutMs(p));
    return { change_id: changeId };
  },

  revert: {
    async check(record, ctx) {
      const { rule, records } = record.persisted;
      const changes: Change[] = [];
      const data: RevertData = {};
      if (rule) {
        const cur = await describeRule(ctx.aws(ElasticLoadBalancingV2Client), rule.arn);
        if (!cur) throw this.error('ruleGone', { rule: rule.label });
        const now = cur.Actions ?? [];
        if (!sameActions(now, rule.before)) {
          if (!sameActions(now, rule.after)) throw this.error('ruleMovedOn', { rule: rule.label, targets: redirectHosts(cur).join(', ') });
          data.rule = { arn: rule.arn, label: rule.label, now, back: rule.before };
          changes.push({
            action: 'update',
            target: `alb rule ${record.params.load_balancer} ${rule.label}`,
            summary: `redirect back to ${redirectHosts({ Actions: rule.before }).join(', ')}`,
            before: redirectView(now),
            after: redirectView(rule.before),
          });
        }
      }
      if (records) {
        const fresh = await listRecords(ctx.aws(Route53Client), records.zoneId);
        const batch: R53Change[] = [];
        for (const it of records.items) {
          const cur = findRecord(fresh, it.after.Name ?? '', it.after.Type ?? '');
          if (it.before === null) {
            // created by the cut-over: delete it, exactly as it is now (Route 53 wants the values)
            if (cur && sameRecordSet(cur, it.after)) {
              batch.push({ Action: 'DELETE', ResourceRecordSet: cur });
              changes.push({ action: 'delete', target: recordTargetName(records.zoneName, it.after), summary: 'delete the record the cut-over created', before: recordView(cur) });
            }
          } else if (!cur || !sameRecordSet(cur, it.before)) {
            batch.push({ Action: 'UPSERT', ResourceRecordSet: it.before });
            changes.push({ action: 'update', target: recordTargetName(records.zoneName, it.before), summary: `UPSERT back to ${recordTarget(it.before)}`, before: cur ? recordView(cur) : undefined, after: it.before });
          }
        }
        if (batch.length) data.records = { zoneId: records.zoneId, batch };
      }
      return { changes, data };
    },

    async apply(record, ctx, plan) {
      const { rule, records } = plan.data ?? {};
      if (rule) {
        const elb = ctx.aws(ElasticLoadBalancingV2Client);
        const cur = await describeRule(elb, rule.arn);
        if (!cur) throw this.error('ruleGone', { rule: rule.label });
        if (!sameActions(cur.Actions ?? [], rule.back)) {
          if (!sameActions(cur.Actions ?? [], rule.now)) throw this.error('ruleMovedOn', { rule: rule.label, targets: redirectHosts(cur).join(', ') });
          await elb.send(new ModifyRuleCommand({ RuleArn: rule.arn, Actions: rule.back }));
        }
      }
      if (records) {
        // one batch: Route 53 applies all of it or none (a DELETE of a record changed since fails it)
        const r53 = ctx.aws(Route53Client);
        const res = await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: records.zoneId, ChangeBatch: { Comment: `kfup rollback of alb-cutover ${record.runId}`, Changes: records.batch } }));
        const changeId = res.ChangeInfo?.Id;
        if (record.params.wait_for_sync && changeId) await waitInsync(ctx, r53, changeId, timeoutMs(record.params));
      }
    },
  },
});

/** the rule by ARN, or undefined when it no longer exists */
async function describeRule(elb: ElasticLoadBalancingV2Client, arn: string): Promise<Rule | undefined> {
  return (await unlessNotFound(elb.send(new DescribeRulesCommand({ RuleArns: [arn] }))))?.Rules?.[0];
}
