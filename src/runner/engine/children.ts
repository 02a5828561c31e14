// The programs a run starts (terraform, kubectl) are recorded in the state directory while they
// run: <stateDir>/children/<pid>.json. A kfup killed with -9 cannot stop them; the next run finds
// each record whose kfup is gone but whose process still runs, and reports it (a terraform still
// holding its state lock would otherwise be found only by its lock error). Each child runs in its
// own process group, so the record's pid is also the group to stop: `kill -- -PID`.
// Only the program's name is recorded, never its arguments (they may carry values).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';

export interface ChildRecord {
  pid: number;
  program: string;
  kfupPid: number;
  runId: string;
  started: string;
}

export interface ChildRegistry {
  /** records a started child; the function returned forgets it once it has ended */
  add(pid: number, program: string): () => void;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export function childRegistry(stateDir: string, runId: string): ChildRegistry {
  const dir = join(stateDir, 'children');
  return {
    add(pid, program) {
      const file = join(dir, `${pid}.json`);
      try {
        mkdirSync(dir, { recursive: true });
        const rec: ChildRecord = { pid, program: basename(program), kfupPid: process.pid, runId, started: new Date().toISOString() };
        writeFileSync(`${file}.tmp`, JSON.stringify(rec) + '\n', { mode: 0o600 });
        renameSync(`${file}.tmp`, file);
      } catch {
        // a state directory that cannot be written loses only this safety net
      }
      return () => rmSync(file, { force: true });
    },
  };
}

/**
 * Children left by a kfup that died: those still running are returned (and their records kept,
 * so every run reports them until they end); records of ended ones are removed.
 */
export function strayChildren(stateDir: string): ChildRecord[] {
  const dir = join(stateDir, 'children');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const stray: ChildRecord[] = [];
  for (const n of names) {
    const file = join(dir, n);
    let rec: ChildRecord;
    try {
      rec = JSON.parse(readFileSync(file, 'utf8')) as ChildRecord;
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    // a live kfup (this one, or another run in progress) still owns it
    if (alive(rec.kfupPid)) continue;
    if (alive(rec.pid)) stray.push(rec);
    else rmSync(file, { force: true });
  }
  return stray;
}

export const describeStray = (c: ChildRecord): string =>
  `${c.program} (pid ${c.pid}), started ${c.started} by run ${c.runId} of a kfup that is gone, is still running; stop it with \`kill -- -${c.pid}\` once it is safe, or wait for it`;

/**
 * Temporary directories a kfup killed before its cleanup left behind (kfup-<what>-<pid>-XXXXXX
 * under the temp directory: saved Terraform plans and data directories, which hold variable
 * values): removed by the next run once their kfup is gone. Returns what was removed.
 */
export function sweepTempDirs(dir = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const n of names) {
    const m = /^kfup-[a-z]+-(\d+)-[A-Za-z0-9]{6}$/.exec(n);
    if (!m || alive(Number(m[1]))) continue;
    try {
      rmSync(join(dir, n), { recursive: true, force: true });
      removed.push(n);
    } catch {
      // another user's, or already gone
    }
  }
  return removed;
}
