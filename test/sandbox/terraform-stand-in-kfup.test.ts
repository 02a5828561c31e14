// kfup's green-deployment steps (tfvars-from-state, then terraform-apply with the collected
// values, as playbooks/blue-green-upgrade.yaml runs them) against the stand-in module, which has
// the real deployment's variables (../shared/fixtures/kubeflow-manifests/upgrade-terraform/
// variables.tf): terraform refuses what the real module would refuse.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { productionState } from '../../src/sandbox/tfstate.js';
import { makeScenario } from '../../src/sandbox/scenario.js';
import { repoRoot } from '../helpers/cli.js';
import { runTasks, tempDir } from '../helpers/run.js';
import { haveTerraform as terraformFound } from '../helpers/binaries.js';

const haveTerraform = terraformFound('the green Terraform stand-in tests that run it are skipped');

const scenario = makeScenario({ profiles: 1 });

/** a playbook directory with production's state and a copy of the stand-in module in ./green */
function workspace(state: Record<string, unknown>): string {
  const dir = tempDir('kfup-green-tf-');
  writeFileSync(join(dir, 'blue.tfstate'), JSON.stringify(state));
  cpSync(join(repoRoot, 'playbooks', 'sandbox', 'green-terraform'), join(dir, 'green'), { recursive: true });
  return dir;
}

/** the two tasks of the upgrade playbook, with its parameters */
const tasks = (storage: 'efs' | 'fsx') => [
  {
    name: 'collect',
    'tfvars-from-state': { statefile: 'blue.tfstate', write: 'green/sample.auto.tfvars', upgrade_tfvars: 'green/upgrade.tfvars', cognito: true, efs: storage === 'efs', fsx: storage === 'fsx' },
    register: 'prod',
  },
  { name: 'deploy', 'terraform-apply': { dir: 'green', vars: '{{prod.outputs.values}}' }, register: 'green_tf' },
];

describe.skipIf(!haveTerraform)('green deployment through the real Terraform interface', () => {
  it('an EFS production: the collected values and the operator file satisfy every required variable', async () => {
    const dir = workspace(productionState(scenario));
    const r = await runTasks({ dir, tasks: tasks('efs') });
    const end = r.reporter.end('deploy');
    expect(end.status, end.message).toBe('changed');
  }, 180_000);

  // Issue 13, "The upgrade as the real deployment runs it": the real upgrade module
  // (../shared/fixtures/kubeflow-manifests/upgrade-terraform/variables.tf) declares no FSx id
  // (terraform: "Value for undeclared variable" for src_fsx_fs_id) and requires src_efs_fs_id with
  // no default; an FSx production is use_fsx = true, use_efs = false and an empty src_efs_fs_id.
  it('an FSx production: kfup gives the real module only variables it declares, and all it requires (issue 13)', async () => {
    const state = productionState(scenario) as { resources: { type: string; module?: string; name: string; instances: unknown[] }[] };
    const fsxId = 'fs-0f5x1u2s3t4r5e6a7';
    state.resources = state.resources.filter((x) => x.type !== 'aws_efs_file_system');
    state.resources.push({
      module: 'module.fsx',
      type: 'aws_fsx_lustre_file_system',
      name: 'kubeflow',
      instances: [{ schema_version: 0, attributes: { id: fsxId, arn: `arn:aws:fsx:${scenario.region}:${scenario.accountId}:file-system/${fsxId}` } }],
      ...({ mode: 'managed', provider: 'provider["registry.terraform.io/hashicorp/aws"]' } as object),
    });
    const dir = workspace(state);
    const r = await runTasks({ dir, tasks: tasks('fsx') });
    expect(r.reporter.end('collect').status, r.reporter.end('collect').message).toBe('changed');
    const end = r.reporter.end('deploy');
    expect(end.status, end.message).toBe('changed');
    const tfvars = readFileSync(join(dir, 'green', 'sample.auto.tfvars'), 'utf8');
    expect(tfvars).toMatch(/^use_fsx\s*=\s*true$/m);
    expect(tfvars).toMatch(/^use_efs\s*=\s*false$/m);
    expect(tfvars).toMatch(/^src_efs_fs_id\s*=\s*""$/m);
    expect(tfvars).not.toContain('fsx_fs_id');
  }, 180_000);
});
