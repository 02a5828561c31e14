import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { RunLock } from '../../src/runner/state/lock.js';
import { tempDir } from '../helpers/run.js';

describe('run lock', () => {
  it('lets one run hold a playbook+environment and names the holder to the next', () => {
    const state = tempDir();
    const lock = RunLock.acquire(state, { runId: 'run-1', playbook: '/p.yaml', env: 'prod' });
    expect(() => RunLock.acquire(state, { runId: 'run-2', playbook: '/p.yaml', env: 'prod' })).toThrow(/run run-1 \(pid \d+ on .*\) is already running this playbook with environment prod/);
    // another environment of the same playbook is independent
    RunLock.acquire(state, { runId: 'run-3', playbook: '/p.yaml', env: 'staging' }).release();
    lock.release();
    RunLock.acquire(state, { runId: 'run-4', playbook: '/p.yaml', env: 'prod' }).release();
  });

  it('reports a lock left by a dead process as stale, and --break-lock removes it', () => {
    const state = tempDir();
    const file = RunLock.path(state, '/p.yaml', undefined);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), runId: 'dead-run', started: '2026-01-01T00:00:00Z', playbook: '/p.yaml' }));
    let err: Error | undefined;
    try {
      RunLock.acquire(state, { runId: 'new', playbook: '/p.yaml' });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(/stale lock from run dead-run/);
    expect((err as { hint?: string }).hint).toMatch(/--break-lock.*--resume dead-run/);
    const lock = RunLock.acquire(state, { runId: 'new', playbook: '/p.yaml' }, true);
    expect(existsSync(file)).toBe(true);
    lock.release();
    expect(existsSync(file)).toBe(false);
  });
});

describe('resuming a run whose process died', () => {
  it('takes over the stale lock of that same run, but not of another run', () => {
    const state = tempDir();
    const file = RunLock.path(state, '/p.yaml', undefined);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 4321, host: hostname(), runId: 'killed-run', started: '2026-01-01T00:00:00Z', playbook: '/p.yaml' }));
    expect(() => RunLock.acquire(state, { runId: 'other-run', playbook: '/p.yaml' })).toThrow(/stale lock/);
    RunLock.acquire(state, { runId: 'killed-run', playbook: '/p.yaml' }).release();
  });
});
