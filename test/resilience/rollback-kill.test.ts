// Long suite (npm run test:resilience), issue 15: upgrades killed with SIGKILL at random moments
// and then rolled back — the rollback itself killed at a random moment too and run again, which
// continues it. Each ends with what rollback reverses exactly as before the upgrade: the ALB rule,
// the DNS records and the profile roles' trust policies (blue's alone).
import { describe, expect, it } from 'vitest';
import { upgradeEndState } from '../../src/sandbox/summary.js';
import { runStarted, sandbox, sandboxCli, upgradeCli } from '../e2e/helpers.js';
import type { Sandbox } from '../../src/sandbox/index.js';

const KILLS = Number(process.env.KFUP_ROLLBACK_KILLS ?? 8);

/** a seeded sequence, so a failing kill moment can be replayed */
function moments(n: number, seed = 20261201): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 20 + (x % 30_000); // the sandbox upgrade reaches the cut-over after some 30 s
  });
}

/** `kfup rollback last` of the upgrade run, killable */
const rollback = (sb: Sandbox) => sandboxCli(sb, ['rollback', 'last'], []);

const reversible = (sb: Sandbox) => {
  const st = upgradeEndState(sb);
  return { albRedirectHost: st.albRedirectHost, records: st.records, rolesTrustingBoth: st.rolesTrustingBoth };
};

describe('kill, then roll back (itself killed once), many times', () => {
  it(`puts back what rollback reverses after ${KILLS} kills at random moments`, async () => {
    const summary: string[] = [];
    const ms = moments(KILLS * 2);
    for (let i = 0; i < KILLS; i++) {
      const { sb, done } = await sandbox();
      try {
        const before = reversible(sb);
        const first = upgradeCli(sb, []);
        await runStarted(sb);
        await new Promise((r) => setTimeout(r, ms[2 * i]));
        first.kill();
        await first.done;
        // the rollback, killed part-way (or not, if it is quicker), then run again to the end
        const cut = rollback(sb);
        await new Promise((r) => setTimeout(r, ms[2 * i + 1] / 3));
        cut.kill();
        const firstBack = await cut.done;
        const back = await rollback(sb).done;
        // killed before anything reversible happened: there is nothing to roll back, and it says so
        const nothing = /has reversible changes left to roll back/.test(back.out);
        expect(back.code === 0 || nothing, `kill ${i} at ${ms[2 * i]} ms: ${back.out.slice(-2000)}`).toBe(true);
        expect(reversible(sb), `kill ${i} at ${ms[2 * i]} ms, rollback killed at ${Math.round(ms[2 * i + 1] / 3)} ms (exit ${firstBack.code})`).toEqual(before);
        const how = !nothing ? 'the second rollback finished it' : firstBack.code === 0 ? 'the first rollback finished before its kill' : 'nothing to roll back';
        summary.push(`kill ${i + 1} at ${ms[2 * i]} ms, rollback cut at ${Math.round(ms[2 * i + 1] / 3)} ms: ${how}`);
      } finally {
        await done();
      }
    }
    console.log(summary.join('\n'));
    expect(summary).toHaveLength(KILLS);
  });
});
