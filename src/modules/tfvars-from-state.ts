// tfvars-from-state: collects the production deployment's values (VPC, subnets, security group,
// EFS/FSx, S3, RDS, Cognito) from its Terraform state or from AWS, writes upgrade.tfvars and merges
// the values into the new deployment's *.auto.tfvars in place: the idempotent form of
// `get_state_variables.py` + `cat upgrade.tfvars >> sample.auto.tfvars`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../runner/errors.js';
import { loadTaskSchema, packagePath } from '../runner/load/package-root.js';
import { renderString } from '../runner/template/template.js';
import type { Change, Context, TaskModule } from '../runner/types.js';
// the cluster source needs the EC2, EKS, EFS and Secrets Manager clients (EC2's alone is ~75 MB
// loaded); a state-file upgrade never loads them
import type { ClusterSource } from './tfvars/cluster-reader.js';
import { findAssignments, hclValue, isHclIdentifier, mergeTfvars, plainStringValue, SENSITIVE_KEY } from './tfvars/hcl.js';
import { DEFAULT_MAPPINGS, effectiveMappings, GROUPS, type Group, type MappingRule, type VariableMapping } from './tfvars/mappings.js';
import { readStateValues, type Found } from './tfvars/state-reader.js';

type Switch = 'auto' | boolean;

export interface TfvarsParams {
  statefile?: string;
  cluster?: ClusterSource;
  write?: string;
  upgrade_tfvars?: string | false;
  cognito?: Switch;
  efs?: Switch;
  fsx?: Switch;
  mappings?: Record<string, MappingRule[] | Partial<VariableMapping>>;
  optional?: string[];
  values?: Record<string, unknown>;
  backup?: boolean;
}

interface Collected {
  /** variable → value, in the order they are written */
  values: [string, unknown][];
  notes: string[];
  source: string;
}

const GROUP_LABEL: Record<Group, string> = { core: 'core', cognito: 'Cognito', efs: 'EFS', fsx: 'FSx' };

const upgradePath = (p: TfvarsParams): string | undefined =>
  p.upgrade_tfvars === false ? undefined : (p.upgrade_tfvars ?? (p.write ? join(dirname(p.write), 'upgrade.tfvars') : 'upgrade.tfvars'));

function markSecret(ctx: Context, v: unknown): void {
  if (typeof v === 'string') ctx.secret(v);
  else if (Array.isArray(v)) v.forEach((x) => markSecret(ctx, x));
}

/** which groups are written: `true` requires them, `false` leaves them out, `auto` follows what was found */
function groupIncluded(setting: Switch, group: Group, names: string[], found: Map<string, Found>, defaulted: Set<string>): boolean {
  if (group === 'core' || setting === true) return true;
  if (setting === false) return false;
  return names.some((n) => found.has(n) && !defaulted.has(n));
}

async function collect(params: TfvarsParams, ctx: Context): Promise<Collected> {
  const mappings = effectiveMappings(params.mappings);
  const explicit = params.values ?? {};
  const optional = new Set(params.optional ?? []);
  const notes: string[] = [];
  let found: Map<string, Found>;
  let missing = new Map<string, string[]>();
  let source: string;

  if (params.statefile) {
    const path = ctx.resolvePath(params.statefile);
    source = `Terraform state ${params.statefile}`;
    ctx.progress(`reading ${params.statefile}`);
    const r = readStateValues(path, mappings);
    found = r.found;
    missing = r.missing;
    if (r.terraformVersion) notes.push(`state written by Terraform ${r.terraformVersion}`);
  } else {
    const c = params.cluster!;
    source = `EKS cluster ${c.name} and its AWS resources`;
    const withEfs = params.efs !== false && c.efs_name !== undefined;
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
  const settings: Record<Group, Switch> = { core: true, cognito: params.cognito ?? 'auto', efs: params.efs ?? 'auto', fsx: params.fsx ?? 'auto' };

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
  if (unmapped.length) {
    throw new UserError(`no value for ${unmapped.length} variable(s) in ${source}:\n  ${unmapped.join('\n  ')}`, {
      hint: 'add a rule under `mappings`, set the value under `values`, or list the variable under `optional`',
    });
  }
  for (const [name, v] of Object.entries(explicit)) if (!out.some(([n]) => n === name)) out.push([name, v]);
  const bad = out.find(([n]) => !isHclIdentifier(n));
  if (bad) throw new UserError(`"${bad[0]}" is not a valid Terraform variable name`, { hint: 'variable names start with a letter or _ and hold letters, digits, _ and -' });
  return { values: out, notes, source };
}

function renderUpgrade(c: Collected): string {
  const template = readFileSync(packagePath('templates', 'terraform', 'upgrade.tfvars.hbs'), 'utf8');
  return String(renderString(template, { source: c.source, entries: c.values.map(([name, v]) => ({ name, hcl: hclValue(v) })) }));
}

function fileChange(target: string, before: string | undefined, after: string, summary: string): Change | undefined {
  if (before === after) return undefined;
  return { action: before === undefined ? 'create' : 'update', target: `file ${target}`, summary, before, after };
}

interface Planned {
  writes: { path: string; content: string }[];
}

/** keys whose values are secret: credentials by name, and variables the mappings mark secret (the RDS endpoint) */
function secretKeys(params: TfvarsParams): (key: string) => boolean {
  const mapped = new Set(Object.entries(DEFAULT_MAPPINGS).filter(([, m]) => m.secret).map(([k]) => k));
  for (const [k, m] of Object.entries(params.mappings ?? {})) if ((m as { secret?: boolean }).secret) mapped.add(k);
  return (key) => SENSITIVE_KEY.test(key) || mapped.has(key);
}

/** registers the secret values already in a file, so the diff of that file cannot show them */
function redactExisting(ctx: Context, text: string | undefined, isSecret: (key: string) => boolean): void {
  for (const a of findAssignments(text ?? '')) {
    if (!isSecret(a.key)) continue;
    const v = plainStringValue(a.valueText);
    if (v) ctx.secret(v);
  }
}

const tfvarsFromState: TaskModule<TfvarsParams> = {
  name: 'tfvars-from-state',
  schema: loadTaskSchema('tfvars-from-state'),
  describe(p) {
    const from = p.statefile ? `Terraform state ${p.statefile}` : `EKS cluster ${p.cluster?.name} (EKS, EC2, EFS and Secrets Manager, read-only)`;
    const lines = [`read the production values from ${from}`];
    const up = upgradePath(p);
    if (up) lines.push(`write ${up} from templates/terraform/upgrade.tfvars.hbs`);
    if (p.write) lines.push(`merge the values into ${p.write} (existing keys replaced in place, new keys appended, previous file kept as .bak)`);
    if (p.values && Object.keys(p.values).length) lines.push(`set ${Object.keys(p.values).join(', ')} as given`);
    return lines;
  },
  async check(params, ctx) {
    if (!params.statefile && !params.cluster) throw new UserError('tfvars-from-state needs a source: `statefile` or `cluster`');
    const c = await collect(params, ctx);
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
        writes.push({ path, content: after });
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
        writes.push({ path, content: merged.content });
      }
    }
    const outputs: Record<string, unknown> = Object.fromEntries(c.values);
    // the same values as one object, e.g. for terraform-apply's vars (known already in check mode)
    outputs.values = Object.fromEntries(c.values);
    if (up) outputs.upgrade_tfvars_path = ctx.resolvePath(up);
    if (params.write) outputs.tfvars_path = ctx.resolvePath(params.write);
    return { changes, outputs, notes, data: { writes } satisfies Planned };
  },
  async apply(params, ctx, plan) {
    const { writes } = plan.data as Planned;
    const backups: string[] = [];
    for (const w of writes) {
      const backup = ctx.writeFile(w.path, w.content, { backup: params.backup !== false });
      if (backup) {
        backups.push(backup);
        ctx.log(`previous ${w.path} kept as ${backup}`);
      }
    }
    return backups.length ? { backups } : {};
  },
};

export default tfvarsFromState;
