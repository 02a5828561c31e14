// Running the terraform binary through ctx.exec: version check, the lines that explain a failure,
// and the plan summary from `terraform show -json`.
import semver from 'semver';
import { TaskError, type ExecOptions, type ExecResult, type TaskContext } from '../kit/index.js';

export interface TfRunner {
  bin: string;
  cwd: string;
  env: Record<string, string | undefined>;
  killGraceMs: number;
}

export async function tf(ctx: TaskContext, r: TfRunner, args: string[], opts: Partial<ExecOptions> = {}): Promise<ExecResult> {
  return ctx.exec(r.bin, args, { cwd: r.cwd, env: { TF_IN_AUTOMATION: '1', TF_INPUT: '0', ...r.env }, killGraceMs: r.killGraceMs, ...opts });
}

/**
 * The error blocks Terraform prints ("Error: ..." and the lines that explain it, with or without
 * the box drawing it uses with colour), without warnings; the last lines of output when there is none.
 */
export function errorLines(output: string, max = 20): string[] {
  const lines = output.split('\n').map((l) => l.replace(/^\s*[╷╵]\s*$/, '').replace(/^\s*│ ?/, '').trimEnd());
  const out: string[] = [];
  let inError = false;
  for (const l of lines) {
    if (/^\s*Error:/.test(l)) inError = true;
    else if (/^\s*Warning:/.test(l)) inError = false;
    if (inError && !(l.trim() === '' && (out.length === 0 || out[out.length - 1] === ''))) out.push(l.trim() === '' ? '' : l);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  const picked = out.length ? out : lines.filter((l) => l.trim()).slice(-8);
  return picked.length > max ? [...picked.slice(0, max), '...'] : picked;
}

export async function terraformVersion(ctx: TaskContext, r: TfRunner): Promise<string> {
  const res = await tf(ctx, r, ['version', '-json'], { readOnly: true });
  let version: string | undefined;
  try {
    version = (JSON.parse(res.stdout) as { terraform_version?: string }).terraform_version;
  } catch {
    // very old versions have no -json: "Terraform v0.11.14"
    version = /Terraform v(\d+\.\d+\.\d+\S*)/.exec(res.stdout)?.[1];
  }
  if (res.exitCode !== 0 || !version) throw new TaskError(`cannot tell the version of ${r.bin}: \`${r.bin} version -json\` exited with ${res.exitCode}`, { code: 'unknownVersion' });
  return version;
}

export function checkVersion(version: string, range: string | undefined, bin: string): void {
  if (!range) return;
  if (!semver.validRange(range)) throw new TaskError(`required_version "${range}" is not a version range`, { code: 'badVersionRange', hint: 'use a semver range such as "<1.3.0" or ">=1.5 <2"' });
  if (!semver.satisfies(version, range, { includePrerelease: true })) {
    throw new TaskError(`${bin} is version ${version}, which is outside required_version "${range}"`, {
      code: 'wrongVersion',
      hint: 'install a Terraform in that range (tfenv or tfswitch can keep several) and point `binary` at it',
    });
  }
}

// ---- plan summary

interface ResourceChange {
  address: string;
  mode?: string;
  change: { actions: string[] };
}
export interface PlanJson {
  resource_changes?: ResourceChange[];
  output_changes?: Record<string, { actions: string[] }>;
}

export type TfAction = 'create' | 'update' | 'replace' | 'delete';

export function actionOf(actions: string[]): TfAction | undefined {
  const a = [...actions].sort().join(',');
  if (a === 'create') return 'create';
  if (a === 'update') return 'update';
  if (a === 'delete') return 'delete';
  if (a === 'create,delete') return 'replace';
  return undefined; // no-op, read
}

export interface PlanSummary {
  resources: { address: string; action: TfAction }[];
  outputs: string[];
  counts: Record<TfAction, number>;
}

export function summarize(plan: PlanJson): PlanSummary {
  const counts: Record<TfAction, number> = { create: 0, update: 0, replace: 0, delete: 0 };
  const resources: PlanSummary['resources'] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode === 'data') continue;
    const action = actionOf(rc.change.actions);
    if (!action) continue;
    counts[action]++;
    resources.push({ address: rc.address, action });
  }
  const outputs = Object.entries(plan.output_changes ?? {})
    .filter(([, c]) => !c.actions.every((a) => a === 'no-op'))
    .map(([k]) => k);
  return { resources, outputs, counts };
}
