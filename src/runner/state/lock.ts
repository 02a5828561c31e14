// One run at a time per playbook and environment: a lock file created exclusively, naming its
// holder, removed on exit. A lock whose process is gone (on this host) is reported as stale and can
// be broken with --break-lock.
import { createHash } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';

interface Holder {
  pid: number;
  host: string;
  runId: string;
  started: string;
  playbook: string;
  env?: string;
}

/** whether a process of this host is still running (EPERM: it is, but not ours) */
export const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export class RunLock {
  private constructor(readonly file: string) {}

  static path(stateDir: string, playbook: string, env: string | undefined): string {
    const id = createHash('sha256').update(`${playbook}\0${env ?? ''}`).digest('hex').slice(0, 16);
    return join(stateDir, 'locks', `${id}.lock`);
  }

  static acquire(stateDir: string, holder: Omit<Holder, 'pid' | 'host' | 'started'>, breakLock = false): RunLock {
    const file = RunLock.path(stateDir, holder.playbook, holder.env);
    mkdirSync(join(stateDir, 'locks'), { recursive: true });
    const me: Holder = { ...holder, pid: process.pid, host: hostname(), started: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        writeSync(fd, JSON.stringify(me, null, 2));
        closeSync(fd);
        return new RunLock(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        let other: Holder | undefined;
        try {
          other = JSON.parse(readFileSync(file, 'utf8')) as Holder;
        } catch {
          /* being written right now, or damaged */
        }
        const stale = other !== undefined && other.host === me.host && !processAlive(other.pid);
        // resuming the very run whose process died: its lock is ours to take over
        const ownStale = stale && other?.runId === holder.runId;
        if (breakLock || ownStale) {
          unlinkSync(file);
          continue;
        }
        const who = other ? `run ${other.runId} (pid ${other.pid} on ${other.host}, started ${other.started})` : 'another run';
        throw new UserError(
          stale
            ? `a stale lock from ${who} is held on this playbook${holder.env ? ` and environment ${holder.env}` : ''}: that process is no longer running`
            : `${who} is already running this playbook${holder.env ? ` with environment ${holder.env}` : ''}`,
          {
            hint: stale
              ? `if nothing else is running it, pass --break-lock (or delete ${file}); resume the interrupted run with --resume ${other?.runId}`
              : `wait for it to finish; if you are sure it is gone, pass --break-lock (lock file: ${file})`,
          },
        );
      }
    }
    throw new UserError(`could not take the run lock ${file}`);
  }

  release(): void {
    try {
      unlinkSync(this.file);
    } catch {
      /* already removed */
    }
  }
}
