// Formatting shared by the text reporters: status words, colours (only on a terminal and without
// NO_COLOR), change lines and the recap.
import { formatDuration } from '../load/duration.js';
import { changeDiff } from './diff.js';
import type { PlanCounts, RunEvent, TaskStatus } from './events.js';
import type { Change } from '../types.js';

export interface Style {
  color: boolean;
}

const CODES: Record<string, [number, number]> = { green: [32, 39], yellow: [33, 39], red: [31, 39], cyan: [36, 39], dim: [2, 22], bold: [1, 22], magenta: [35, 39] };

export const paint = (style: Style, color: keyof typeof CODES, s: string): string => (style.color ? `\u001b[${CODES[color][0]}m${s}\u001b[${CODES[color][1]}m` : s);

const STATUS_COLOR: Record<TaskStatus, keyof typeof CODES> = { ok: 'green', changed: 'yellow', skipped: 'cyan', failed: 'red', deferred: 'magenta', planned: 'cyan' };

export function statusWord(style: Style, status: TaskStatus, mode: string, ignored = false): string {
  let word: string = status;
  if (mode === 'check' && status === 'changed') word = 'would change';
  if (status === 'deferred') word = 'known after apply';
  if (ignored) word = 'failed (ignored)';
  return paint(style, STATUS_COLOR[status], word);
}

const ACTION_MARK: Record<Change['action'], string> = { create: '+', update: '~', delete: '-', run: '>' };

export function changeLines(change: Change, withDiff: boolean): string[] {
  const lines = [`${ACTION_MARK[change.action]} ${change.action} ${change.target}: ${change.summary}`];
  if (withDiff) for (const d of changeDiff(change)) lines.push(`    ${d}`);
  return lines;
}

/**
 * The sum of the changes, laid out as terraform plan's last line ("Plan: 1 to add, 0 to change, 0
 * to destroy."), with what is known only after an earlier task applies said as such; a run says
 * what it did.
 */
export function planLine(mode: string, p: PlanCounts): string {
  if (mode === 'run') return `Applied: ${p.add} added, ${p.change} changed, ${p.destroy} destroyed${p.run ? `, ${p.run} run` : ''}.`;
  const after = p.afterApply ? `; ${p.afterApply} more known after apply (${p.afterApply === 1 ? 'it depends' : 'they depend'} on what earlier tasks apply)` : '';
  return `Plan: ${p.add} to add, ${p.change} to change, ${p.destroy} to destroy${p.run ? `, ${p.run} to run` : ''}${after}.`;
}

export function recapLines(style: Style, e: Extract<RunEvent, { type: 'recap' }>): string[] {
  const c = e.counts;
  const parts = [
    paint(style, 'green', `ok=${c.ok}`),
    paint(style, 'yellow', `${e.mode === 'check' ? 'would change' : 'changed'}=${c.changed}`),
    paint(style, 'cyan', `skipped=${c.skipped}`),
    paint(style, 'red', `failed=${c.failed}`),
  ];
  if (c.deferred) parts.push(paint(style, 'magenta', `known after apply=${c.deferred}`));
  if (c.planned) parts.push(paint(style, 'cyan', `planned=${c.planned}`));
  const lines = ['', paint(style, 'bold', `RECAP (${e.mode}, run ${e.runId}, ${formatDuration(e.durationMs)})`) + '  ' + parts.join('  ')];
  const width = Math.min(60, Math.max(10, ...e.tasks.map((t) => t.name.length)));
  for (const t of e.tasks) {
    lines.push(`  ${t.name.length > width ? t.name.slice(0, width - 1) + '…' : t.name.padEnd(width)}  ${statusWord(style, t.status, e.mode).padEnd(style.color ? 22 : 12)}  ${formatDuration(t.durationMs)}`);
  }
  // a check that stopped early planned only part of the playbook: no sum that looks like the whole
  if (e.plan && (e.mode === 'run' || (e.mode === 'check' && !e.stoppedAt && !e.interrupted))) lines.push(planLine(e.mode, e.plan));
  if (e.interrupted) lines.push(paint(style, 'red', `interrupted${e.stoppedAt ? ` at "${e.stoppedAt}"` : ''}: resume with \`kfup run --resume ${e.runId}\``));
  else if (e.stoppedAt) lines.push(paint(style, 'red', `stopped at "${e.stoppedAt}"`) + (e.mode === 'run' ? `: fix the cause, then \`kfup run --resume ${e.runId}\`` : ''));
  return lines;
}

/** lines printed under a task when it ends */
export function endDetails(e: Extract<RunEvent, { type: 'task-end' }>, diff: boolean): string[] {
  const lines: string[] = [];
  if (e.status === 'failed') {
    if (e.message) lines.push(`error: ${e.message}`);
    // the parameter at fault when the playbook is, else the task itself
    lines.push(`  at ${e.where ?? e.task.where}`);
    if (e.hint) lines.push(`  hint: ${e.hint}`);
  }
  for (const d of e.describe ?? []) lines.push(`- ${d}`);
  for (const c of e.changes) lines.push(...changeLines(c, diff));
  for (const n of e.notes) lines.push(`${e.status === 'failed' ? '  ' : ''}${n}`);
  return lines;
}
