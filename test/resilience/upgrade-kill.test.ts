// Long suite (npm run test:resilience): twenty upgrades killed with SIGKILL at random moments,
// each checked (no writes) and resumed to completion, each ending in the same state as an
// undisturbed run with no duplicate side effect.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kfupBin } from '../helpers/cli.js';
import { upgradeEndState } from '../../src/sandbox/summary.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { comparable, expectUpgraded, sandbox, upgrade, upgradePlaybook } from '../e2e/helpers.js';

const KILLS = 20;

function cli(sb: Sandbox, args: string[]) {
  const child = spawn(process.execPath, [kfupBin, 'run', upgradePlaybook, '--env', sb.environmentFile, '--yes', '--state-dir', join(sb.dir, '.kfup'), ...args], {
    env: { ...process.env, ...sb.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { done: new Promise<{ code: number | null; out: string }>((r) => child.on('close', (code) => r({ code, out }))), kill: () => child.kill('SIGKILL') };
}

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
        const first = cli(sb, []);
        const runs = join(sb.dir, '.kfup', 'runs');
        for (let k = 0; k < 300 && !(existsSync(runs) && readdirSync(runs).some((d) => existsSync(join(runs, d, 'meta.json')))); k++) await new Promise((r) => setTimeout(r, 10));
        await new Promise((r) => setTimeout(r, ms));
        first.kill();
        const killed = await first.done;
        const mark = sb.requestLog.mark();
        const check = await cli(sb, ['--check']).done;
        expect(check.code, check.out.slice(-1500)).toBe(0);
        expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
        const resumed = await cli(sb, ['--resume', 'last']).done;
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
