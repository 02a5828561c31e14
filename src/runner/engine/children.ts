// The programs a run starts (terraform, kubectl) are recorded in the state directory while they
// run: <stateDir>/children/<pid>.json. A kfup killed with -9 cannot stop them; the next run finds
// each record whose kfup is gone but whose process still runs, and reports it (a terraform still
// holding its state lock would otherwise be found only by its lock error). Each child runs in its
// own process group, so the record's pid is also the group to stop: `kill -- -PID`.
// Only the program's name and its subcommand (`terraform apply`) are recorded, never the other
// arguments (they may carry values).
// A pid is reused once its process has ended: a record is trusted only while the process holding
// its pid started when the recorded one did (Linux: the start time in /proc/<pid>/stat, in clock
// ticks since boot), so another program that now has the pid is never reported, and a kfup whose
// pid was taken by another program is known to be gone.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { pidExists, processStartTicks, sameProcess } from '../state/process-identity.js';


export interface ChildRecord {
  pid: number;
  program: string;
  /** the program and its subcommand, e.g. "terraform apply" (older records: absent) */
  command?: string;
  /** the child's start time, field 22 of /proc/<pid>/stat (absent where there is no /proc) */
  startTicks?: string;
  kfupPid: number;
  kfupStartTicks?: string;
  runId: string;
  started: string;
}

export interface ChildRegistry {
  /** records a started child; the function returned forgets it once it has ended */
  add(pid: number, program: string, args?: readonly string[]): () => void;
}

/** "terraform apply": the program's name and its first argument when that is a plain subcommand */
const commandOf = (program: string, args: readonly string[] = []): string => {
  const sub = args[0];
  return sub !== undefined && /^[a-z][a-z0-9-]{0,30}$/.test(sub) ? `${basename(program)} ${sub}` : basename(program);
};


export function childRegistry(stateDir: string, runId: string): ChildRegistry {
  const dir = join(stateDir, 'children');
  return {
    add(pid, program, args) {
      const file = join(dir, `${pid}.json`);
      try {
        mkdirSync(dir, { recursive: true });
        const rec: ChildRecord = {
          pid,
          program: basename(program),
          command: commandOf(program, args),
          startTicks: processStartTicks(pid),
          kfupPid: process.pid,
          kfupStartTicks: processStartTicks(process.pid),
          runId,
          started: new Date().toISOString(),
        };
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
    if (sameProcess(rec.kfupPid, rec.kfupStartTicks)) continue;
    // still running; a process that merely has its pid now is not it, and its record goes
    if (sameProcess(rec.pid, rec.startTicks)) stray.push(rec);
    else rmSync(file, { force: true });
  }
  return stray;
}

export const describeStray = (c: ChildRecord): string =>
  `${c.command ?? c.program} (pid ${c.pid}), started ${c.started} by run ${c.runId} of a kfup that is gone, is still running; stop it with \`kill -- -${c.pid}\` once it is safe, or wait for it`;

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
    if (!m || pidExists(Number(m[1]))) continue;
    try {
      rmSync(join(dir, n), { recursive: true, force: true });
      removed.push(n);
    } catch {
      // another user's, or already gone
    }
  }
  return removed;
}

/** warns of each child a dead kfup left running (run, rollback and `kfup runs` call this) */
export function warnStrays(stateDir: string, notice: (line: string) => void): void {
  for (const c of strayChildren(stateDir)) notice(`kfup: warning: ${describeStray(c)}`);
}
