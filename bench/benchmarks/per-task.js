// 2. Per-task overhead: a playbook of 1,000 assert tasks with templated conditions, run for real
// by kfup and by ansible-playbook. Per-task time is the marginal cost: (time of 1,000 tasks -
// time of 1 task) / 999, so start-up (bench 1) is not counted twice; the raw total / 1,000 is
// shown too.
import { join } from 'node:path';
import { kfup, scratchDir, removeDir } from '../lib/context.js';
import { ansible, ansiblePlaybook, ANSIBLE_MISSING, writeAnsibleAsserts } from '../lib/ansible.js';
import { writeKfupAsserts } from '../lib/playbooks.js';
import { alternate, median } from '../lib/stats.js';

const N = 1000;

export default {
  name: 'per-task',
  title: 'Per-task overhead',
  compares: `\`kfup run\` of ${N} assert tasks (two Handlebars conditions each) vs \`ansible-playbook\` of the same ${N} ansible.builtin.assert tasks (the same two conditions in Jinja), connection local, gather_facts false`,
  fair: 'both evaluate the same conditions on the same variables in a real run with their default reporting (kfup also journals every task to disk; ansible runs on localhost with no SSH); per-task cost is the difference between 1,000 tasks and 1 task, so start-up is excluded for both',
  reps: 3,
  async run({ reps, log }) {
    const dir = scratchDir('per-task');
    try {
      const kfupPb = { 1: writeKfupAsserts(dir, 1), [N]: writeKfupAsserts(dir, N) };
      const ansPb = { 1: writeAnsibleAsserts(dir, 1), [N]: writeAnsibleAsserts(dir, N) };
      let stateN = 0;
      const kfupRun = async (n) => {
        // a fresh state directory each time: no lock or journal carries over between samples
        const r = await kfup(['run', kfupPb[n], '--state-dir', join(dir, `state-${stateN++}`)], { cwd: dir });
        if (r.code !== 0) throw new Error(`kfup run exited ${r.code}: ${(r.stderr || r.stdout).split('\n')[0]}`);
        return r;
      };
      const ansRun = async (n) => {
        const r = await ansible([ansPb[n]], { cwd: dir });
        if (r.code !== 0) throw new Error(`ansible-playbook exited ${r.code}: ${(r.stderr || r.stdout).split('\n').slice(0, 3).join(' ')}`);
        if (!new RegExp(`ok=${n}\\b`).test(r.stdout)) throw new Error(`ansible-playbook did not report ok=${n}`);
        return r;
      };
      const hasAnsible = Boolean(ansiblePlaybook());
      const sides = [
        { name: `kfup ${N}`, run: () => kfupRun(N) },
        { name: 'kfup 1', run: () => kfupRun(1) },
      ];
      if (hasAnsible) sides.push({ name: `ansible ${N}`, run: () => ansRun(N) }, { name: 'ansible 1', run: () => ansRun(1) });
      const samples = await alternate(sides, reps, { log });
      const med = (name) => median(samples[name].map((s) => s.ms));
      const row = (name, note) => ({ side: name.replace(/ (\d+)$/, ' run, $1 task(s)'), median_ms: med(name), samples_ms: samples[name].map((s) => +s.ms.toFixed(1)), peak_rss_mb: median(samples[name].map((s) => s.peakRssMb)), note });
      const kPer = (med(`kfup ${N}`) - med('kfup 1')) / (N - 1);
      const rows = [row(`kfup ${N}`, `${(med(`kfup ${N}`) / N).toFixed(3)} ms/task raw`), row('kfup 1', 'start-up + 1 task')];
      const figures = [{ name: 'kfup per task (marginal)', value: kPer, unit: 'ms', target: '< 0.5 ms', met: kPer < 0.5 }];
      if (hasAnsible) {
        const aPer = (med(`ansible ${N}`) - med('ansible 1')) / (N - 1);
        rows.push(row(`ansible ${N}`, `${(med(`ansible ${N}`) / N).toFixed(3)} ms/task raw`), row('ansible 1', 'start-up + 1 task'));
        figures.push({ name: 'ansible per task (marginal)', value: aPer, unit: 'ms' }, { name: 'ansible / kfup per task', value: aPer / kPer, unit: 'x', target: '>= 50x', met: aPer / kPer >= 50 });
      } else {
        rows.push({ side: `ansible run, ${N} task(s)`, skipped: ANSIBLE_MISSING });
      }
      return { tasks: N, rows, figures };
    } finally {
      removeDir(dir);
    }
  },
};
