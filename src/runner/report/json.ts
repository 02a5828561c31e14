// --output json: NDJSON, one event per line, for CI systems.
import type { Reporter, RunEvent } from './events.js';
import { changeDiff } from './diff.js';

export class JsonReporter implements Reporter {
  constructor(
    private out: (s: string) => void,
    private diff: boolean,
  ) {}

  handle(e: RunEvent): void {
    let ev: unknown = e;
    if (e.type === 'task-end' && this.diff) ev = { ...e, changes: e.changes.map((c) => ({ ...c, diff: changeDiff(c) })) };
    else if (e.type === 'task-end' || e.type === 'task-plan') ev = { ...e, changes: e.changes.map(({ before: _b, after: _a, ...rest }) => rest) };
    this.out(JSON.stringify({ time: new Date().toISOString(), ...(ev as object) }) + '\n');
  }
}
