// The run lock (issue 15): one run per playbook + environment file, whatever their spelling;
// written atomically; a dead holder on this host is taken over with a notice; an unreadable
// lock names its age and how to break it.
import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdirSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { RunLock } from '../../src/runner/state/lock.js';
import { processStartTicks } from '../../src/runner/state/process-identity.js';
import { spawn } from 'node:child_process';
import { tempDir } from '../helpers/run.js';

const deadPid = 2 ** 22 + 12345;

function plant(state: string, content: string): string {
  const file = RunLock.path(state, '/p.yaml', undefined);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

describe('run lock', () => {
  it('lets one run hold a playbook+environment and names the holder to the next', () => {
    const state = tempDir();
    const lock = RunLock.acquire(state, { runId: 'run-1', playbook: '/p.yaml', env: '/envs/prod.yaml' });
    expect(() => RunLock.acquire(state, { runId: 'run-2', playbook: '/p.yaml', env: '/envs/prod.yaml' })).toThrow(/run run-1 \(pid \d+ on .*\) is already running this playbook with environment \/envs\/prod.yaml/);
    RunLock.acquire(state, { runId: 'run-3', playbook: '/p.yaml', env: '/envs/staging.yaml' }).release();
    lock.release();
    RunLock.acquire(state, { runId: 'run-4', playbook: '/p.yaml', env: '/envs/prod.yaml' }).release();
  });

  it('writes the lock whole: no temporary file is left beside it, and its content names the holder', () => {
    const state = tempDir();
    const lock = RunLock.acquire(state, { runId: 'run-1', playbook: '/p.yaml' });
    expect(readdirSync(dirname(lock.file))).toEqual([lock.file.split('/').pop()]);
    expect(JSON.parse(readFileSync(lock.file, 'utf8'))).toMatchObject({ runId: 'run-1', pid: process.pid, host: hostname() });
    lock.release();
  });

  it('takes over, with a notice, a lock whose holder process on this host is gone (issue 15: kill -9 left it)', () => {
    const state = tempDir();
    const file = plant(state, JSON.stringify({ pid: deadPid, host: hostname(), runId: 'dead-run', started: '2026-01-01T00:00:00Z', playbook: '/p.yaml' }));
    const notices: string[] = [];
    const lock = RunLock.acquire(state, { runId: 'new', playbook: '/p.yaml' }, { notice: (l) => notices.push(l) });
    expect(notices.join('\n')).toMatch(/taking over the lock of run dead-run .*no longer running/);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ runId: 'new' });
    lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('takes over a lock whose holder pid another process now holds (its /proc start time differs), and refuses the real holder', async () => {
    const state = tempDir();
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const holder = { pid: other.pid!, host: hostname(), runId: 'killed-run', started: '2026-01-01T00:00:00Z', playbook: '/p.yaml' };
      // the same pid, started at another time: the dead kfup's pid reused by another program
      plant(state, JSON.stringify({ ...holder, startTicks: String(Number(processStartTicks(other.pid!)) - 1) }));
      const notices: string[] = [];
      RunLock.acquire(state, { runId: 'next', playbook: '/p.yaml' }, { notice: (l) => notices.push(l) }).release();
      expect(notices.join('\n')).toMatch(/taking over the lock of run killed-run .*: that process is no longer running/);
      // the process recorded, still running: its lock holds
      plant(state, JSON.stringify({ ...holder, startTicks: processStartTicks(other.pid!) }));
      expect(() => RunLock.acquire(state, { runId: 'next', playbook: '/p.yaml' })).toThrow(/run killed-run .* is already running this playbook/);
      // and the lock records this process's own start time
      const mine = RunLock.acquire(tempDir(), { runId: 'me', playbook: '/p.yaml' });
      expect(JSON.parse(readFileSync(mine.file, 'utf8'))).toMatchObject({ startTicks: processStartTicks(process.pid) });
      mine.release();
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.on('exit', r));
    }
  });

  it('refuses a live holder on another host, and --break-lock takes it', () => {
    const state = tempDir();
    plant(state, JSON.stringify({ pid: process.pid, host: 'ci-runner-7', runId: 'far-run', started: '2026-01-01T00:00:00Z', playbook: '/p.yaml' }));
    expect(() => RunLock.acquire(state, { runId: 'new', playbook: '/p.yaml' })).toThrow(/run far-run \(pid \d+ on ci-runner-7/);
    const notices: string[] = [];
    RunLock.acquire(state, { runId: 'new', playbook: '/p.yaml' }, { breakLock: true, notice: (l) => notices.push(l) }).release();
    expect(notices.join('\n')).toMatch(/breaking the lock .* held by run far-run/);
  });

  for (const [what, content] of [
    ['empty', ''],
    ['garbled', '{"pid": 12'],
    ['null', 'null'],
  ] as const) {
    it(`reports an ${what} lock file with its age and how to break it (issue 15: it read as "another run")`, () => {
      const state = tempDir();
      const file = plant(state, content);
      let err: (Error & { hint?: string; exitCode?: number }) | undefined;
      try {
        RunLock.acquire(state, { runId: 'new', playbook: '/p.yaml' });
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message).toMatch(new RegExp(`the lock ${file} on this playbook cannot be read \\((empty|garbled), last written \\d+s ago\\)`));
      expect(err?.hint).toMatch(/--break-lock/);
      RunLock.acquire(state, { runId: 'new', playbook: '/p.yaml' }, { breakLock: true }).release();
    });
  }

  it('release leaves a lock that is no longer its own (broken and retaken by another run)', () => {
    const state = tempDir();
    const mine = RunLock.acquire(state, { runId: 'a', playbook: '/p.yaml' });
    const theirs = RunLock.acquire(state, { runId: 'b', playbook: '/p.yaml' }, { breakLock: true });
    mine.release();
    expect(JSON.parse(readFileSync(theirs.file, 'utf8'))).toMatchObject({ runId: 'b' });
    theirs.release();
  });
});
