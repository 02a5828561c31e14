// --debug shows an internal error's stack at the TypeScript source (src/...ts:line), not at the
// bundle's chunk positions; without --debug there is one line and no stack. The internal error
// is made by a preloaded module that breaks reading one file with an error kfup's loader does
// not expect (a TypeError from the read itself).
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kfupBin, repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

const breakRead = [
  "import fs from 'node:fs';",
  "import { syncBuiltinESMExports } from 'node:module';",
  'const open = fs.openSync, read = fs.readSync, broken = new Set();',
  "fs.openSync = function (p, ...rest) { const fd = open.call(this, p, ...rest); if (String(p).endsWith('boom.yaml')) broken.add(fd); return fd; };",
  "fs.readSync = function (fd, ...rest) { if (broken.has(fd)) throw new TypeError('not text'); return read.call(this, fd, ...rest); };",
  'syncBuiltinESMExports();',
].join('\n');

function run(args: string[], preload: string): Promise<{ code: number; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, ['--import', preload, kfupBin, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } }, (err, _out, stderr) => {
      res({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr: String(stderr) });
    });
  });
}

describe('--debug', () => {
  it('prints an internal error with src/...ts positions; without it, one line and a hint', async () => {
    const dir = tempDir();
    const preload = join(dir, 'break-read.mjs');
    writeFileSync(preload, breakRead);
    const playbook = join(dir, 'boom.yaml');
    writeFileSync(playbook, 'name: x\ntasks: []\n');

    const plain = await run(['validate', playbook], preload);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/internal error: /);
    expect(plain.stderr).toMatch(/run again with --debug/);
    expect(plain.stderr).not.toMatch(/\n\s+at /);

    const debug = await run(['validate', playbook, '--debug'], preload);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/src\/runner\/load\/source\.ts:\d+/);
    expect(debug.stderr).not.toMatch(/chunk-[A-Z0-9]+\.js:\d+/);
  });
});
