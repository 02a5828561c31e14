// 1. Start-up: how long before kfup has validated the upgrade playbook, against bare Node (the
// floor: no Node program can start faster) and ansible-playbook --syntax-check of a playbook
// with the same number of tasks (the closest "parse and validate, run nothing" in Ansible).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { kfup, repoRoot, scratchDir, removeDir, upgradePlaybook, distImport } from '../lib/context.js';
import { ansible, ansiblePlaybook, ANSIBLE_MISSING, writeAnsibleAsserts } from '../lib/ansible.js';
import { run } from '../lib/proc.js';
import { alternate, median } from '../lib/stats.js';

const example = join(repoRoot, 'playbooks/examples/example.yaml');

/** the upgrade playbook with the sandbox's environment file, or the example with --env staging */
async function target(dir) {
  if (existsSync(upgradePlaybook)) {
    // the upgrade playbook needs an environment: the one a sandbox writes (validate reads files only)
    const { startSandbox } = await distImport('sandbox/index.js');
    const sb = await startSandbox({ dir: join(dir, 'sandbox') });
    await sb.stop();
    return { file: upgradePlaybook, args: ['--env', sb.environmentFile], label: 'playbooks/blue-green-upgrade.yaml' };
  }
  return { file: example, args: ['--env', 'staging'], label: 'playbooks/examples/example.yaml (the upgrade playbook does not exist yet)' };
}

export default {
  name: 'startup',
  title: 'Start-up',
  compares: '`kfup validate <playbook>` vs `node -e 0` vs `ansible-playbook --syntax-check` on a playbook with as many tasks',
  fair: 'all three are fresh processes spawned the same way (with the same GNU time wrapper), alternated in rotating order; each parses and validates a whole playbook and runs nothing, except node -e 0 which is the floor',
  reps: 15,
  async run({ reps, log }) {
    const dir = scratchDir('startup');
    try {
      const t = await target(dir);
      const probe = await kfup(['validate', t.file, ...t.args]);
      if (probe.code !== 0) throw new Error(`kfup validate failed (${probe.code}): ${probe.stderr.split('\n')[0]}`);
      const m = /(\d+) tasks\)/.exec(probe.stdout);
      const nTasks = m ? Number(m[1]) : 0;
      const ansibleFile = writeAnsibleAsserts(dir, nTasks);
      const check = (r, what) => {
        if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${(r.stderr || r.stdout).split('\n')[0]}`);
        return r;
      };
      const sides = [
        { name: 'kfup validate', run: async () => check(await kfup(['validate', t.file, ...t.args]), 'kfup validate') },
        { name: 'node -e 0', run: async () => check(await run(process.execPath, ['-e', '0']), 'node') },
      ];
      const hasAnsible = Boolean(ansiblePlaybook());
      if (hasAnsible) sides.push({ name: 'ansible-playbook --syntax-check', run: async () => check(await ansible(['--syntax-check', ansibleFile]), 'ansible-playbook') });
      const samples = await alternate(sides, reps, { log });
      const row = (name, note) => ({ side: name, median_ms: median(samples[name].map((s) => s.ms)), samples_ms: samples[name].map((s) => +s.ms.toFixed(2)), peak_rss_mb: median(samples[name].map((s) => s.peakRssMb)), note });
      const rows = [row('kfup validate', `${nTasks} tasks`), row('node -e 0', 'the floor')];
      rows.push(hasAnsible ? row('ansible-playbook --syntax-check', `${nTasks} ansible.builtin.assert tasks`) : { side: 'ansible-playbook --syntax-check', skipped: ANSIBLE_MISSING });
      const k = rows[0].median_ms;
      const vsNode = k / rows[1].median_ms;
      const figures = [
        { name: 'kfup / node -e 0', value: vsNode, unit: 'x', target: '<= 4x', met: vsNode <= 4 },
        { name: 'kfup overhead over node', value: k - rows[1].median_ms, unit: 'ms' },
      ];
      if (hasAnsible) figures.push({ name: 'ansible / kfup', value: rows[2].median_ms / k, unit: 'x' });
      return { playbook: t.label, tasks: nTasks, rows, figures };
    } finally {
      removeDir(dir);
    }
  },
};
