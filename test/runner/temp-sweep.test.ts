// Issue 16: `kfup demo` left its kfup-sandbox-* directories behind. The demo removes its own when it
// ends; one killed outright (SIGKILL, no cleanup) is removed by the next kfup run, as the saved
// Terraform plans of a killed kfup are: the directory's name carries the pid of the kfup that made
// it, and only a directory whose kfup is gone is removed.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sweepTempDirs } from '../../src/runner/engine/children.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { tempDir } from '../helpers/run.js';

describe('temporary directories of a kfup that is gone', () => {
  it("a killed demo's sandbox directory is removed, a live kfup's is kept", () => {
    const tmp = tempDir('kfup-sweep-');
    // the pid of a process that has exited
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    for (const n of [`kfup-sandbox-${gone}-Ab12Cd`, `kfup-tfplan-${gone}-Zz9Yy8`, `kfup-sandbox-${process.pid}-Qw3Er4`, 'kfup-sandbox-notapid']) mkdirSync(join(tmp, n));
    expect(sweepTempDirs(tmp).sort()).toEqual([`kfup-sandbox-${gone}-Ab12Cd`, `kfup-tfplan-${gone}-Zz9Yy8`]);
    expect(readdirSync(tmp).sort()).toEqual([`kfup-sandbox-${process.pid}-Qw3Er4`, 'kfup-sandbox-notapid']);
  });

  it("a sandbox's own temporary directory carries its pid and is gone after stop()", async () => {
    const sb = await startSandbox({ profiles: 1, notebooks: 1 });
    expect(sb.dir).toMatch(new RegExp(`/kfup-sandbox-${process.pid}-[A-Za-z0-9]{6}$`));
    expect(readdirSync(sb.dir)).toContain('kubeconfig');
    await sb.stop();
    expect(() => readdirSync(sb.dir)).toThrow(/ENOENT/);
  });
});
