// `kfup run --report FILE`: keeps every event with the time it arrived and, at the end, writes the
// HTML report. A --check or --dry-run is not journaled, so its events are the report's only source.
import { resolve } from 'node:path';
import { writeFileAtomic } from '../state/fs-atomic.js';
import type { Reporter, RunEvent } from './events.js';
import { renderHtml } from './html.js';
import { reportFromEvents } from './run-report.js';

export class HtmlReportWriter implements Reporter {
  private events: { at: number; e: RunEvent }[] = [];
  constructor(readonly file: string) {}

  handle(e: RunEvent): void {
    this.events.push({ at: Date.now(), e });
  }

  close(): void {
    writeFileAtomic(resolve(this.file), renderHtml(reportFromEvents(this.events)));
  }
}

/** hands every event to each reporter (the terminal's and the report file's) */
export class TeeReporter implements Reporter {
  private reporters: Reporter[];
  constructor(...reporters: Reporter[]) {
    this.reporters = reporters;
  }
  handle(e: RunEvent): void {
    for (const r of this.reporters) r.handle(e);
  }
  async close(): Promise<void> {
    for (const r of this.reporters) await r.close?.();
  }
}
