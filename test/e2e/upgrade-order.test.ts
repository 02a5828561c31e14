// Issue 13, "The upgrade as the real deployment runs it", point 7 and point 1's if_missing: the
// order of playbooks/blue-green-upgrade.yaml, read as the file says it (no run needed).
// - nothing reads or writes green before green is deployed: every task naming `cluster: green`
//   comes after terraform-apply (the runbook: "Deploy backup EKS cluster" precedes every step on it);
// - the check that green serves everything blue did comes before the cut-over gate;
// - a production deploy never skips Terraform silently: if_missing comes from the environment,
//   fail by default, skip only in the sandbox's environment.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { environmentTemplate } from '../../src/init.js';

type Task = Record<string, unknown> & { name: string; id?: string; parallel?: Task[]; block?: Task[] };
const playbook = parse(readFileSync(join(repoRoot, 'playbooks/blue-green-upgrade.yaml'), 'utf8')) as { vars: Record<string, unknown>; tasks: Task[] };

/** every task in file order, nested ones after their parent */
function flatten(tasks: Task[]): Task[] {
  return tasks.flatMap((t) => [t, ...flatten([...(t.parallel ?? []), ...(t.block ?? [])])]);
}
const all = flatten(playbook.tasks);
const indexOf = (id: string) => all.findIndex((t) => t.id === id);
const touchesGreen = (t: Task) => Object.values(t).some((v) => v && typeof v === 'object' && !Array.isArray(v) && (v as { cluster?: unknown }).cluster === 'green');

describe('the order of the upgrade playbook (issue 13)', () => {
  it('nothing reads or writes green before terraform-apply has deployed it', () => {
    const deploy = indexOf('terraform-green');
    expect(deploy).toBeGreaterThan(0);
    const early = all.slice(0, deploy).filter(touchesGreen).map((t) => t.name);
    expect(early).toEqual([]);
    // and the green preflight comes right after the deploy
    expect(indexOf('preflight-green')).toBeGreaterThan(deploy);
    expect(indexOf('preflight-green')).toBeLessThan(indexOf('backup'));
  });

  it('green is checked to serve everything blue did before the cut-over gate, and nothing is checked only after the cut-over', () => {
    expect(indexOf('final-checks')).toBeGreaterThan(indexOf('velero-restore'));
    expect(indexOf('final-checks')).toBeGreaterThan(indexOf('ack-adopt'));
    expect(indexOf('final-checks')).toBeLessThan(indexOf('cutover-gate'));
    expect(indexOf('cutover-gate')).toBeLessThan(indexOf('alb-cutover'));
    const checks = all.find((t) => t.id === 'final-checks')!.assert as { that: string[] };
    for (const what of ['profiles', 'notebooks', 'pvcs', 'isvcs', 'adopted']) expect(checks.that.join(' ')).toContain(`green_${what}.outputs.count`);
  });

  it('terraform-apply skips only where the environment says so: fail by default, skip in the sandbox alone', () => {
    const tfTask = all.find((t) => t.id === 'terraform-green')!['terraform-apply'] as Record<string, unknown>;
    expect(tfTask.if_missing).toBe('{{terraform_if_missing}}');
    expect(tfTask.stages).toBe('{{green_terraform_stages}}');
    expect(playbook.vars.terraform_if_missing).toBe('fail');
    const env = (name: string) => (parse(readFileSync(join(repoRoot, 'playbooks/environments', `${name}.yaml`), 'utf8')) as { vars: Record<string, unknown> }).vars;
    expect(env('production').terraform_if_missing).toBe('fail');
    expect(env('staging').terraform_if_missing).toBe('fail');
    expect(env('sandbox').terraform_if_missing).toBe('skip');
    // and the upgrade module's directory, not a production deployment's
    for (const name of ['production', 'staging']) expect(env(name).green_terraform_dir).toMatch(/deployments\/upgrade\/terraform$/);
  });

  it('kfup init names the upgrade module\'s directory, green\'s stage and terraform_if_missing fail', () => {
    const env = (parse(environmentTemplate('x')) as { vars: Record<string, unknown> }).vars;
    // kfup init writes placeholders that fail validation until filled in; each says what to put there
    expect(env.green_terraform_dir).toMatch(/^FILL IN: .*deployments\/upgrade\/terraform/);
    expect(String(env.terraform_if_missing)).toMatch(/fail \(the default\) stops when terraform is not installed/);
    expect(env.green_stage).toBeTruthy();
  });
});
