// Issue 15: a run killed with SIGKILL in the middle of the cut-over (the ALB rule already on
// green, the DNS change still pending) could not be rolled back: `rollback last` said "still
// marked as running", --break-lock changed nothing, and only resuming forward was left. Now the
// dead run is rolled back from the CLI and users are back on blue.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { kfupBin } from '../helpers/cli.js';
import { upgradeEndState } from '../../src/sandbox/summary.js';
import { runStarted, sandbox, upgradeCli, upgradePlaybook } from './helpers.js';
import type { Sandbox } from '../../src/sandbox/index.js';

function kfup(sb: Sandbox, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [kfupBin, ...args], { env: { ...process.env, ...sb.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => res({ code, out }));
  });
}

describe('rollback after kill -9 in the middle of the cut-over', () => {
  it('restores blue: the ALB rule and the DNS records as they were before the run', async () => {
    // DNS changes take 4 s to be INSYNC, so the kill lands after the ALB rule moved and before DNS did
    const { sb, done } = await sandbox({ timing: { backupJobMs: 300, dnsChangeMs: 4000, veleroPhaseMs: 80, veleroSyncMs: 80 } });
    try {
      const before = upgradeEndState(sb);
      const first = upgradeCli(sb, []);
      await runStarted(sb);
      for (let i = 0; i < 1200 && upgradeEndState(sb).albRedirectHost !== sb.scenario.green.platformDomain; i++) await new Promise((r) => setTimeout(r, 50));
      expect(upgradeEndState(sb).albRedirectHost, 'the ALB rule moved to green').toBe(sb.scenario.green.platformDomain);
      first.kill();
      await first.done;
      const state = ['--state-dir', join(sb.dir, '.kfup')];
      const runs = await kfup(sb, ['runs', ...state]);
      expect(runs.out).toMatch(/run\s+killed\s+yes\s/);
      // without a terminal and without --yes: refused, nothing changed
      const unasked = await kfup(sb, ['rollback', 'last', upgradePlaybook, '--env', sb.environmentFile, ...state]);
      expect(unasked.code, unasked.out).toBe(2);
      expect(unasked.out).toMatch(/no terminal to ask for approval/);
      expect(upgradeEndState(sb).albRedirectHost).toBe(sb.scenario.green.platformDomain);
      const back = await kfup(sb, ['rollback', 'last', upgradePlaybook, '--env', sb.environmentFile, '--yes', ...state]);
      expect(back.code, back.out.slice(-3000)).toBe(0);
      expect(back.out).toMatch(/revert: Send users to green \[alb-cutover\] \(interrupted part-way\)/);
      // the data stores are not restored automatically: where the snapshots are and how to restore
      // them is said in the plain output (and as task-end notes in --output json)
      expect(back.out).toMatch(/aws backup start-restore-job --recovery-point-arn/);
      const after = upgradeEndState(sb);
      expect(after.albRedirectHost).toEqual(before.albRedirectHost);
      expect(after.records).toEqual(before.records);
    } finally {
      await done();
    }
  }, 120_000);
});
