// alb-cutover: moves the users from blue to green ("Update DNS records" in the upgrade guide).
// The ALB listener rule that redirects the platform's hosts to the active cluster gets green's
// ingress host, and the Route 53 records given (the serving `*.<subdomain>` CNAME, and for
// Cognito deployments the subdomain apex alias) are UPSERTed to green's ingress in one change
// batch, waited on until INSYNC. Before any change it checks that green's host resolves in the
// zone and that the rule points at blue (or at green already). What it replaced goes into the
// journal, so `revert` (kfup rollback) is the fail-back to blue.
import { ElasticLoadBalancingV2Client, DescribeRulesCommand, ModifyRuleCommand, type Action, type Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ChangeResourceRecordSetsCommand, Route53Client, type Change as R53Change, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { defineTask, jsonEqual, unlessNotFound, Unknown, type Change } from './kit/index.js';
import type { AlbCutoverOutputs, AlbCutoverParams } from './generated/alb-cutover.js';
import { plainDnsName, sameDnsName } from './alb/dns-name.js';
import { checkRecordName, desiredRecord, findRecord, findZone, hostResolves, listRecords, recordTarget, recordView, sameRecordSet } from './alb/records.js';
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

export default defineTask<AlbCutoverParams, AlbCutoverOutputs, Data, Persisted, RevertData>({
  name: 'alb-cutover',
  messages: {
    sameHosts: 'from_host and to_host are both {{host}}',
    notResolving: "green's host {{host}} does not resolve in hosted zone {{zone}}",
    noRedirect: 'listener rule {{rule}} has no redirect action',
    ruleElsewhere: "listener rule {{rule}} redirects to {{targets}}, neither blue's {{from}} nor green's {{to}}",
    ruleGone: 'listener rule {{rule}} is gone',
    ruleChanged: 'listener rule {{rule}} changed since check (now redirects to {{targets}}); run again to re-plan',
    recordChanged: 'record {{name}} {{type}} changed since check (now {{now}}); run again to re-plan',
    ruleMovedOn: 'listener rule {{rule}} now redirects to {{targets}}, not what the cut-over set; not reverting it',
  },

  describe(p) {
    const rule = p.rule_arn ? `rule ${p.rule_arn}` : `the rule of ${p.load_balancer} ${p.listener_arn ? `listener ${p.listener_arn}` : `port ${p.listener_port}`} that redirects to ${p.from_host}`;
    const lines = [`check that ${p.to_host} resolves in hosted zone ${p.hosted_zone}`, `switch ${rule} to redirect to ${p.to_host}`];
    for (const r of p.records) lines.push(`UPSERT ${r.name} ${r.type} -> ${r.value ?? (r.type === 'CNAME' ? p.to_host : `alias of ${p.to_host}`)} in ${p.hosted_zone}`);
    if (p.records.length && p.wait_for_sync) lines.push('wait for the Route 53 change to be INSYNC');
    return lines;
  },

  async check(p, ctx) {
    if (sameDnsName(p.from_host, p.to_host)) throw this.error('sameHosts', { host: p.to_host }, { hint: "from_host is blue's ingress host, to_host green's" });
    const elb = ctx.aws(ElasticLoadBalancingV2Client);
    const r53 = ctx.aws(Route53Client);
    const hosts = { from: p.from_host, to: p.to_host };
    const notes: string[] = [];
    const changes: Change[] = [];
    const data: Data = {};

    // preconditions first, all of them, before anything is planned. The rule is looked up while
    // the zone is read (its failure, if any, is reported after the zone's)
    const ruleLookup = findRule(elb, p, hosts);
    ruleLookup.catch(() => undefined);
    const zone = await findZone(r53, p.hosted_zone);
    for (const spec of p.records) checkRecordName(spec, zone);
    const records = await listRecords(r53, zone.id);
    const resolves = hostResolves(records, zone, p.to_host);
    if (!resolves.ok) {
      throw this.error('notResolving', { host: plainDnsName(p.to_host), zone: zone.name }, {
        hint: `no record of the zone is named ${plainDnsName(p.to_host)} or points at it; create green's ingress record (e.g. green.${zone.name}) before the cut-over`,
      });
    }
    notes.push(`${plainDnsName(p.to_host)} resolves in ${zone.name} (${resolves.via})`);

    const rule = await ruleLookup;
    const targets = redirectHosts(rule);
    const label = ruleLabel(rule);
    if (!targets.length) throw this.error('noRedirect', { rule: label }, { hint: 'rule_arn must name the rule that redirects users to the active cluster' });
    const atBlue = targets.some((h) => sameDnsName(h, p.from_host));
    const atGreen = targets.every((h) => sameDnsName(h, p.to_host));
    if (!atBlue && !atGreen) {
      throw this.error('ruleElsewhere', { rule: label, targets: targets.join(', '), from: p.from_host, to: p.to_host }, {
        hint: 'check from_host and to_host; kfup does not switch a rule it cannot account for',
      });
    }
    const ruleArn = rule.RuleArn ?? p.rule_arn ?? '';
    if (atBlue) {
      const after = retarget(rule.Actions ?? [], p.from_host, p.to_host);
      data.rule = { arn: ruleArn, label, before: rule.Actions ?? [], after };
      changes.push({ action: 'update', target: `alb rule ${p.load_balancer} ${label}`, summary: `redirect to ${p.to_host} instead of ${p.from_host}`, before: redirectView(rule.Actions ?? []), after: redirectView(after) });
      notes.push(`rule ${label}: redirects to ${targets.join(', ')} -> ${p.to_host}`);
    } else notes.push(`rule ${label}: redirects to ${p.to_host} already`);

    // an alias points at green's load balancer in that load balancer's canonical zone: read it
    // now, so that a missing load balancer stops the cut-over before the rule is switched
    const aliasZones = new Map<string, string>();
    for (const spec of p.records.filter((r) => r.type !== 'CNAME' && !r.alias_zone_id)) {
      const host = plainDnsName(spec.value ?? p.to_host);
      if (aliasZones.has(host)) continue;
      const lb = await aliasTargetOf(elb, host);
      aliasZones.set(host, lb.zoneId);
      notes.push(`load balancer ${lb.dnsName} (${lb.type}) is in canonical hosted zone ${lb.zoneId}`);
    }
    const items: ReplacedRecords['items'] = [];
    for (const spec of p.records) {
      const current = findRecord(records, spec.name, spec.type);
      const want = desiredRecord(spec, current, hosts, aliasZones.get(plainDnsName(spec.value ?? p.to_host)));
      if (current && sameRecordSet(current, want)) {
        notes.push(`record ${plainDnsName(spec.name)} ${spec.type}: ${shown(current)} already`);
        continue;
      }
      items.push({ before: current ? recordView(current) : null, after: recordView(want) });
      changes.push({
        action: current ? 'update' : 'create',
        target: recordTargetName(zone.name, want),
        summary: `UPSERT to ${recordTarget(want)}`,
        before: current ? recordView(current) : undefined,
        after: recordView(want),
      });
      notes.push(`record ${plainDnsName(spec.name)} ${spec.type}: ${shown(current)} -> ${recordTarget(want)}`);
    }
    if (items.length) data.records = { zoneId: zone.id, zoneName: zone.name, items };
    const outputs = { rule_arn: ruleArn, active_host: plainDnsName(p.to_host), hosted_zone_id: zone.id, change_id: items.length ? new Unknown('change_id') : null };
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
        ctx.progress(`switching rule ${data.rule.label} to ${p.to_host}`);
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
    const res = await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: `kfup alb-cutover ${ctx.run.id}: to ${plainDnsName(p.to_host)}`, Changes: batch } }));
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
