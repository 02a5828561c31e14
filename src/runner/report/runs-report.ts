// `kfup runs`: the recorded runs, newest first, with their status.
import { resolve } from 'node:path';
import { listRuns, readJournal } from '../state/journal.js';
import { processAlive } from '../state/lock.js';

export function formatRuns(stateDir: string): string {
  const dir = resolve(stateDir);
  const runs = listRuns(dir);
  if (!runs.length) return `no runs recorded in ${dir}\n`;
  const lines = ['RUN ID                  KIND      STATUS       STARTED                   TASKS  PLAYBOOK'];
  for (const r of runs) {
    const ends = readJournal(dir, r.runId).filter((j) => j.t === 'task-end');
    // a run still marked running whose process is gone was killed: say so, it can be resumed
    const status = r.status === 'running' && !processAlive(r.pid) ? 'killed' : r.status;
    lines.push(
      `${r.runId.padEnd(22)}  ${r.kind.padEnd(8)}  ${status.padEnd(11)}  ${r.started.padEnd(24)}  ${String(ends.length).padStart(5)}  ${r.playbookName}${r.env ? ` (env ${r.env})` : ''}${r.rollbackOf ? ` rollback of ${r.rollbackOf}` : ''}`,
    );
  }
  if (lines.some((l) => / killed /.test(l))) lines.push('', 'a killed run continues with: kfup run PLAYBOOK --resume RUN-ID (or --resume last)');
  return lines.join('\n') + '\n';
}
