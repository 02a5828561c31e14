// Running the upgrade playbook against a fresh sandbox, as benchmarks 5 and 6 do.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { kfup, removeDir, scratchDir, skip, upgradePlaybook, hasTaskType } from './context.js';
import { startSandbox } from './sandbox.js';
import { which } from './proc.js';
import { recordWaits } from './waits.js';

/** "realistic" job durations: the sandbox's defaults, with latency on every request */
export const REALISTIC = { latencyMs: 5, timing: { backupJobMs: 1500, dnsChangeMs: 300, veleroPhaseMs: 200, veleroSyncMs: 300 } };

export async function requireUpgrade() {
  if (!existsSync(upgradePlaybook)) skip('playbooks/blue-green-upgrade.yaml does not exist yet');
  for (const t of ['velero-annotate', 'velero-backup', 'velero-restore', 'backup-snapshot', 'alb-cutover']) {
    if (!(await hasTaskType(t))) skip(`the ${t} task type the upgrade playbook uses is not registered and built`);
  }
}

/**
 * One run of the upgrade playbook (mode 'run' or 'check') against a new sandbox of `profiles`
 * profiles. Returns the process sample, the task-end events and the sandbox's wait intervals.
 */
export async function upgradeOnce({ profiles, mode = 'run' }) {
  const dir = scratchDir('upgrade');
  const sb = await startSandbox({ dir: join(dir, 'sandbox'), profiles, ...REALISTIC });
  const waits = recordWaits(sb);
  try {
    const ends = [];
    const args = ['run', upgradePlaybook, '--env', sb.environmentFile, '--output', 'json', '--state-dir', join(dir, '.kfup'), '--var', `run_terraform=${Boolean(which('terraform'))}`];
    if (mode === 'check') args.push('--check');
    else args.push('--yes');
    const mark = sb.requestLog.mark();
    let firstTaskAt;
    const spawnedAt = Date.now();
    const r = await kfup(args, {
      cwd: dir,
      env: sb.env,
      onLine: (line) => {
        if (line.includes('"task-end"')) ends.push(JSON.parse(line));
        else if (firstTaskAt === undefined && line.includes('"task-start"')) firstTaskAt = Date.parse(JSON.parse(line).time);
      },
    });
    if (r.code !== 0) throw new Error(`kfup run${mode === 'check' ? ' --check' : ''} of the upgrade exited ${r.code}: ${(r.stderr || r.stdout).slice(-600)}`);
    const requests = sb.requestLog.since(mark);
    const lastEnd = Math.max(...ends.map((e) => Date.parse(e.time)));
    // outside the tasks: from spawn to the first task, and from the last task's end to exit
    const startupMs = firstTaskAt - spawnedAt;
    const exitMs = spawnedAt + r.ms - lastEnd;
    return { ...r, ends, startupMs, exitMs, intervals: waits.intervals(), requests: requests.length, mutating: requests.filter((e) => e.mutating).length };
  } finally {
    waits.stop();
    await sb.stop();
    removeDir(dir);
  }
}
