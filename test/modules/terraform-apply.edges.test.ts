// terraform-apply where the conformance table (terraform-apply.test.ts) does not reach, through
// the real runner and the real terraform on PATH, against fixture configurations that need no
// provider download (terraform_data, local backend): the commands dry-run shows, outputs used by a
// later task and a sensitive one kept out of every report, a changed variable, the lock file in
// check mode, Terraform's errors, the version range, a missing binary or directory, a timeout.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTasks, tempDir } from '../helpers/run.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'terraform', 'configs');

function terraformVersion(): string | undefined {
  try {
    return (JSON.parse(execFileSync('terraform', ['version', '-json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { terraform_version: string }).terraform_version;
  } catch {
    return undefined;
  }
}
const tfVersion = terraformVersion();
if (!tfVersion) console.warn('terraform is not on PATH: the terraform-apply tests that run it are skipped');
const noTf = !tfVersion;

/** a playbook directory with a copy of a fixture configuration in ./tf */
function workspace(config: string): string {
  const dir = tempDir('kfup-tf-');
  cpSync(join(fixtures, config), join(dir, 'tf'), { recursive: true });
  return dir;
}

const task = (extra: Record<string, unknown> = {}) => ({ name: 'deploy green', 'terraform-apply': { dir: 'tf', vars: { cluster_name: 'kubeflow-green', src_vpc_private_subnets: ['subnet-a', 'subnet-b'] }, ...extra }, register: 'green' });

const journalText = (stateDir: string): string =>
  readdirSync(join(stateDir, 'runs'))
    .map((r) => join(stateDir, 'runs', r, 'journal.ndjson'))
    .filter(existsSync)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');

describe('terraform-apply', () => {
  it('dry-run shows the commands and runs nothing', async () => {
    const dir = workspace('green');
    const { reporter } = await runTasks({ dir, mode: 'dry-run', tasks: [task({ required_version: '>=1.4', var_files: ['extra.tfvars'] })] });
    const end = reporter.end('deploy green');
    expect(end.status).toBe('planned');
    const text = end.describe!.join('\n');
    expect(text).toMatch(/terraform init -input=false/);
    expect(text).toMatch(/terraform plan -input=false -out=PLANFILE -detailed-exitcode -var-file=extra\.tfvars -var cluster_name=kubeflow-green -var 'src_vpc_private_subnets=\["subnet-a", "subnet-b"\]'/);
    expect(text).toMatch(/terraform apply -input=false PLANFILE/);
    expect(existsSync(join(dir, 'tf', '.terraform'))).toBe(false);
  });

  it.skipIf(noTf)('the outputs are known to a later task, the sensitive one shows nowhere; a changed variable is an update', async () => {
    const dir = workspace('green');
    const run = await runTasks({
      dir,
      tasks: [task(), { name: 'use output', assert: { that: ["{{eq green.outputs.kubelow_platform_domain 'kubeflow-green.platform.example.com'}}", '{{eq (length green.outputs.cluster_subnets) 2}}'] } }],
    });
    const r = run.reporter.end('deploy green');
    expect(r.status, r.message).toBe('changed');
    expect(run.reporter.end('use output').status).toBe('ok');
    expect(existsSync(join(dir, 'tf', 'terraform.tfstate'))).toBe(true);
    expect(existsSync(join(dir, 'tf', '.terraform.tfstate.lock.info'))).toBe(false);

    // the sensitive output never shows: not in events, not in the journal
    const secret = 'fixture-db-password-Zq81';
    expect(JSON.stringify(run.reporter.events)).not.toContain(secret);
    expect(journalText(run.stateDir)).not.toContain(secret);

    // a changed variable is an update of one resource, and check shows it without applying
    const changed = await runTasks({ dir, mode: 'check', tasks: [task({ vars: { cluster_name: 'kubeflow-teal', src_vpc_private_subnets: ['subnet-a', 'subnet-b'] } })] });
    const ch = changed.reporter.end('deploy green');
    expect(ch.status).toBe('changed');
    expect(ch.changes.map((x) => `${x.target}: ${x.summary}`)).toEqual(['terraform_data.cluster: update']);
    expect(JSON.stringify(changed.reporter.events)).not.toContain(secret);
  }, 60_000);

  it.skipIf(noTf)('check mode keeps an existing lock file read-only', async () => {
    const dir = workspace('green');
    await runTasks({ dir, tasks: [task()] });
    const lock = join(dir, 'tf', '.terraform.lock.hcl');
    writeFileSync(lock, '# This file is maintained automatically by "terraform init".\n');
    const before = readFileSync(lock, 'utf8');
    const { reporter } = await runTasks({ dir, mode: 'check', tasks: [task()] });
    expect(reporter.end('deploy green').status).toBe('ok');
    expect(readFileSync(lock, 'utf8')).toBe(before);
  }, 30_000);

  it.skipIf(noTf)('a failing plan reports Terraform\'s error lines', async () => {
    const dir = workspace('broken');
    const { reporter, result } = await runTasks({ dir, tasks: [{ name: 'deploy green', 'terraform-apply': { dir: 'tf' } }] });
    const end = reporter.end('deploy green');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/terraform plan failed in .*tf:/);
    expect(end.message).toMatch(/Error: Resource precondition failed/);
    expect(end.message).toMatch(/precondition failed on purpose/);
    expect(end.message).not.toMatch(/[╷│╵]/);
    expect(result.failed).toBe(true);
  }, 30_000);

  it.skipIf(noTf)('required_version out of range is a clear error before anything runs', async () => {
    const dir = workspace('green');
    const { reporter } = await runTasks({ dir, tasks: [task({ required_version: '<1.3.0' })] });
    const end = reporter.end('deploy green');
    expect(end.status).toBe('failed');
    expect(end.message).toBe(`terraform is version ${tfVersion}, which is outside required_version "<1.3.0"`);
    expect(end.hint).toMatch(/install a Terraform in that range/);
    expect(existsSync(join(dir, 'tf', '.terraform'))).toBe(false);
  });

  it('a missing terraform binary is a clear error', async () => {
    const dir = workspace('green');
    const { reporter } = await runTasks({ dir, mode: 'check', tasks: [task({ binary: 'terraform-not-installed-here' })] });
    const end = reporter.end('deploy green');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/terraform-not-installed-here is not installed or not on PATH/);
  });

  it('a missing directory is a clear error', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'other'));
    const { reporter } = await runTasks({ dir, mode: 'check', tasks: [task({ dir: 'nope' })] });
    expect(reporter.end('deploy green').message).toMatch(/Terraform directory not found: .*nope/);
  });

  it.skipIf(noTf)('a task timeout interrupts apply with SIGINT and Terraform releases its state lock', async () => {
    const dir = workspace('slow');
    const t0 = Date.now();
    const { reporter } = await runTasks({ dir, tasks: [{ name: 'slow apply', 'terraform-apply': { dir: 'tf' }, timeout: '4s' }] });
    const end = reporter.end('slow apply');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/timed out after 4/);
    // The runner ends a timed-out task without waiting for its subprocess, so wait here for
    // Terraform to finish stopping: after SIGINT it cleans up and releases its state lock itself
    // (a killed Terraform would leave .terraform.tfstate.lock.info behind).
    const lock = join(dir, 'tf', '.terraform.tfstate.lock.info');
    for (let i = 0; i < 100 && existsSync(lock); i++) await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(lock)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(28_000); // well before the 30s sleep would have ended
    const state = join(dir, 'tf', 'terraform.tfstate');
    if (existsSync(state)) expect((JSON.parse(readFileSync(state, 'utf8')) as { version: number }).version).toBe(4);
  }, 40_000);
});
