// Whether a pid still names the process that was recorded. Pids are reused once a process has
// ended, so "a process with this pid exists" is not enough to call a killed kfup (or its child)
// alive: the record also keeps the process's start time (Linux: field 22 of /proc/<pid>/stat,
// clock ticks since boot), and a process that started at another time is another process.
// Where there is no /proc, or for records made before, the pid alone decides, as it used to.
import { readFileSync } from 'node:fs';

/** when the process with this pid started (clock ticks since boot), or undefined if unknown */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // [0] is field 3
  } catch {
    return undefined;
  }
}

/** a process of this host has this pid (EPERM: it has, but it is not ours) */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** the recorded process still runs: its pid exists and (where known) started when recorded */
export function sameProcess(pid: number, startTicks: string | undefined): boolean {
  if (!pidExists(pid)) return false;
  if (startTicks === undefined) return true;
  const now = processStartTicks(pid);
  return now === undefined || now === startTicks;
}
