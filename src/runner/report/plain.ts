// Plain lines for pipes and CI: one line per task event, no control characters.
import { formatDuration } from '../load/duration.js';
import type { Reporter, RunEvent } from './events.js';
import { endDetails, recapLines, statusWord, type Style } from './format.js';

// Control characters other than newline and tab never reach a log file.
// eslint-disable-next-line no-control-regex -- matching control characters is this line's whole job
const clean = (s: string): string => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');

export class PlainReporter implements Reporter {
  private total = 0;
  private mode = 'run';
  private lastProgress = new Map<string, string>();
  constructor(
    private out: (s: string) => void,
    private opts: { diff: boolean; style: Style; verbose?: boolean },
  ) {}

  private line(s: string): void {
    this.out(this.opts.style.color ? s + '\n' : clean(s) + '\n');
  }

  handle(e: RunEvent): void {
    const st = this.opts.style;
    switch (e.type) {
      case 'run-start':
        this.total = e.tasks.length;
        this.mode = e.mode;
        this.line(`kfup ${e.mode}: ${e.playbook} (${e.file}, run ${e.runId}${e.resumedFrom ? `, resuming ${e.resumedFrom}` : ''})`);
        break;
      case 'task-start':
        if (e.task.groupKind) this.line(`[${e.task.index}/${this.total}] ${e.task.name}: starting${e.parallel ? ' in parallel' : ''}`);
        break;
      case 'task-log':
        if (this.opts.verbose) this.line(`  [${e.task.index}] ${e.message}`);
        break;
      case 'task-progress':
        if (this.lastProgress.get(e.task.key) !== e.message) {
          this.lastProgress.set(e.task.key, e.message);
          this.line(`  [${e.task.index}] ${e.task.name}: ${e.message}`);
        }
        break;
      case 'task-plan':
        break;
      case 'task-end': {
        this.line(`[${e.task.index}/${this.total}] ${statusWord(st, e.status, this.mode, e.ignored).padEnd(st.color ? 22 : 12)} ${e.task.name} (${formatDuration(e.durationMs)})`);
        for (const l of endDetails(e, this.opts.diff)) this.line(`      ${l}`);
        break;
      }
      case 'recap':
        for (const l of recapLines(st, e)) this.line(l);
        break;
    }
  }
}
