// Issue 15 at the command line: a run whose output reader goes away (`| head`) releases its lock;
// corrupt state is exit 2 with its path, never "internal error"; state is found beside the playbook.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { kfup, kfupBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

function playbook(n: number): { dir: string; file: string } {
  const dir = tempDir();
  const tasks = Array.from({ length: n }, (_, i) => ({ name: `check number ${i} of many, to fill the pipe buffer`, assert: { that: [true] } }));
  const file = join(dir, 'pb.yaml');
  writeFileSync(file, stringify({ name: 'many checks', tasks }));
  return { dir, file };
}

describe('kfup state at the command line (issue 15)', () => {
  it('`kfup run ... | head -1` releases its lock and does not leave the run marked running (issue 15: EPIPE left the lock)', () => {
    const { dir, file } = playbook(1500);
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${kfupBin}" run "${file}" --yes | head -1`], { env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toMatch(/^kfup run: many checks/);
    expect(readdirSync(join(dir, '.kfup', 'locks'))).toEqual([]);
    const [run] = readdirSync(join(dir, '.kfup', 'runs'));
    expect((JSON.parse(readFileSync(join(dir, '.kfup', 'runs', run, 'meta.json'), 'utf8')) as { status: string }).status).not.toBe('running');
  }, 60_000);

  it('a corrupt meta.json is exit 2 with its path and what to do, and `kfup runs PLAYBOOK` lists it as corrupt', async () => {
    const { dir, file } = playbook(1);
    expect((await kfup(['run', file, '--yes'])).code).toBe(0);
    const [run] = readdirSync(join(dir, '.kfup', 'runs'));
    const meta = join(dir, '.kfup', 'runs', run, 'meta.json');
    writeFileSync(meta, 'null');
    const resume = await kfup(['run', file, '--resume', run]);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toContain(`error: corrupt state: ${meta}: it is not a JSON object`);
    expect(resume.stderr).toMatch(/hint: .*move it away/);
    expect(resume.stderr).not.toMatch(/internal error/);
    const runs = await kfup(['runs', file], { cwd: tempDir() });
    expect(runs.code).toBe(0);
    expect(runs.stdout).toMatch(new RegExp(`${run}\\s+\\?\\s+corrupt`));
  });

  it('--state-dir pointing at a file is exit 2', async () => {
    const { dir, file } = playbook(1);
    const notDir = join(dir, 'state-file');
    writeFileSync(notDir, '');
    const r = await kfup(['run', file, '--yes', '--state-dir', notDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: --state-dir ${notDir} is not a directory`);
  });

  it('`kfup runs` without a playbook or --state-dir says where runs are, rather than reading the current directory', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, '.kfup'));
    const r = await kfup(['runs'], { cwd, env: { KFUP_STATE_DIR: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no state directory: pass the playbook, --state-dir DIR or set KFUP_STATE_DIR/);
  });
});
