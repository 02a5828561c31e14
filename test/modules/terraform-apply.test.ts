// terraform-apply through the conformance tester (test/kit/task-tester.ts) with the real terraform
// on PATH (the cases that run it are left out when it is absent), against fixture configurations
// that need no provider download (terraform_data, local backend). The tester asserts the
// invariants (dry-run sends nothing and starts no process, check writes no state, run then check
// plans nothing); the cases add what is particular to terraform-apply. What a table does not reach
// (outputs used later, secrets, errors, the lock file, timeouts): terraform-apply.edges.test.ts.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { taskTester, type ValidCase } from '../kit/task-tester.js';
import { tempDir } from '../helpers/run.js';

const TASK = 'task under test';
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'terraform', 'configs');

function hasTerraform(): boolean {
  try {
    execFileSync('terraform', ['version', '-json'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const haveTf = hasTerraform();
if (!haveTf) console.warn('terraform is not on PATH: the terraform-apply cases that run it are left out');

/** a fresh copy of a fixture configuration, by absolute path (each phase of a case runs in its own directory) */
let config = '';
const copyOf = (name: string) => () => {
  config = join(tempDir('kfup-tf-'), 'tf');
  cpSync(join(fixtures, name), config, { recursive: true });
};
const vars = { cluster_name: 'kubeflow-green', src_vpc_private_subnets: ['subnet-a', 'subnet-b'] };

const withTerraform: ValidCase[] = [
  {
    name: 'plans per resource address, applies exactly that plan, leaves no plan file behind',
    setup: copyOf('green'),
    params: () => ({ dir: config, vars }),
    // Terraform's own state: the table does not revert it (terraform-apply has no revert)
    after: ({ run, check }) => {
      const end = run.reporter.end(TASK);
      expect(end.changes.map((x) => `${x.action} ${x.target}`).sort()).toEqual(['create terraform_data.cluster', 'create terraform_data.database']);
      expect(end.notes.join('\n')).toMatch(/plan: 2 to create, 0 to update, 0 to replace, 0 to delete/);
      expect(existsSync(join(config, 'terraform.tfstate'))).toBe(true);
      expect(existsSync(join(config, '.terraform.tfstate.lock.info'))).toBe(false);
      // no plan file left in the user's directory
      expect(readdirSync(config).filter((f) => !f.startsWith('.') && f !== 'main.tf' && !f.startsWith('terraform.tfstate'))).toEqual([]);
      expect(check.reporter.end(TASK).notes.join('\n')).toMatch(/plan: no changes/);
      // the sensitive output never shows
      expect(JSON.stringify([run.reporter.events, check.reporter.events])).not.toContain('fixture-db-password-Zq81');
    },
    timeoutMs: 90_000,
  },
];

taskTester({
  type: 'terraform-apply',
  valid: [
    ...(haveTf ? withTerraform : []),
    {
      name: 'with if_missing: skip, a missing terraform skips the task and says why',
      setup: copyOf('green'),
      params: () => ({ dir: config, vars, binary: 'terraform-not-installed-here', if_missing: 'skip' }),
      expect: 'skipped',
      after: ({ run }) => expect(run.reporter.end(TASK).notes[0]).toMatch(/terraform-not-installed-here is not installed \(not on PATH\), and if_missing is skip/),
    },
  ],
  invalid: [
    { name: 'no dir', params: { vars }, error: /dir/ },
    { name: 'a lock timeout that is no duration', params: { dir: 'tf', lock_timeout: 'soon' }, error: /lock_timeout/ },
    { name: 'an if_missing that is neither fail nor skip', params: { dir: 'tf', if_missing: 'ignore' }, error: /if_missing/ },
    { name: 'a variable name Terraform does not allow', params: { dir: 'tf', vars: { '1st': 'x' } }, error: /vars/ },
  ],
});
