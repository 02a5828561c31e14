// Check mode leaves a Terraform directory byte-identical (issue 14): init runs in a private
// temporary TF_DATA_DIR (no .terraform/, no modules.json), the lock file is read-only (and one
// init would create is taken away again), plan takes no state lock. A hash of every file, with
// its mode, before and after --check is the judge. Real terraform (1.11 here, built-in providers
// only); skipped when it is not on PATH.
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTasks, tempDir } from '../helpers/run.js';
import { haveTerraform as terraformFound } from '../helpers/binaries.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'terraform', 'configs');
const haveTf = terraformFound('the check-mode directory hash test is skipped');

/** every file and directory under dir, with its mode and content digest */
function treeHash(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) {
        out.push(`${relative(dir, p)}/ ${st.mode.toString(8)}`);
        walk(p);
      } else out.push(`${relative(dir, p)} ${st.mode.toString(8)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir);
  return out;
}

const tempLeft = () => readdirSync(tmpdir()).filter((n) => new RegExp(`^kfup-tf(data|plan)-${process.pid}-`).test(n));

const task = { name: 'deploy green', 'terraform-apply': { dir: 'tf', vars: { cluster_name: 'kubeflow-green', src_vpc_private_subnets: ['subnet-a', 'subnet-b'] } } };

describe('terraform-apply in check mode', () => {
  it.skipIf(!haveTf)('leaves a directory never initialised byte-identical (no .terraform, no lock file) and no temp dir', async () => {
    const dir = tempDir('kfup-tfro-');
    cpSync(join(fixtures, 'green'), join(dir, 'tf'), { recursive: true });
    const before = treeHash(join(dir, 'tf'));
    const { reporter } = await runTasks({ dir, mode: 'check', tasks: [task] });
    expect(reporter.end('deploy green').status).toBe('changed');
    expect(treeHash(join(dir, 'tf'))).toEqual(before);
    expect(tempLeft()).toEqual([]);
  }, 60_000);

  it.skipIf(!haveTf)('leaves an applied directory (state, .terraform, lock file) byte-identical', async () => {
    const dir = tempDir('kfup-tfro-');
    cpSync(join(fixtures, 'green'), join(dir, 'tf'), { recursive: true });
    await runTasks({ dir, tasks: [task] });
    // a lock file as a real init writes it, then a changed variable: check plans an update
    writeFileSync(join(dir, 'tf', '.terraform.lock.hcl'), '# This file is maintained automatically by "terraform init".\n');
    const before = treeHash(join(dir, 'tf'));
    const changed = { ...task, 'terraform-apply': { ...task['terraform-apply'], vars: { cluster_name: 'kubeflow-teal', src_vpc_private_subnets: ['subnet-a'] } } };
    const { reporter } = await runTasks({ dir, mode: 'check', tasks: [changed] });
    expect(reporter.end('deploy green').status).toBe('changed');
    expect(treeHash(join(dir, 'tf'))).toEqual(before);
    expect(tempLeft()).toEqual([]);
  }, 90_000);
});
