// `kfup report RUN-ID|last`: the HTML report of a recorded run, from its journal (redacted when it
// was written; nothing unredacted is read). The playbook, when it can still be read, tells which
// tasks ran in a parallel group or block; without it the report shows the tasks alone.
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { loadPlaybook } from '../load/playbook.js';
import { taskRefs } from '../index.js';
import { listRuns, readJournal, readMeta } from '../state/journal.js';
import { writeFileAtomic } from '../state/fs-atomic.js';
import type { TaskRef } from './events.js';
import { renderHtml } from './html.js';
import { reportFromJournal } from './run-report.js';

export function writeRunReport(opts: { runId: string; stateDir: string; output?: string; taskTypes: string[] }): string {
  const stateDir = resolve(opts.stateDir);
  let runId = opts.runId;
  if (runId === 'last') {
    const runs = listRuns(stateDir);
    if (!runs.length) throw new UserError(`no runs recorded in ${stateDir}`, { hint: 'a --check is not recorded: write its report with `kfup run PLAYBOOK --check --report FILE`' });
    runId = runs[0].runId;
  }
  const meta = readMeta(stateDir, runId);
  if (!meta) throw new UserError(`no run "${runId}" in ${stateDir}/runs`, { hint: 'list runs with `kfup runs`' });
  let refs: TaskRef[] | undefined;
  try {
    // a rollback's tasks are the reverts of its run's, not the playbook's
    if (meta.kind === 'run') refs = taskRefs(loadPlaybook(meta.playbook, opts.taskTypes));
  } catch {
    refs = undefined; // the playbook moved or no longer loads: no group rows
  }
  const file = resolve(opts.output ?? `kfup-report-${runId}.html`);
  writeFileAtomic(file, renderHtml(reportFromJournal(meta, readJournal(stateDir, runId), refs)));
  return file;
}
