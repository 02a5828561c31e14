// `npx kfup demo`, the main job: the upgrade playbook against an in-process sandbox. Run here
// without Terraform on PATH, as on a machine that has none: the deploy step skips and says why.
import { describe, expect, it } from 'vitest';
import { dirname } from 'node:path';
import { execFileSync } from 'node:child_process';
import { kfup } from '../helpers/cli.js';
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
    const r = await kfup(['demo', '--profiles', '2'], { cwd: tempDir('kfup-demo-'), env: { PATH: path }, timeoutMs: 120_000 });
    expect(r.code, r.stdout.slice(-3000) + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/skipped\s+Deploy green with Terraform[\s\S]*terraform is not installed \(not on PATH\), and if_missing is skip/);
    expect(r.stdout).toMatch(/RECAP \(run, run \S+, [^)]+\)\s+ok=\d+\s+changed=\d+\s+skipped=\d+\s+failed=0/);
    expect(r.stdout).toMatch(/profiles\s+2 of 2/);
    expect(r.stdout).toMatch(/notebooks\s+4 of 4/);
    expect(r.stdout).toMatch(/ALB listener rule redirects to: \S+green\S+\s+\(green\)/);
    expect(r.stdout).toMatch(/IRSA roles trusting both clusters: 2 of 2/);
  }, 150_000);
});
