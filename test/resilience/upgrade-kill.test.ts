// Long suite (npm run test:resilience): twenty upgrades killed with SIGKILL at random moments,
// each checked (no writes) and resumed to completion, each ending in the same state as an
// undisturbed run with no duplicate side effect.
import { describe, expect, it } from 'vitest';
import { upgradeEndState } from '../../src/sandbox/summary.js';
import { comparable, expectUpgraded, runStarted, sandbox, upgrade, upgradeCli } from '../e2e/helpers.js';

const KILLS = 20;


/** a seeded sequence, so a failing kill moment can be replayed */
function moments(n: number, seed = 20261125): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 20 + (x % 2500);
  });
}

describe('kill and resume, many times', () => {
  it(`survives ${KILLS} kills at random moments`, async () => {
    const ref = await sandbox();
    let want: ReturnType<typeof comparable>;
    try {
      const r = await upgrade(ref.sb, 'run');
      expect(r.result.failed).toBe(false);
      want = comparable(upgradeEndState(ref.sb));
    } finally {
      await ref.done();
    }
    const summary: string[] = [];
    for (const [i, ms] of moments(KILLS).entries()) {
      const { sb, done } = await sandbox();
      try {
        const first = upgradeCli(sb, []);
        await runStarted(sb);
        await new Promise((r) => setTimeout(r, ms));
        first.kill();
        const killed = await first.done;
        const mark = sb.requestLog.mark();
        const check = await upgradeCli(sb, ['--check']).done;
        expect(check.code, check.out.slice(-1500)).toBe(0);
        expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
        const resumed = await upgradeCli(sb, ['--resume', 'last']).done;
        expect(resumed.code, `kill ${i} at ${ms} ms: ${resumed.out.slice(-2000)}`).toBe(0);
        expectUpgraded(sb);
        const st = upgradeEndState(sb);
        expect(comparable(st)).toEqual(want!);
        expect(st.sideEffects.backupJobs).toBe(3);
        expect(st.sideEffects.veleroBackups).toBe(1);
        expect(st.sideEffects.veleroRestores).toBe(1);
        summary.push(`kill ${i + 1} at ${ms} ms (first run exit ${killed.code}): resumed to the same end state`);
      } finally {
        await done();
      }
    }
    console.log(summary.join('\n'));
    expect(summary).toHaveLength(KILLS);
  });
});
