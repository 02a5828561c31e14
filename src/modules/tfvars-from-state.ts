// tfvars-from-state: collects the production deployment's values (VPC, subnets, security group,
// EFS/FSx, S3, RDS, Cognito) from its Terraform state or from AWS, writes upgrade.tfvars and merges
// the values into the new deployment's *.auto.tfvars in place: the idempotent form of
// `get_state_variables.py` + `cat upgrade.tfvars >> sample.auto.tfvars`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { defineTask, hclValue, isHclIdentifier, packagePath, renderString, Unknown, type Change, type TaskContext } from './kit/index.js';
import type { TfvarsFromStateOutputs, TfvarsFromStateParams as TfvarsParams } from './generated/tfvars-from-state.js';
import { findAssignments, mergeTfvars, plainStringValue, SENSITIVE_KEY } from './tfvars/hcl.js';
import { DEFAULT_MAPPINGS, effectiveMappings, GROUPS, type Group } from './tfvars/mappings.js';
import { readStateValues, type Found } from './tfvars/state-reader.js';

type Switch = 'auto' | boolean;
/** the declared outputs, and every variable written under its own name ("*" in x-kfup-outputs) */
type Outputs = TfvarsFromStateOutputs & Record<string, unknown>;
type Ctx = TaskContext;

interface Collected {
  /** variable → value, in the order they are written */
  values: [string, unknown][];
  notes: string[];
  source: string;
}

const GROUP_LABEL: Record<Group, string> = { core: 'core', cognito: 'Cognito', efs: 'EFS', fsx: 'FSx' };

const upgradePath = (p: TfvarsParams): string | undefined =>
  p.upgrade_tfvars === false ? undefined : (p.upgrade_tfvars ?? (p.write ? join(dirname(p.write), 'upgrade.tfvars') : 'upgrade.tfvars'));

function markSecret(ctx: Ctx, v: unknown): void {
  if (typeof v === 'string') ctx.secret(v);
  else if (Array.isArray(v)) v.forEach((x) => markSecret(ctx, x));
}

/** which groups are written: `true` requires them, `false` leaves them out, `auto` follows what was found */
function groupIncluded(setting: Switch, group: Group, names: string[], found: Map<string, Found>, defaulted: Set<string>): boolean {
  if (group === 'core' || setting === true) return true;
  if (setting === false) return false;
  return names.some((n) => found.has(n) && !defaulted.has(n));
}

async function collect(params: TfvarsParams, ctx: Ctx, fail: (unmapped: string[], source: string) => Error): Promise<Collected> {
  const mappings = effectiveMappings(params.mappings);
  const explicit = params.values ?? {};
  const optional = new Set(params.optional);
  const notes: string[] = [];
  let found: Map<string, Found>;
  let missing = new Map<string, string[]>();
  let source: string;

  if (params.statefile !== undefined) {
    const path = ctx.resolvePath(params.statefile);
    source = `Terraform state ${params.statefile}`;
    ctx.progress(`reading ${params.statefile}`);
    const r = readStateValues(path, mappings);
    found = r.found;
    missing = r.missing;
    if (r.terraformVersion) notes.push(`state written by Terraform ${r.terraformVersion}`);
  } else {
    const c = params.cluster;
    if (!c) throw new Error('internal error: the schema requires statefile or cluster');
    source = `EKS cluster ${c.name} and its AWS resources`;
    const withEfs = params.efs !== false && c.efs_name !== undefined;
    // the cluster source needs the EC2, EKS, EFS and Secrets Manager clients (EC2's alone is ~75 MB
    // loaded): a state-file upgrade never loads them
    found = await (await import('./tfvars/cluster-reader.js')).readClusterValues(c, ctx, withEfs);
    // nothing else is read from AWS: the other groups come from `values`
    for (const [name, m] of Object.entries(mappings)) {
      if (found.has(name)) continue;
      const why = m.group === 'efs' ? 'cluster.efs_name is not set' : m.group === 'cognito' ? 'Cognito is set up by hand in a manifest deployment' : 'the cluster source does not read it';
      missing.set(name, [why]);
    }
  }

  // defaults count as found, but do not switch an `auto` group on
  const defaulted = new Set<string>();
  for (const [name, m] of Object.entries(mappings)) {
    if (!found.has(name) && m.default !== undefined) {
      found.set(name, { value: m.default, from: 'default', secret: false });
      missing.delete(name);
      defaulted.add(name);
    }
  }
  for (const [name, v] of Object.entries(explicit)) {
    found.set(name, { value: v, from: 'values', secret: false });
    missing.delete(name);
  }

  const byGroup = new Map<Group, string[]>(GROUPS.map((g) => [g, []]));
  for (const [name, m] of Object.entries(mappings)) byGroup.get(m.group ?? 'core')!.push(name);
  const settings: Record<Group, Switch> = { core: true, cognito: params.cognito, efs: params.efs, fsx: params.fsx };

  const out: [string, unknown][] = [];
  const unmapped: string[] = [];
  for (const g of GROUPS) {
    const names = byGroup.get(g)!;
    // explicit values of a group's variables switch an `auto` group on as well
    const included = groupIncluded(settings[g], g, names, found, new Set([...defaulted].filter((n) => !(n in explicit))));
    if (!included) {
      if (names.length && g !== 'core') notes.push(`${GROUP_LABEL[g]}: ${settings[g] === false ? 'turned off' : 'nothing found'}, ${names.join(', ')} left out`);
      continue;
    }
    for (const name of names) {
      const f = found.get(name);
      if (f) {
        out.push([name, f.value]);
        if (f.secret) markSecret(ctx, f.value);
      } else if (optional.has(name)) {
        notes.push(`${name}: not found, left out (optional)`);
      } else {
        unmapped.push(`${name}: searched ${(missing.get(name) ?? ['nothing']).join('; ')}`);
      }
    }
  }
  if (unmapped.length) throw fail(unmapped, source);
  storageSwitches(out, settings, byGroup, explicit, notes);
  for (const [name, v] of Object.entries(explicit)) if (!out.some(([n]) => n === name)) out.push([name, v]);
  return { values: out, notes, source };
}

/**
 * The storage choice in the module's own names (deployments/upgrade/terraform/variables.tf on the
 * blue/green branch): use_efs and use_fsx. The module requires src_efs_fs_id (no default) even when
 * use_efs is false, so a production without EFS gets an empty one, which the module then ignores.
 * Values given under `values` win.
 */
function storageSwitches(out: [string, unknown][], settings: Record<Group, Switch>, byGroup: Map<Group, string[]>, explicit: Record<string, unknown>, notes: string[]): void {
  const has = (n: string) => out.some(([k]) => k === n) || n in explicit;
  const efsOn = out.some(([k]) => (byGroup.get('efs') ?? []).includes(k));
  if (!has('use_efs')) out.push(['use_efs', efsOn]);
  if (!efsOn && !has('src_efs_fs_id')) {
    out.push(['src_efs_fs_id', '']);
    notes.push('src_efs_fs_id: empty (no EFS; the upgrade module requires the variable and ignores it with use_efs = false)');
  }
  if (settings.fsx !== 'auto' && !has('use_fsx')) out.push(['use_fsx', settings.fsx === true]);
}

function renderUpgrade(c: Collected): string {
  const template = readFileSync(packagePath('templates', 'terraform', 'upgrade.tfvars.hbs'), 'utf8');
  return String(renderString(template, { source: c.source, entries: c.values.map(([name, v]) => ({ name, hcl: hclValue(v) })) }));
}

function fileChange(target: string, before: string | undefined, after: string, summary: string): Change | undefined {
  if (before === after) return undefined;
  return { action: before === undefined ? 'create' : 'update', target: `file ${target}`, summary, before, after };
}

/** the files apply writes, with their content */
interface Planned {
  writes: { path: string; content: string; existed: boolean }[];
}

/** keys whose values are secret: credentials by name, and variables the mappings mark secret (the RDS endpoint) */
function secretKeys(params: TfvarsParams): (key: string) => boolean {
  const mapped = new Set(Object.entries(DEFAULT_MAPPINGS).filter(([, m]) => m.secret).map(([k]) => k));
  for (const [k, m] of Object.entries(params.mappings ?? {})) if (m && !Array.isArray(m) && m.secret) mapped.add(k);
  return (key) => SENSITIVE_KEY.test(key) || mapped.has(key);
}

/** registers the secret values already in a file, so the diff of that file cannot show them */
function redactExisting(ctx: Ctx, text: string | undefined, isSecret: (key: string) => boolean): void {
  for (const a of findAssignments(text ?? '')) {
    if (!isSecret(a.key)) continue;
    const v = plainStringValue(a.valueText);
    if (v) ctx.secret(v);
  }
}

export default defineTask<TfvarsParams, Outputs, Planned>({
  name: 'tfvars-from-state',
  messages: {
    unmapped: 'no value for {{count}} variable(s) in {{source}}:\n  {{list}}',
    badName: '"{{name}}" is not a valid Terraform variable name',
  },
  describe(p) {
    const from = p.statefile !== undefined ? `Terraform state ${p.statefile}` : `EKS cluster ${p.cluster?.name} (EKS, EC2, EFS and Secrets Manager, read-only)`;
    const lines = [`read the production values from ${from}`];
    const up = upgradePath(p);
    if (up) lines.push(`write ${up} from templates/terraform/upgrade.tfvars.hbs`);
    if (p.write) lines.push(`merge the values into ${p.write} (existing keys replaced in place, new keys appended, previous file kept as .bak)`);
    if (p.values && Object.keys(p.values).length) lines.push(`set ${Object.keys(p.values).join(', ')} as given`);
    return lines;
  },
  async check(params, ctx) {
    const c = await collect(params, ctx, (unmapped, source) =>
      this.error('unmapped', { count: unmapped.length, source, list: unmapped.join('\n  ') }, { hint: 'add a rule under `mappings`, set the value under `values`, or list the variable under `optional`' }),
    );
    const bad = c.values.find(([n]) => !isHclIdentifier(n));
    if (bad) throw this.error('badName', { name: bad[0] }, { hint: 'variable names start with a letter or _ and hold letters, digits, _ and -' });
    const changes: Change[] = [];
    const writes: Planned['writes'] = [];
    const notes = [`${c.values.length} value(s) from ${c.source}`, ...c.notes];

    const up = upgradePath(params);
    if (up) {
      const path = ctx.resolvePath(up);
      const after = renderUpgrade(c);
      const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
      redactExisting(ctx, before, secretKeys(params));
      const ch = fileChange(resolve(path), before, after, `write ${c.values.length} value(s)`);
      if (ch) {
        changes.push(ch);
        writes.push({ path, content: after, existed: before !== undefined });
      }
    }
    if (params.write) {
      const path = ctx.resolvePath(params.write);
      const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
      // credentials the user keeps in the file, and secret values an earlier run wrote, stay out of the diff
      redactExisting(ctx, before, secretKeys(params));
      const merged = mergeTfvars(before ?? '', c.values);
      const parts = [merged.replaced.length && `replace ${merged.replaced.join(', ')}`, merged.added.length && `add ${merged.added.join(', ')}`, merged.deduplicated.length && `remove repeated ${merged.deduplicated.join(', ')}`].filter(Boolean);
      if (merged.deduplicated.length) notes.push(`${params.write} set ${merged.deduplicated.join(', ')} more than once (as an appended upgrade.tfvars leaves it); the extra lines are removed`);
      const ch = fileChange(resolve(path), before, merged.content, parts.join('; ') || 'rewrite');
      if (ch) {
        changes.push(ch);
        writes.push({ path, content: merged.content, existed: before !== undefined });
      }
    }
    const values = Object.fromEntries(c.values);
    const outputs = {
      ...values,
      // the same values as one object, e.g. for terraform-apply's vars (known already in check mode)
      values,
      upgrade_tfvars_path: up ? ctx.resolvePath(up) : null,
      tfvars_path: params.write ? ctx.resolvePath(params.write) : null,
      // the backups' names (FILE.bak, or .bak.N when that is taken) are known once written
      backups: params.backup && writes.some((w) => w.existed) ? new Unknown('the backups of the replaced files') : [],
    };
    return { changes, outputs, notes, data: { writes } };
  },
  // writing is synchronous (ctx.writeFile: a temporary file, then a rename)
  apply(params, ctx, plan) {
    const backups: string[] = [];
    for (const w of plan.data?.writes ?? []) {
      const backup = ctx.writeFile(w.path, w.content, { backup: params.backup });
      if (backup) {
        backups.push(backup);
        ctx.log(`previous ${w.path} kept as ${backup}`);
      }
    }
    return Promise.resolve({ backups });
  },
});
