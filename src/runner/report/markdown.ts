// --format markdown: the plan as a document a person reviews in a pull request, written at the end.
import { formatDuration } from '../load/duration.js';
import { changeDiff } from './diff.js';
import type { Reporter, RunEvent } from './events.js';
import { planLine } from './format.js';

const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export class MarkdownReporter implements Reporter {
  private events: RunEvent[] = [];
  constructor(
    private out: (s: string) => void,
    private diff: boolean,
  ) {}

  handle(e: RunEvent): void {
    this.events.push(e);
  }

  close(): void {
    const start = this.events.find((e): e is Extract<RunEvent, { type: 'run-start' }> => e.type === 'run-start');
    const recap = this.events.find((e): e is Extract<RunEvent, { type: 'recap' }> => e.type === 'recap');
    // in playbook order (parallel tasks end in any order), loop items after their task
    const order = (k: string) => k.split('.').map(Number);
    const ends = this.events
      .filter((e): e is Extract<RunEvent, { type: 'task-end' }> => e.type === 'task-end')
      .sort((a, b) => {
        const [x, y] = [order(a.task.key), order(b.task.key)];
        return x[0] - y[0] || (x[1] ?? -1) - (y[1] ?? -1);
      });
    const lines: string[] = [];
    lines.push(`# kfup plan: ${start?.playbook ?? ''}`, '');
    lines.push(`- Mode: \`${start?.mode}\``, `- Playbook: \`${start?.file}\``, `- Run: \`${start?.runId}\``);
    if (recap) {
      const c = recap.counts;
      lines.push(`- Summary: ${c.changed} to change, ${c.ok} ok, ${c.skipped} skipped, ${c.deferred} known after apply, ${c.planned} planned, ${c.failed} failed`);
      if (recap.plan && (recap.mode === 'run' || (recap.mode === 'check' && !recap.stoppedAt && !recap.interrupted))) lines.push(`- ${planLine(recap.mode, recap.plan)}`);
    }
    lines.push('', '| # | Task | Status | Changes |', '|---|------|--------|---------|');
    for (const e of ends) {
      const status = e.task.groupKind ? `(${e.task.groupKind === 'parallel' ? 'parallel' : 'block'})` : e.status === 'changed' && start?.mode === 'check' ? 'would change' : e.status === 'deferred' ? 'known after apply' : e.status;
      lines.push(`| ${e.task.key} | ${esc(e.task.name)} | ${status} | ${e.changes.length || (e.describe?.length ?? 0) || ''} |`);
    }
    for (const e of ends) {
      if (!e.changes.length && !e.describe?.length && e.status !== 'failed' && e.status !== 'deferred') continue;
      lines.push('', `## ${e.task.key}. ${e.task.name}`, '', `\`${e.task.type ?? 'parallel'}\` at \`${e.task.where}\`, ${formatDuration(e.durationMs)}`, '');
      if (e.status === 'failed') lines.push(`**Failed:** ${e.message ?? ''}${e.where ? ` (at \`${e.where}\`)` : ''}`, '');
      for (const d of e.describe ?? []) lines.push(`- ${d}`);
      for (const c of e.changes) {
        lines.push(`- **${c.action}** \`${c.target}\`: ${c.summary}`);
        const d = this.diff ? changeDiff(c) : [];
        if (d.length) lines.push('', '  ```diff', ...d.map((l) => `  ${l}`), '  ```');
      }
      for (const n of e.notes) lines.push(`- ${n}`);
    }
    this.out(lines.join('\n') + '\n');
  }
}
