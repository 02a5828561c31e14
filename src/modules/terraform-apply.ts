// terraform-apply: init, plan to a file, and apply exactly that plan when it has changes (the
// "make deploy" step of the upgrade). Check mode runs init (read-only lock file) and plan only, and
// reports the plan per resource address; outputs become the task's outputs, sensitive ones secret.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTask, hclValue, MissingProgramError, parseDuration, TaskError, Unknown, type Change, type Plan, type TaskContext } from './kit/index.js';
import type { TerraformApplyOutputs, TerraformApplyParams } from './generated/terraform-apply.js';
import { checkVersion, errorLines, summarize, terraformVersion, tf, type PlanJson, type TfRunner } from './terraform/cli.js';

/** every root output of the configuration, by name (declared as "*" in the schema's x-kfup-outputs) */
type Outputs = TerraformApplyOutputs & Record<string, unknown>;
type Ctx = TaskContext;

/** the saved plan, in a private temporary directory, from check to apply */
interface Planned {
  planDir: string;
  planFile: string;
}

function varArgs(p: TerraformApplyParams, resolve: (s: string) => string): string[] {
  const args: string[] = [];
  for (const f of p.var_files) args.push(`-var-file=${resolve(f)}`);
  // strings are passed as they are; anything else as an HCL expression, which Terraform parses
  for (const [k, v] of Object.entries(p.vars)) args.push('-var', `${k}=${typeof v === 'string' ? v : hclValue(v)}`);
  if (p.lock_timeout) args.push(`-lock-timeout=${p.lock_timeout}`);
  return args;
}

function runner(p: TerraformApplyParams, ctx: Ctx): TfRunner {
  const cwd = ctx.resolvePath(p.dir);
  if (!existsSync(cwd) || !statSync(cwd).isDirectory()) throw new TaskError(`Terraform directory not found: ${cwd}`, { code: 'dirNotFound', hint: 'dir is relative to the playbook\'s directory' });
  return { bin: p.binary, cwd, env: p.env ?? {}, killGraceMs: parseDuration(p.interrupt_grace) };
}

/** Terraform's progress lines ("module.x: Creating...", "Plan: 1 to add") on the task's progress line */
const progress = (ctx: Ctx) => (line: string, stream: 'stdout' | 'stderr') => {
  const t = line.trim();
  if (stream === 'stdout' && t && !t.startsWith('{')) ctx.progress(t.length > 120 ? `${t.slice(0, 117)}...` : t);
};

function failed(what: string, dir: string, stdout: string, stderr: string, hint?: string): TaskError {
  const lines = errorLines(`${stderr}\n${stdout}`);
  return new TaskError(`${what} failed in ${dir}:\n  ${lines.join('\n  ')}`, { code: `${what.replace(/^terraform /, '')}Failed`, hint });
}

async function readOutputs(ctx: Ctx, r: TfRunner): Promise<Outputs> {
  const res = await tf(ctx, r, ['output', '-json', '-no-color'], { readOnly: true, quiet: true });
  if (res.exitCode !== 0) return {};
  let parsed: Record<string, { value: unknown; sensitive?: boolean }>;
  try {
    parsed = JSON.parse(res.stdout || '{}') as typeof parsed;
  } catch {
    return {};
  }
  const out: Outputs = {};
  const mark = (v: unknown): void => {
    if (typeof v === 'string') ctx.secret(v);
    else if (typeof v === 'number' || typeof v === 'boolean') ctx.secret(String(v));
    else if (Array.isArray(v)) v.forEach(mark);
    else if (v && typeof v === 'object') Object.values(v).forEach(mark);
  };
  for (const [k, o] of Object.entries(parsed)) {
    if (o.sensitive) mark(o.value);
    out[k] = o.value;
  }
  return out;
}

function cleanup(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

async function init(params: TerraformApplyParams, ctx: Ctx, r: TfRunner, notes: string[]): Promise<void> {
  ctx.progress('terraform init');
  const args = ['init', '-input=false', '-no-color'];
  for (const [k, v] of Object.entries(params.backend_config ?? {})) args.push(`-backend-config=${k}=${v}`);
  const lockFile = join(r.cwd, '.terraform.lock.hcl');
  const hadLock = existsSync(lockFile);
  // check mode must not change the dependency lock file
  if (ctx.mode === 'check' && hadLock) args.push('-lockfile=readonly');
  try {
    const res = await tf(ctx, r, args, { readOnly: true, onLine: progress(ctx) });
    if (res.exitCode !== 0) throw failed('terraform init', r.cwd, res.stdout, res.stderr);
  } finally {
    // where there was none, init writes one: check mode takes it away again
    if (ctx.mode === 'check' && !hadLock && existsSync(lockFile)) {
      rmSync(lockFile, { force: true });
      notes.push('no .terraform.lock.hcl yet: a run records the provider versions in it');
    }
  }
}

/** init (when asked), plan to a private file, and the plan per resource address */
async function plan(params: TerraformApplyParams, ctx: Ctx, r: TfRunner, notes: string[]): Promise<Plan<Outputs, Planned>> {
  if (params.init) await init(params, ctx, r, notes);
  // the plan file holds variable values (secrets too): a private temporary directory, removed after use
  const planDir = mkdtempSync(join(tmpdir(), `kfup-tfplan-${process.pid}-`));
  const planFile = join(planDir, 'tfplan');
  let keep = false;
  try {
    ctx.progress('terraform plan');
    const res = await tf(ctx, r, ['plan', '-input=false', '-no-color', '-detailed-exitcode', ...(ctx.mode === 'check' ? ['-lock=false'] : []), `-out=${planFile}`, ...varArgs(params, ctx.resolvePath)], { readOnly: true, onLine: progress(ctx) });
    if (res.exitCode === 1 || (res.exitCode !== 0 && res.exitCode !== 2)) throw failed('terraform plan', r.cwd, res.stdout, res.stderr, 'fix the configuration or the variables; `terraform plan` in that directory shows the same');
    const outputs: Outputs = await readOutputs(ctx, r);
    if (res.exitCode === 0) return { changes: [], outputs, notes: [...notes, 'plan: no changes'] };

    const show = await tf(ctx, r, ['show', '-json', '-no-color', planFile], { readOnly: true, quiet: true });
    if (show.exitCode !== 0) throw failed('terraform show', r.cwd, '', show.stderr);
    const summary = summarize(JSON.parse(show.stdout) as PlanJson);
    const c = summary.counts;
    notes.push(`plan: ${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete${summary.outputs.length ? `, ${summary.outputs.length} output(s) to change` : ''}`);
    const changes: Change[] = summary.resources.map((x) => ({
      action: x.action === 'replace' ? 'update' : x.action,
      target: x.address,
      summary: x.action === 'replace' ? 'replace (destroy and create)' : x.action,
    }));
    if (!summary.resources.length && summary.outputs.length) {
      changes.push({ action: 'update', target: `outputs of ${params.dir}`, summary: `change ${summary.outputs.join(', ')}` });
    }
    // what the plan changes is only known after apply
    for (const o of summary.outputs) outputs[o] = new Unknown(`terraform output ${o}`);
    keep = ctx.mode === 'run';
    return { changes, outputs, notes, data: { planDir, planFile } };
  } finally {
    if (!keep) cleanup(planDir);
  }
}

export default defineTask<TerraformApplyParams, Outputs, Planned>({
  name: 'terraform-apply',
  describe(p) {
    const bin = p.binary;
    // quoted as a shell would need them, for copying
    const vars = varArgs(p, (s) => s).map((a) => (/[\s"'\\$]/.test(a) ? `'${a.replace(/'/g, "'\\''")}'` : a));
    const lines = [`in ${p.dir}:`, `${bin} version -json${p.required_version ? ` (must satisfy ${p.required_version})` : ''}`];
    if (p.init) lines.push(`${bin} init -input=false${p.backend_config ? Object.entries(p.backend_config).map(([k, v]) => ` -backend-config=${k}=${v}`).join('') : ''}`);
    lines.push(`${bin} plan -input=false -out=PLANFILE -detailed-exitcode${vars.length ? ' ' + vars.join(' ') : ''}`);
    lines.push(`${bin} show -json PLANFILE (changes per resource address)`);
    lines.push(`${bin} apply -input=false PLANFILE (only when the plan has changes)`);
    lines.push(`${bin} output -json (the task's outputs)`);
    return lines;
  },
  async check(params, ctx) {
    const r = runner(params, ctx);
    let version: string;
    try {
      version = await terraformVersion(ctx, r);
    } catch (e) {
      // the sandbox and demo machines may have no Terraform: the playbook can choose to go on without it
      if (e instanceof MissingProgramError && params.if_missing === 'skip') {
        return { changes: [], outputs: {}, skip: `${r.bin} is not installed (not on PATH), and if_missing is skip` };
      }
      throw e;
    }
    checkVersion(version, params.required_version, r.bin);
    const notes = [`Terraform ${version} in ${r.cwd}`];

    // Check mode leaves the user's directory byte-identical: init works in a private temporary
    // data directory (TF_DATA_DIR: modules.json, providers, the backend's settings) instead of
    // .terraform, the lock file is read-only (one init creates where there was none is removed
    // again), and plan takes no state lock (-lock=false: it writes no lock info file)
    const checkData = ctx.mode === 'check' && params.init ? mkdtempSync(join(tmpdir(), `kfup-tfdata-${process.pid}-`)) : undefined;
    if (checkData) r.env = { ...r.env, TF_DATA_DIR: checkData };
    try {
      return await plan(params, ctx, r, notes);
    } finally {
      cleanup(checkData);
    }
  },

  async apply(params, ctx, plan) {
    if (!plan.data) throw new TaskError('no saved plan from check', { code: 'noPlan' });
    const { planDir, planFile } = plan.data;
    try {
      const r = runner(params, ctx);
      if (!existsSync(planFile) || readFileSync(planFile).length === 0) throw new TaskError(`the plan file from check is gone (${planFile})`, { code: 'noPlan', hint: 'run the task again to plan anew' });
      ctx.progress('terraform apply');
      // the saved plan is applied as it is: Terraform refuses it if the state moved since the plan
      const res = await tf(ctx, r, ['apply', '-input=false', '-no-color', ...(params.lock_timeout ? [`-lock-timeout=${params.lock_timeout}`] : []), planFile], { onLine: progress(ctx) });
      if (ctx.signal.aborted) throw new TaskError(`terraform apply was interrupted; Terraform stopped and released its state lock (exit ${res.exitCode})`, { code: 'interrupted' });
      if (res.exitCode !== 0) {
        throw failed('terraform apply', r.cwd, res.stdout, res.stderr, /stale/i.test(res.stderr) ? 'the state changed after the plan: run the task again to plan anew' : 'the resources applied before the error are in the state; a new run plans the rest');
      }
      return readOutputs(ctx, r);
    } finally {
      cleanup(planDir);
    }
  },
});
