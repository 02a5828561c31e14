// `kfup runs`: the recorded runs, newest first, with their status, whether each can be rolled
// back, and any run whose metadata is corrupt (listed, never hidden).
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { listRunsWithCorrupt, readJournal, type RunMeta } from '../state/journal.js';
import { holderAlive } from '../state/lock.js';
import { rollbackState } from '../engine/rollback.js';

/** a run still marked running whose process is gone was killed: it can be resumed or rolled back */
function statusOf(r: RunMeta): string {
  if (r.status !== 'running') return r.status;
  if (r.host !== undefined && r.host !== hostname()) return 'running?';
  return holderAlive(r) ? 'running' : 'killed';
}

function tasksOf(dir: string, r: RunMeta): string {
  try {
    return String(readJournal(dir, r.runId).filter((j) => j.t === 'task-end').length);
  } catch {
    return 'corrupt';
  }
}

export function formatRuns(dir: string, where = dir): string {
  const { runs, corrupt } = listRunsWithCorrupt(dir);
  if (!runs.length && !corrupt.length) return `no runs recorded in ${where}\n`;
  const lines = [`runs in ${where}`, 'RUN ID                  KIND      STATUS       ROLLBACK  STARTED                   TASKS  PLAYBOOK'];
  for (const r of runs) {
    const env = r.inputs?.env?.path ?? r.env;
    lines.push(
      `${r.runId.padEnd(22)}  ${r.kind.padEnd(8)}  ${statusOf(r).padEnd(11)}  ${rollbackState(dir, runs, r).padEnd(8)}  ${r.started.padEnd(24)}  ${tasksOf(dir, r).padStart(5)}  ${r.playbookName}${env ? ` (env ${basename(env).replace(/\.ya?ml$/, '')})` : ''}${r.rollbackOf ? ` rollback of ${r.rollbackOf}` : ''}`,
    );
  }
  for (const c of corrupt) lines.push(`${c.runId.padEnd(22)}  ?         corrupt      -         ${c.corrupt}`);
  if (runs.some((r) => statusOf(r) === 'killed')) lines.push('', 'a killed run continues with: kfup run PLAYBOOK --resume RUN-ID, or is undone with: kfup rollback RUN-ID PLAYBOOK');
  if (runs.some((r) => rollbackState(dir, runs, r) === 'yes')) lines.push('ROLLBACK yes: the run changed something reversible; `kfup rollback last PLAYBOOK --env ENV` picks the newest such run');
  return lines.join('\n') + '\n';
}
