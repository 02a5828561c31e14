// The upgrade survives what nights in a maintenance window bring: a process killed at a random
// moment and resumed, and transient faults (throttling, 5xx, conflicts, dropped connections).
// Either way it ends in the same state as an undisturbed run, with no duplicate side effect.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { kfupBin } from '../helpers/cli.js';
import { upgradeEndState } from '../../src/sandbox/summary.js';
import { comparable, expectUpgraded, runStarted, sandbox, upgrade, upgradeCli } from './helpers.js';


/** the end state of an undisturbed run, computed once for comparison (both tests compare with it) */
let referenceState: Promise<ReturnType<typeof comparable>> | undefined;
const reference = () => (referenceState ??= undisturbed());
async function undisturbed() {
  const { sb, done } = await sandbox();
  try {
    const { result } = await upgrade(sb, 'run');
    expect(result.failed).toBe(false);
    return comparable(upgradeEndState(sb));
  } finally {
    await done();
  }
}

describe('kill and resume', () => {
  it('ends, after SIGKILL at random moments and --resume, as an undisturbed run does, with no duplicate backup or restore', { timeout: 300_000 }, async () => {
    const want = await reference();
    // a fixed list of random-looking moments, so a failure can be replayed: as it starts, and
    // in the middle (the long suite, npm run test:resilience, kills at many more)
    for (const killAfterMs of [40, 900]) {
      const { sb, done } = await sandbox();
      try {
        const first = upgradeCli(sb, []);
        await runStarted(sb);
        await new Promise((r) => setTimeout(r, killAfterMs));
        first.kill();
        const killed = await first.done;
        // `kfup runs` tells a killed run from one still going
        const runs = await new Promise<string>((res) => {
          const c = spawn(process.execPath, [kfupBin, 'runs', '--state-dir', join(sb.dir, '.kfup')], { stdio: ['ignore', 'pipe', 'pipe'] });
          let o = '';
          c.stdout.on('data', (d) => (o += d));
          c.on('close', () => res(o));
        });
        expect(runs).toMatch(/run\s+killed\s/);
        expect(runs).toMatch(/--resume/);
        // a check of the partly applied upgrade reads everything and writes nothing
        const mark = sb.requestLog.mark();
        const check = await upgradeCli(sb, ['--check']).done;
        expect(check.code, check.out.slice(-2000)).toBe(0);
        expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
        const resumed = await upgradeCli(sb, ['--resume', 'last']).done;
        expect(resumed.code, `killed at ${killAfterMs} ms (exit ${killed.code}); resume said:\n${resumed.out.slice(-3000)}`).toBe(0);
        expectUpgraded(sb);
        const st = upgradeEndState(sb);
        expect(comparable(st)).toEqual(want);
        expect(st.sideEffects.backupJobs, 'one AWS Backup job per data store').toBe(3);
        expect(st.sideEffects.veleroBackups).toBe(1);
        expect(st.sideEffects.veleroRestores).toBe(1);
      } finally {
        await done();
      }
    }
  });
});

describe('transient faults', () => {
  it('completes through throttling, 5xx, conflicts and dropped connections at 10% of requests', { timeout: 300_000 }, async () => {
    const want = await reference();
    const { sb, done } = await sandbox({ seed: 7 });
    try {
      sb.traffic.setFaults(
        [
          { fault: 'throttle', rate: 0.04 },
          { fault: 'error503', rate: 0.03 },
          { fault: 'conflict', target: 'kube', rate: 0.03 },
          { fault: 'drop', rate: 0.01 },
        ],
        7,
      );
      const { result, reporter } = await upgrade(sb, 'run');
      sb.traffic.setFaults([]);
      expect(result.failed, JSON.stringify(reporter.ends().filter((e) => e.status === 'failed').map((e) => [e.task.name, e.message]))).toBe(false);
      expect(sb.requestLog.count((e) => e.fault !== undefined)).toBeGreaterThan(5);
      expect(comparable(upgradeEndState(sb))).toEqual(want);
    } finally {
      await done();
    }
  });
});
