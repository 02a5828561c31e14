// One run at a time per playbook and environment. The lock key is the canonical playbook path and
// the canonical path of the resolved environment file, so every spelling of them (a name, a
// relative or absolute path, another working directory) is the same lock.
//
// The lock file appears complete or not at all: the holder is written to a temporary file that is
// then hard-linked to the lock's name (link fails if the name exists, atomically). A holder whose
// process is gone, on this host, is taken over with a notice; one that cannot be read is reported
// with the file's age and how to break it. The lock is also released when the process exits
// abruptly (an EPIPE from `| head`, an uncaught error): not on kill -9, where takeover applies.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { checkIsDirectory } from './location.js';
import { processStartTicks, sameProcess } from './process-identity.js';

export interface LockHolder {
  pid: number;
  host: string;
  runId: string;
  started: string;
  playbook: string;
  env?: string;
  /** the holder's start time (see process-identity.ts): a reused pid does not keep the lock */
  startTicks?: string;
}

/** the holder's process still runs on this host (not merely another process with its pid) */
export const holderAlive = (h: Pick<LockHolder, 'pid' | 'startTicks'>): boolean => sameProcess(h.pid, h.startTicks);

/** this process as a lock holder records it */
export const myIdentity = (): Pick<LockHolder, 'pid' | 'host' | 'startTicks'> => ({ pid: process.pid, host: hostname(), startTicks: processStartTicks(process.pid) });

/** what the lock is keyed on: the playbook and environment file, both canonical */
export function lockKey(playbook: string, envFile: string | undefined): string {
  return createHash('sha256').update(`${playbook}\0${envFile ?? ''}`).digest('hex').slice(0, 16);
}

export function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder> | null;
    if (h && typeof h === 'object' && typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.runId === 'string') return h as LockHolder;
  } catch {
    /* garbled */
  }
  return undefined;
}

export const describeHolder = (h: LockHolder): string => `run ${h.runId} (pid ${h.pid} on ${h.host}, started ${h.started})`;

export function ageOf(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

function writeExclusive(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

export interface AcquireOptions {
  breakLock?: boolean;
  /** told when a dead holder's lock is taken over or a lock is broken */
  notice?: (line: string) => void;
}

export class RunLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(
    readonly file: string,
    private readonly content: string,
  ) {
    process.on('exit', this.onExit);
  }

  static path(stateDir: string, playbook: string, envFile: string | undefined): string {
    return join(stateDir, 'locks', `${lockKey(playbook, envFile)}.lock`);
  }

  static acquire(stateDir: string, holder: Omit<LockHolder, 'pid' | 'host' | 'started'>, opts: AcquireOptions = {}): RunLock {
    checkIsDirectory(stateDir, 'the state directory');
    checkIsDirectory(join(stateDir, 'locks'), 'the lock directory');
    const file = RunLock.path(stateDir, holder.playbook, holder.env);
    mkdirSync(join(stateDir, 'locks'), { recursive: true });
    const me: LockHolder = { ...holder, ...myIdentity(), started: new Date().toISOString() };
    const content = JSON.stringify(me, null, 2) + '\n';
    const what = `this playbook${holder.env ? ` with environment ${holder.env}` : ''}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (writeExclusive(file, content)) return new RunLock(file, content);
      let text: string;
      let age: number;
      try {
        text = readFileSync(file, 'utf8');
        age = Date.now() - statSync(file).mtimeMs;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
        if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw new UserError(`the lock ${file} is a directory, not a lock file`, { hint: `remove it (rmdir ${file}) if no run is going on` });
        throw e;
      }
      const other = parseHolder(text);
      if (opts.breakLock) {
        opts.notice?.(`kfup: breaking the lock ${file}${other ? ` held by ${describeHolder(other)}` : ''} (--break-lock)`);
        RunLock.takeOver(file, text);
        continue;
      }
      if (!other) {
        throw new UserError(`the lock ${file} on ${what} cannot be read (${text.trim() ? 'garbled' : 'empty'}, last written ${ageOf(age)} ago)`, {
          hint: `no holder is named in it; if no other kfup run is going on, pass --break-lock (or delete ${file})`,
        });
      }
      if (other.host === me.host && !holderAlive(other)) {
        // the holder died on this machine (kill -9, a crash): nobody will release it
        opts.notice?.(`kfup: taking over the lock of ${describeHolder(other)}: that process is no longer running`);
        RunLock.takeOver(file, text);
        continue;
      }
      throw new UserError(`${describeHolder(other)} is already running ${what}`, {
        hint:
          other.host === me.host
            ? `wait for it to finish (lock file: ${file})`
            : `it runs on another machine, so kfup cannot tell if it is alive; if you are sure it is gone, pass --break-lock (lock file: ${file})`,
      });
    }
    throw new UserError(`could not take the run lock ${file}: other runs keep taking it`, { hint: 'try again' });
  }

  /**
   * Removes a lock whose holder is gone, only if it is still the same lock: two runs taking over
   * the same dead holder at once must not remove each other's fresh lock. A side lock serialises them.
   */
  private static takeOver(file: string, seen: string): void {
    const breaker = `${file}.break`;
    if (!writeExclusive(breaker, String(process.pid))) {
      throw new UserError(`another kfup is taking over the lock ${file} right now`, { hint: `try again; if this persists, delete ${breaker}` });
    }
    try {
      let now: string | undefined;
      try {
        now = readFileSync(file, 'utf8');
      } catch {
        now = undefined;
      }
      if (now === seen) unlinkSync(file);
    } finally {
      unlinkSync(breaker);
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    try {
      // only our own lock: one broken with --break-lock may now be another run's
      if (readFileSync(this.file, 'utf8') === this.content) unlinkSync(this.file);
    } catch {
      /* already removed */
    }
  }
}
