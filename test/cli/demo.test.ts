// `npx kfup demo`, the main job: the upgrade playbook against an in-process sandbox. Run here
// without Terraform on PATH, as on a machine that has none: the deploy step skips and says why.
// The demo's sandbox lives in a temporary kfup-sandbox-* directory: it is gone when the demo ends,
// normally or by Ctrl-C (issue 16), checked with a private TMPDIR that must be empty afterwards.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { kfup, kfupBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

const terraformDir = (() => {
  try {
    return dirname(execFileSync('which', ['terraform']).toString().trim());
  } catch {
    return undefined;
  }
})();

describe('kfup demo', () => {
  it('runs the whole upgrade against the sandbox and shows what changed', async () => {
    const path = (process.env.PATH ?? '').split(':').filter((p) => p && p !== terraformDir).join(':');
    const tmp = tempDir('kfup-demo-tmp-');
    const r = await kfup(['demo', '--profiles', '2'], { cwd: tempDir('kfup-demo-'), env: { PATH: path, TMPDIR: tmp }, timeoutMs: 120_000 });
    expect(r.code, r.stdout.slice(-3000) + r.stderr).toBe(0);
    expect(r.stdout).toContain(`state and files: ${tmp}/kfup-sandbox-`);
    expect(readdirSync(tmp), 'temporary directories left behind').toEqual([]);
    // no AWS SDK warning that its later releases need Node 22 (it prints one on Node 20)
    expect(r.stderr).not.toMatch(/NodeVersionSupportWarning|NodeDeprecationWarning/);
    expect(r.stdout).toMatch(/skipped\s+Deploy green with Terraform[\s\S]*terraform is not installed \(not on PATH\), and if_missing is skip/);
    expect(r.stdout).toMatch(/RECAP \(run, run \S+, [^)]+\)\s+ok=\d+\s+changed=\d+\s+skipped=\d+\s+failed=0/);
    expect(r.stdout).toMatch(/profiles\s+2 of 2/);
    expect(r.stdout).toMatch(/notebooks\s+4 of 4/);
    expect(r.stdout).toMatch(/ALB listener rule redirects to: \S+green\S+\s+\(green\)/);
    expect(r.stdout).toMatch(/IRSA roles trusting both clusters: 2 of 2/);
  }, 150_000);

  it('Ctrl-C during the run stops it and removes the sandbox directory', async () => {
    const tmp = tempDir('kfup-demo-tmp-');
    const child = spawn(process.execPath, [kfupBin, 'demo', '--profiles', '1'], { cwd: tempDir('kfup-demo-'), env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    // interrupted as soon as the first task has started: the sandbox and its directory exist by then
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/\[1\//.test(out)) resolve();
      });
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      void closed.then(() => resolve());
    });
    expect(out).toContain(`state and files: ${tmp}/kfup-sandbox-`);
    child.kill('SIGINT');
    expect(await closed, out).toBe(130);
    expect(readdirSync(tmp), 'temporary directories left behind').toEqual([]);
  }, 60_000);
});
