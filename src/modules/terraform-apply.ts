// terraform-apply: init, plan to a file, and apply exactly that plan when it has changes (the
// "make deploy" step of the upgrade). Check mode runs init (read-only lock file) and plan only, and
// reports the plan per resource address; outputs become the task's outputs, sensitive ones secret.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTask, hclValue, MissingProgramError, parseDuration, TaskError, Unknown, type Change, type Plan, type TaskContext } from './kit/index.js';
import type { TerraformApplyOutputs, TerraformApplyParams } from './generated/terraform-apply.js';
import { checkVersion, errorLines, summarize, terraformVersion, tf, type PlanJson, type TfRunner } from './terraform/cli.js';
import { keptButDeleted } from './terraform/keep.js';
import { expandHome, kubeconfigContexts, parseConfigureKubectl, updateKubeconfigArgs } from './terraform/kubeconfig.js';

/** every root output of the configuration, by name (declared as "*" in the schema's x-kfup-outputs) */
type Outputs = TerraformApplyOutputs & Record<string, unknown>;
type Ctx = TaskContext;

/** the saved plans, in a private temporary directory, from check to apply */
interface Planned {
  planDir: string;
  /** the first stage's saved plan (the later stages plan again once the earlier ones are applied) */
  planFile?: string;
  /** the stages whose plan had changes, or whose kubeconfig context is missing */
  pending: number[];
}

/** a stage of the deployment (make deploy's targets, in order); one stage of everything without `stages` */
interface Stage {
  name: string;
  targets: string[];
  kubeconfig?: { output: string; context: string; file?: string; aws_binary?: string };
}
const stagesOf = (p: TerraformApplyParams): Stage[] => (p.stages?.length ? p.stages : [{ name: 'all', targets: [] }]);
const targetArgs = (st: Stage): string[] => st.targets.map((t) => `-target=${t}`);
const stageLabel = (st: Stage, many: boolean): string => (many ? `stage "${st.name}"${st.targets.length ? ` (${st.targets.join(', ')})` : ''}: ` : '');

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

/**
 * Terraform's progress lines ("module.x: Creating...", "Plan: 1 to add") on the task's progress
 * line. Leading spaces are kept: `terraform plan` shows each resource's attributes nested under it,
 * and a log without the indentation reads as one flat list.
 */
const progress = (ctx: Ctx) => (line: string, stream: 'stdout' | 'stderr') => {
  const t = line.trimEnd();
  if (stream === 'stdout' && t.trim() && !t.trimStart().startsWith('{')) ctx.progress(t.length > 120 ? `${t.slice(0, 117)}...` : t);
};

/**
 * The part of `terraform plan`'s output a reviewer reads, as Terraform lays it out: from "Terraform
 * will perform the following actions:" (or "Changes to Outputs:" when only outputs change) to the
 * end, without the lines about the saved plan file (a private temporary path) and the separator
 * Terraform draws above them.
 */
export function planText(stdout: string): string[] {
  const lines = stdout.replace(/\r/g, '').split('\n');
  let start = lines.findIndex((l) => /^Terraform will perform the following actions:/.test(l));
  if (start < 0) start = lines.findIndex((l) => /^Changes to Outputs:/.test(l));
  if (start < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(start)) {
    if (/^[─-]{10,}$/.test(l.trim()) || /^Saved the plan to:/.test(l)) break;
    out.push(l.trimEnd());
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

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

/** the kubeconfig file a stage's context goes into: its own, else the default of the aws CLI */
const kubeconfigFile = (k: NonNullable<Stage['kubeconfig']>, ctx: Ctx): string => (k.file ? ctx.resolvePath(expandHome(k.file)) : expandHome('~/.kube/config'));

/** plans one stage to planFile; exit 0 no changes, 2 changes, with the plan's text */
async function planStage(params: TerraformApplyParams, ctx: Ctx, r: TfRunner, st: Stage, planFile: string, label: string): Promise<{ code: number; text: string[] }> {
  ctx.progress(`${label}terraform plan`);
  const res = await tf(ctx, r, ['plan', '-input=false', '-no-color', '-detailed-exitcode', ...(ctx.mode === 'check' ? ['-lock=false'] : []), ...(params.destroy ? ['-destroy'] : []), `-out=${planFile}`, ...targetArgs(st), ...varArgs(params, ctx.resolvePath)], { readOnly: true, onLine: progress(ctx) });
  if (res.exitCode === 1 || (res.exitCode !== 0 && res.exitCode !== 2)) throw failed(`${label}terraform plan`, r.cwd, res.stdout, res.stderr, 'fix the configuration or the variables; `terraform plan` in that directory shows the same');
  return { code: res.exitCode, text: planText(res.stdout) };
}

async function applyPlan(params: TerraformApplyParams, ctx: Ctx, r: TfRunner, planFile: string, label: string): Promise<void> {
  if (!existsSync(planFile) || readFileSync(planFile).length === 0) throw new TaskError(`the plan file from check is gone (${planFile})`, { code: 'noPlan', hint: 'run the task again to plan anew' });
  ctx.progress(`${label}terraform apply`);
  // the saved plan is applied as it is: Terraform refuses it if the state moved since the plan
  const res = await tf(ctx, r, ['apply', '-input=false', '-no-color', ...(params.lock_timeout ? [`-lock-timeout=${params.lock_timeout}`] : []), planFile], { onLine: progress(ctx) });
  if (ctx.signal.aborted) throw new TaskError(`terraform apply was interrupted; Terraform stopped and released its state lock (exit ${res.exitCode})`, { code: 'interrupted' });
  if (res.exitCode !== 0) {
    throw failed(`${label}terraform apply`, r.cwd, res.stdout, res.stderr, /stale/i.test(res.stderr) ? 'the state changed after the plan: run the task again to plan anew' : 'the resources applied before the error are in the state; a new run plans the rest');
  }
}

/** a plan that deletes or replaces a kept address is refused before anything is applied */
function refuseKept(params: TerraformApplyParams, resources: { address: string; action: string }[], label: string): void {
  const kept = keptButDeleted(resources, params.keep);
  if (!kept.length) return;
  throw new TaskError(`${label}the plan would destroy what must be kept:\n  ${kept.map((k) => `${k.address} (keep: ${k.pattern})`).join('\n  ')}`, {
    code: 'keptDestroyed',
    hint: 'terraform destroy -target also destroys what depends on a target: narrow the targets, or move the kept resources out of this state (terraform state rm) first',
  });
}

/** the stage's kubeconfig step: its context is there already (nothing to do), or the command that adds it */
function kubeconfigStep(st: Stage, ctx: Ctx, outputs: Outputs): { file: string; present: boolean; args?: string[] } | undefined {
  const k = st.kubeconfig;
  if (!k) return undefined;
  const file = kubeconfigFile(k, ctx);
  if (kubeconfigContexts(file).includes(k.context)) return { file, present: true };
  const value = outputs[k.output];
  if (typeof value !== 'string') return { file, present: false };
  return { file, present: false, args: updateKubeconfigArgs(parseConfigureKubectl(value, k.output), k.context, file) };
}

/** plans every stage in order to private plan files; the plan per resource address */
async function planStages(params: TerraformApplyParams, ctx: Ctx, r: TfRunner, notes: string[]): Promise<Plan<Outputs, Planned>> {
  // the plan files hold variable values (secrets too): a private temporary directory, removed after use
  const planDir = mkdtempSync(join(tmpdir(), `kfup-tfplan-${process.pid}-`));
  let keep = false;
  try {
    const stages = stagesOf(params);
    const many = stages.length > 1 || stages[0].targets.length > 0;
    const outputs: Outputs = await readOutputs(ctx, r);
    const changes: Change[] = [];
    const seen = new Set<string>();
    const pending: number[] = [];
    let planFile: string | undefined;
    const changedOutputs = new Set<string>();
    const outputsText: string[] = [];
    for (const [i, st] of stages.entries()) {
      const label = stageLabel(st, many);
      const file = join(planDir, `stage-${i}.tfplan`);
      const { code, text } = await planStage(params, ctx, r, st, file, label);
      if (i === 0) planFile = file;
      if (code === 2) {
        const show = await tf(ctx, r, ['show', '-json', '-no-color', file], { readOnly: true, quiet: true });
        if (show.exitCode !== 0) throw failed('terraform show', r.cwd, '', show.stderr);
        const summary = summarize(JSON.parse(show.stdout) as PlanJson);
        refuseKept(params, summary.resources, label);
        const c = summary.counts;
        notes.push(`${label}plan: ${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete${summary.outputs.length ? `, ${summary.outputs.length} output(s) to change` : ''}`);
        // a later stage's plan repeats what it depends on (-target includes dependencies): each address once
        const first = changes.length;
        for (const x of summary.resources) {
          if (seen.has(x.address)) continue;
          seen.add(x.address);
          changes.push({ action: x.action === 'replace' ? 'update' : x.action, target: x.address, summary: `${many ? `${st.name}: ` : ''}${x.action === 'replace' ? 'replace (destroy and create)' : x.action}` });
        }
        // --diff shows the stage's plan as Terraform printed it, under its first change
        if (text.length && changes[first]) changes[first].detail = text;
        else if (text.length) outputsText.push(...text);
        summary.outputs.forEach((o) => changedOutputs.add(o));
        pending.push(i);
      } else {
        notes.push(`${label}plan: no changes`);
      }
      const k = kubeconfigStep(st, ctx, outputs);
      if (k && st.kubeconfig) {
        if (k.present) notes.push(`${label}kubeconfig context ${st.kubeconfig.context} is in ${k.file} already: kept`);
        else {
          changes.push({ action: 'create', target: `kubeconfig context ${st.kubeconfig.context} in ${k.file}`, summary: k.args ? `${st.kubeconfig.aws_binary ?? 'aws'} ${k.args.join(' ')}` : `from output ${st.kubeconfig.output} once the stage is applied` });
          if (!pending.includes(i)) pending.push(i);
        }
      }
    }
    if (!changes.length && !changedOutputs.size) return { changes: [], outputs, notes };
    if (!seen.size && changedOutputs.size) changes.push({ action: 'update', target: `outputs of ${params.dir}`, summary: `change ${[...changedOutputs].join(', ')}`, detail: outputsText.length ? outputsText : undefined });
    // what the plan changes is only known after apply
    for (const o of changedOutputs) outputs[o] = new Unknown(`terraform output ${o}`);
    keep = ctx.mode === 'run';
    return { changes, outputs, notes, data: { planDir, planFile, pending } };
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
    const stages = stagesOf(p);
    const many = stages.length > 1 || stages[0].targets.length > 0;
    for (const st of stages) {
      const t = st.targets.map((x) => ` -target=${x}`).join('');
      const label = many ? `${st.name}: ` : '';
      lines.push(`${label}${bin} plan -input=false${p.destroy ? ' -destroy' : ''} -out=PLANFILE -detailed-exitcode${t}${vars.length ? ' ' + vars.join(' ') : ''}`);
      lines.push(`${label}${bin} show -json PLANFILE (changes per resource address${p.keep.length ? `; refused if it deletes ${p.keep.join(', ')}` : ''})`);
      lines.push(`${label}${bin} apply -input=false PLANFILE (only when the plan has changes)`);
      if (st.kubeconfig) lines.push(`${label}${st.kubeconfig.aws_binary ?? 'aws'} eks update-kubeconfig --region R --name N (from output ${st.kubeconfig.output}, never through a shell) --alias ${st.kubeconfig.context}${st.kubeconfig.file ? ` --kubeconfig ${st.kubeconfig.file}` : ''}, unless that context exists`);
    }
    lines.push(`${bin} output -json (the task's outputs)`);
    return lines;
  },
  async check(params, ctx) {
    const r = runner(params, ctx);
    let version: string;
    try {
      version = await terraformVersion(ctx, r);
    } catch (e) {
      // a rehearsal machine may have no Terraform: the environment can choose to go on without it,
      // and the task then says it was skipped, and why
      if (e instanceof MissingProgramError && params.if_missing === 'skip') {
        return { changes: [], outputs: {}, skip: `${r.bin} is not installed (not on PATH), and if_missing is skip: nothing was planned or applied` };
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
      if (params.init) {
        ctx.progress('terraform init');
        const args = ['init', '-input=false', '-no-color'];
        for (const [k, v] of Object.entries(params.backend_config ?? {})) args.push(`-backend-config=${k}=${v}`);
        const lockFile = join(r.cwd, '.terraform.lock.hcl');
        const hadLock = existsSync(lockFile);
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
      return await planStages(params, ctx, r, notes);
    } finally {
      cleanup(checkData);
    }
  },
  async apply(params, ctx, plan) {
    if (!plan.data) throw new TaskError('no saved plan from check', { code: 'noPlan' });
    const { planDir, planFile, pending } = plan.data;
    try {
      const r = runner(params, ctx);
      const stages = stagesOf(params);
      const many = stages.length > 1 || stages[0].targets.length > 0;
      let applied = false;
      for (const [i, st] of stages.entries()) {
        const label = stageLabel(st, many);
        const saved = i === 0 ? planFile : join(planDir, `stage-${i}.tfplan`);
        if (!applied) {
          // nothing applied yet: the state is the one check planned on, so its saved plan holds
          if (pending.includes(i) && saved && existsSync(saved) && readFileSync(saved).length) {
            await applyPlan(params, ctx, r, saved, label);
            applied = true;
          }
        } else {
          // a later stage plans again on the state the earlier stages left (its saved plan is stale now)
          const file = join(planDir, `stage-${i}.apply.tfplan`);
          if ((await planStage(params, ctx, r, st, file, label)).code === 2) {
            if (params.keep.length) {
              const show = await tf(ctx, r, ['show', '-json', '-no-color', file], { readOnly: true, quiet: true });
              if (show.exitCode !== 0) throw failed('terraform show', r.cwd, '', show.stderr);
              refuseKept(params, summarize(JSON.parse(show.stdout) as PlanJson).resources, label);
            }
            await applyPlan(params, ctx, r, file, label);
          }
        }
        // the stage's outputs are read only when the context is missing (`terraform output` on a
        // large state takes a while, and a present context needs nothing from it)
        let k = kubeconfigStep(st, ctx, {});
        if (k && !k.present) k = kubeconfigStep(st, ctx, await readOutputs(ctx, r));
        if (k && !k.present && st.kubeconfig) {
          if (!k.args) throw new TaskError(`${label}output ${st.kubeconfig.output} is not set after the stage, so green's kubeconfig context cannot be added`, { code: 'noKubectlOutput', hint: `the upgrade module sets configure_kubectl once module.eks_blueprints is applied; \`terraform output ${st.kubeconfig.output}\` in ${r.cwd} shows it` });
          const bin = st.kubeconfig.aws_binary ?? 'aws';
          ctx.progress(`${label}${bin} eks update-kubeconfig`);
          const res = await ctx.exec(bin, k.args, { env: r.env });
          if (res.exitCode !== 0) throw new TaskError(`${label}${bin} eks update-kubeconfig failed (exit ${res.exitCode}): ${res.stderr.trim().split('\n').slice(-3).join(' ')}`, { code: 'kubeconfigFailed', hint: 'the cluster must exist and your AWS credentials must allow eks:DescribeCluster' });
          ctx.log(`${label}context ${st.kubeconfig.context} added to ${k.file}`);
        }
      }
      return readOutputs(ctx, r);
    } finally {
      cleanup(planDir);
    }
  },
});
