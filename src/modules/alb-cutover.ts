// alb-cutover: moves the users from blue to green ("Update DNS records" in the upgrade guide).
// The ALB listener rule that redirects the platform's hosts to the active cluster gets green's
// ingress host, and the Route 53 records given (the serving `*.<subdomain>` CNAME, and for
// Cognito deployments the subdomain apex alias) are UPSERTed to green's ingress in one change
// batch, waited on until INSYNC. Before any change it checks that green's host resolves in the
// zone and that the rule points at blue (or at green already). What it replaced goes into the
// journal, so `revert` (kfup rollback) is the fail-back to blue.
import { ElasticLoadBalancingV2Client, DescribeRulesCommand, ModifyRuleCommand, type Action, type Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ChangeResourceRecordSetsCommand, Route53Client, type Change as R53Change, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { UserError } from '../runner/errors.js';
import { loadTaskSchema } from '../runner/load/package-root.js';
import type { Applied, Change, Context, Outputs, Plan, TaskModule } from '../runner/types.js';
import { plainDnsName, sameDnsName } from './alb/dns-name.js';
import {
  checkRecordName,
  desiredRecord,
  findRecord,
  findZone,
  hostResolves,
  listRecords,
  recordTarget,
  recordView,
  sameRecordSet,
  type RecordSpec,
} from './alb/records.js';
import { findRule, redirectHosts, retarget, ruleLabel } from './alb/rule.js';
import { waitInsync } from './alb/wait-sync.js';

export interface AlbCutoverParams {
  load_balancer: string;
  listener_port?: number;
  listener_arn?: string;
  rule_arn?: string;
  from_host: string;
  to_host: string;
  hosted_zone: string;
  records?: RecordSpec[];
  wait_for_sync?: boolean;
  sync_timeout_seconds?: number;
}

/** what apply replaced, in the journal for revert */
interface ReplacedRule {
  arn: string;
  label: string;
  before: Action[];
  after: Action[];
}
interface ReplacedRecords {
  zoneId: string;
  zoneName: string;
  items: { before: ResourceRecordSet | null; after: ResourceRecordSet }[];
}

interface Data {
  rule?: ReplacedRule;
  records?: ReplacedRecords;
}

const redirectView = (actions: Action[]) => actions.filter((a) => a.Type === 'redirect').map((a) => ({ ...a.RedirectConfig }));
const sameActions = (a: Action[], b: Action[]) => JSON.stringify(redirectView(a)) === JSON.stringify(redirectView(b));
const recordTargetName = (zone: string, rr: ResourceRecordSet) => `route53 ${zone} ${plainDnsName(rr.Name ?? '')} ${rr.Type}`;
const shown = (rr: ResourceRecordSet | null | undefined) => (rr ? recordTarget(rr) : '(absent)');
const syncOpts = (p: { sync_timeout_seconds?: number }) => ({ timeoutMs: (p.sync_timeout_seconds ?? 600) * 1000 });

async function describeRule(elb: ElasticLoadBalancingV2Client, arn: string): Promise<Rule> {
  const rule = (await elb.send(new DescribeRulesCommand({ RuleArns: [arn] }))).Rules?.[0];
  if (!rule) throw new Error(`listener rule ${arn} is gone`);
  return rule;
}

const albCutover: TaskModule<AlbCutoverParams> = {
  name: 'alb-cutover',
  schema: loadTaskSchema('alb-cutover'),

  describe(p) {
    const rule = p.rule_arn ? `rule ${p.rule_arn}` : `the rule of ${p.load_balancer} ${p.listener_arn ? `listener ${p.listener_arn}` : `port ${p.listener_port ?? 443}`} that redirects to ${p.from_host}`;
    const lines = [
      `check that ${p.to_host} resolves in hosted zone ${p.hosted_zone}`,
      `switch ${rule} to redirect to ${p.to_host}`,
    ];
    for (const r of p.records ?? []) lines.push(`UPSERT ${r.name} ${r.type} -> ${r.value ?? (r.type === 'CNAME' ? p.to_host : `alias of ${p.to_host}`)} in ${p.hosted_zone}`);
    if (p.records?.length && p.wait_for_sync !== false) lines.push('wait for the Route 53 change to be INSYNC');
    return lines;
  },

  async check(p, ctx) {
    if (sameDnsName(p.from_host, p.to_host)) throw new UserError(`from_host and to_host are both ${p.to_host}`, { hint: 'from_host is blue\'s ingress host, to_host green\'s' });
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
    for (const spec of p.records ?? []) checkRecordName(spec, zone);
    const records = await listRecords(r53, zone.id);
    const resolves = hostResolves(records, zone, p.to_host);
    if (!resolves.ok) {
      throw new UserError(`green's host ${plainDnsName(p.to_host)} does not resolve in hosted zone ${zone.name}`, {
        hint: `no record of the zone is named ${plainDnsName(p.to_host)} or points at it; create green's ingress record (e.g. green.${zone.name}) before the cut-over`,
        exitCode: 1,
      });
    }
    notes.push(`${plainDnsName(p.to_host)} resolves in ${zone.name} (${resolves.via})`);

    const rule = await ruleLookup;
    const targets = redirectHosts(rule);
    const label = ruleLabel(rule);
    if (!targets.length) throw new UserError(`listener rule ${label} has no redirect action`, { hint: 'rule_arn must name the rule that redirects users to the active cluster', exitCode: 1 });
    const atBlue = targets.some((h) => sameDnsName(h, p.from_host));
    const atGreen = targets.every((h) => sameDnsName(h, p.to_host));
    if (!atBlue && !atGreen) {
      throw new UserError(`listener rule ${label} redirects to ${targets.join(', ')}, neither blue's ${p.from_host} nor green's ${p.to_host}`, {
        hint: 'check from_host and to_host; kfup does not switch a rule it cannot account for',
        exitCode: 1,
      });
    }
    if (atBlue) {
      const after = retarget(rule.Actions ?? [], p.from_host, p.to_host);
      data.rule = { arn: rule.RuleArn!, label, before: rule.Actions ?? [], after };
      changes.push({ action: 'update', target: `alb rule ${p.load_balancer} ${label}`, summary: `redirect to ${p.to_host} instead of ${p.from_host}`, before: redirectView(rule.Actions ?? []), after: redirectView(after) });
      notes.push(`rule ${label}: redirects to ${targets.join(', ')} -> ${p.to_host}`);
    } else notes.push(`rule ${label}: redirects to ${p.to_host} already`);

    const items: ReplacedRecords['items'] = [];
    for (const spec of p.records ?? []) {
      const current = findRecord(records, spec.name, spec.type);
      const want = desiredRecord(spec, current, hosts);
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
    return { changes, outputs: { rule_arn: rule.RuleArn, active_host: plainDnsName(p.to_host), hosted_zone_id: zone.id }, notes, data };
  },

  async apply(p, ctx, plan: Plan): Promise<Outputs> {
    const data = (plan.data ?? {}) as Data;
    const elb = ctx.aws(ElasticLoadBalancingV2Client);
    const r53 = ctx.aws(Route53Client);
    const outputs: Outputs = { ...plan.outputs };
    // the records are read again (have they changed since check?) while the rule is
    const freshRecords = data.records ? listRecords(r53, data.records.zoneId) : undefined;
    freshRecords?.catch(() => undefined);
    if (data.rule) {
      const cur = await describeRule(elb, data.rule.arn);
      if (!sameActions(cur.Actions ?? [], data.rule.before)) {
        if (sameActions(cur.Actions ?? [], data.rule.after)) ctx.log(`rule ${data.rule.label} was switched since check`);
        else throw new Error(`listener rule ${data.rule.label} changed since check (now redirects to ${redirectHosts(cur).join(', ')}); run again to re-plan`);
      } else {
        ctx.persist('rule', data.rule);
        ctx.progress(`switching rule ${data.rule.label} to ${p.to_host}`);
        await elb.send(new ModifyRuleCommand({ RuleArn: data.rule.arn, Actions: data.rule.after }));
      }
    }
    if (data.records) {
      const { zoneId, items } = data.records;
      const fresh = (await freshRecords)!;
      for (const it of items) {
        const cur = findRecord(fresh, it.after.Name!, it.after.Type!);
        const unchanged = it.before ? !!cur && sameRecordSet(cur, it.before) : !cur || sameRecordSet(cur, it.after);
        if (!unchanged) throw new Error(`record ${it.after.Name} ${it.after.Type} changed since check (now ${shown(cur)}); run again to re-plan`);
      }
      ctx.persist('records', data.records);
      const batch: R53Change[] = items.map((it) => ({ Action: 'UPSERT', ResourceRecordSet: it.after }));
      ctx.progress(`UPSERT ${items.length} record(s) in ${data.records.zoneName}`);
      const res = await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: `kfup alb-cutover ${ctx.run.id}: to ${plainDnsName(p.to_host)}`, Changes: batch } }));
      const changeId = res.ChangeInfo!.Id!;
      ctx.persist('change', changeId);
      outputs.change_id = changeId;
      if (p.wait_for_sync !== false) await waitInsync(ctx, r53, changeId, syncOpts(p));
    }
    return outputs;
  },

  async revert(record: Applied, ctx: Context): Promise<Change[]> {
    const p = (record.params ?? {}) as Partial<AlbCutoverParams>;
    const rule = record.persisted.rule as ReplacedRule | undefined;
    const recs = record.persisted.records as ReplacedRecords | undefined;
    const changes: Change[] = [];
    const elb = rule ? ctx.aws(ElasticLoadBalancingV2Client) : undefined;
    const r53 = recs ? ctx.aws(Route53Client) : undefined;
    let ruleBack: Action[] | undefined;
    if (rule && elb) {
      const cur = await describeRule(elb, rule.arn);
      if (!sameActions(cur.Actions ?? [], rule.before)) {
        if (!sameActions(cur.Actions ?? [], rule.after)) {
          throw new Error(`listener rule ${rule.label} now redirects to ${redirectHosts(cur).join(', ')}, not what the cut-over set; not reverting it`);
        }
        ruleBack = rule.before;
        changes.push({ action: 'update', target: `alb rule ${p.load_balancer ?? ''} ${rule.label}`.replace(/\s+/g, ' '), summary: `redirect back to ${redirectHosts({ Actions: rule.before }).join(', ')}`, before: redirectView(cur.Actions ?? []), after: redirectView(rule.before) });
      }
    }
    const batch: R53Change[] = [];
    if (recs && r53) {
      const fresh = await listRecords(r53, recs.zoneId);
      for (const it of recs.items) {
        const cur = findRecord(fresh, it.after.Name!, it.after.Type!);
        if (it.before === null) {
          // created by the cut-over: delete it, exactly as it is now (Route 53 wants the values)
          if (cur && sameRecordSet(cur, it.after)) {
            batch.push({ Action: 'DELETE', ResourceRecordSet: cur });
            changes.push({ action: 'delete', target: recordTargetName(recs.zoneName, it.after), summary: 'delete the record the cut-over created', before: recordView(cur) });
          }
        } else if (!cur || !sameRecordSet(cur, it.before)) {
          batch.push({ Action: 'UPSERT', ResourceRecordSet: it.before });
          changes.push({ action: 'update', target: recordTargetName(recs.zoneName, it.before), summary: `UPSERT back to ${recordTarget(it.before)}`, before: cur ? recordView(cur) : undefined, after: it.before });
        }
      }
    }
    if (ctx.mode !== 'run') return changes;
    if (ruleBack && elb && rule) await elb.send(new ModifyRuleCommand({ RuleArn: rule.arn, Actions: ruleBack }));
    if (batch.length && r53 && recs) {
      const res = await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: recs.zoneId, ChangeBatch: { Comment: `kfup rollback of alb-cutover ${record.runId}`, Changes: batch } }));
      if (p.wait_for_sync !== false) await waitInsync(ctx, r53, res.ChangeInfo!.Id!, syncOpts(p));
    }
    return changes;
  },
};

export default albCutover;
