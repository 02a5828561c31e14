// Issue 13, point 10: "Deleting old clusters" of the upgrade runbook
// (website/content/en/docs/deployment/upgrade.md on the Kubeflow on AWS blue/green branch) as
// playbooks/retire-blue.yaml. Its destroy runs the upgrade module's delete targets
// (../shared/fixtures/kubeflow-manifests/upgrade-terraform/Makefile, `make delete`) with the real
// terraform on the stand-in module, and a plan that would reach what the runbook keeps is refused.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { productionState } from '../../src/sandbox/tfstate.js';
import { makeScenario } from '../../src/sandbox/scenario.js';
import { load } from '../../src/runner/index.js';
import { builtinTasks } from '../../src/modules/index.js';
import { repoRoot } from '../helpers/cli.js';
import { runTasks, tempDir } from '../helpers/run.js';
import { haveTerraform as terraformFound } from '../helpers/binaries.js';

const haveTerraform = terraformFound('the retire-blue destroy tests are skipped');

const playbook = join(repoRoot, 'playbooks', 'retire-blue.yaml');
const pbVars = (parse(readFileSync(playbook, 'utf8')) as { vars: { retire_stages: { name: string; targets: string[] }[]; retire_keep: string[] } }).vars;
const scenario = makeScenario({ profiles: 1 });

describe('playbooks/retire-blue.yaml', () => {
  for (const env of ['production', 'staging']) {
    it(`validates with the ${env} environment`, async () => {
      await expect(load({ playbook, env, registry: builtinTasks })).resolves.toBeDefined();
    });
  }

  it('destroys the Makefile\'s delete targets in its order, without the ALB redirect users reach the platform through (source: upgrade-terraform/Makefile)', () => {
    const mk = join(repoRoot, '..', 'shared', 'fixtures', 'kubeflow-manifests', 'upgrade-terraform', 'Makefile');
    if (!existsSync(mk)) return console.warn('../shared is absent: the Makefile comparison is skipped');
    const text = readFileSync(mk, 'utf8');
    // `delete:`'s prerequisites, in the order make runs them, each to the module it destroys
    const order = /^delete:((?:[^\n]*\\\n)*[^\n]*)/m.exec(text)![1].replace(/\\\n/g, ' ').trim().split(/\s+/);
    const deletes = order.map((rule) => new RegExp(`^${rule}:\\s*\\n\\s*terraform destroy -target="(module\\.[a-z_]+)"`, 'm').exec(text)![1]);
    expect(pbVars.retire_stages.flatMap((s) => s.targets)).toEqual(deletes.filter((t) => t !== 'module.alb_redirection'));
    expect(pbVars.retire_keep).toEqual(expect.arrayContaining(['module.alb_redirection**', '**aws_backup_vault.*', '**aws_security_group.*']));
  });

  it('its gate says plainly that rollback to blue is impossible afterwards', () => {
    const text = readFileSync(playbook, 'utf8');
    expect(text).toMatch(/rollback to blue is impossible/);
    const doc = parse(text) as { tasks: { id?: string }[] };
    const ids = doc.tasks.map((t) => t.id);
    expect(ids.indexOf('blue-owns-nothing')).toBeLessThan(ids.indexOf('retire-gate'));
    expect(ids.indexOf('retire-gate')).toBeLessThan(ids.indexOf('retire'));
  });
});

describe.skipIf(!haveTerraform)('retiring a cluster the upgrade module deployed (real terraform, stand-in module)', () => {
  /** a deployed stand-in, made once: each test retires its own copy of it */
  let original: Promise<string> | undefined;
  async function deployed(): Promise<string> {
    const from = await (original ??= deploy());
    const dir = tempDir('kfup-retire-');
    // Terraform's state and working directory hold no absolute path: a copy is the same deployment
    cpSync(from, dir, { recursive: true });
    return dir;
  }
  /** the stand-in deployed as the upgrade module deploys a cluster */
  async function deploy(): Promise<string> {
    const dir = tempDir('kfup-retire-');
    writeFileSync(join(dir, 'blue.tfstate'), JSON.stringify(productionState(scenario)));
    cpSync(join(repoRoot, 'playbooks', 'sandbox', 'green-terraform'), join(dir, 'old'), { recursive: true });
    const r = await runTasks({
      dir,
      tasks: [
        { name: 'collect', 'tfvars-from-state': { statefile: 'blue.tfstate', write: 'old/sample.auto.tfvars', cognito: true, efs: true, fsx: false }, register: 'prod' },
        { name: 'deploy', 'terraform-apply': { dir: 'old', vars: '{{prod.outputs.values}}' } },
      ],
    });
    expect(r.reporter.end('deploy').status, r.reporter.end('deploy').message).toBe('changed');
    return dir;
  }
  const retire = (keep: string[]) => ({ name: 'retire', 'terraform-apply': { dir: 'old', destroy: true, stages: pbVars.retire_stages, keep } });

  it('check lists what goes and keeps the ALB redirect; run removes it; a second run is ok', async () => {
    const dir = await deployed();
    const check = await runTasks({ dir, mode: 'check', tasks: [retire(pbVars.retire_keep)] });
    const c = check.reporter.end('retire');
    expect(c.status, c.message).toBe('changed');
    expect(c.changes.map((x) => `${x.action} ${x.target}`).sort()).toEqual([
      'delete module.eks_blueprints.terraform_data.this',
      'delete module.eks_blueprints_kubernetes_addons.terraform_data.this',
      'delete module.kubeflow_components.terraform_data.this',
    ]);
    const run = await runTasks({ dir, tasks: [retire(pbVars.retire_keep)] });
    expect(run.reporter.end('retire').status, run.reporter.end('retire').message).toBe('changed');
    const state = JSON.parse(readFileSync(join(dir, 'old', 'terraform.tfstate'), 'utf8')) as { resources: { module?: string }[] };
    expect(state.resources.map((r) => r.module)).toEqual(['module.alb_redirection[0]']);
    const again = await runTasks({ dir, tasks: [retire(pbVars.retire_keep)] });
    expect(again.reporter.end('retire').status).toBe('ok');
  }, 300_000);

  it('a plan that reaches a kept address is refused in check, naming it, and nothing is destroyed', async () => {
    const dir = await deployed();
    const before = readFileSync(join(dir, 'old', 'terraform.tfstate'), 'utf8');
    const run = await runTasks({ dir, tasks: [retire([...pbVars.retire_keep, 'module.eks_blueprints_kubernetes_addons**'])] });
    const end = run.reporter.end('retire');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/would destroy what must be kept:[\s\S]*module\.eks_blueprints_kubernetes_addons\.terraform_data\.this \(keep: module\.eks_blueprints_kubernetes_addons\*\*\)/);
    expect(readFileSync(join(dir, 'old', 'terraform.tfstate'), 'utf8')).toBe(before);
  }, 300_000);
});
