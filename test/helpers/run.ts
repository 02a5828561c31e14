// Runs tasks through the real runner (load, validate, render, check/apply, journal) from a
// playbook written to a temporary directory, and collects every event it reports.
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runPlaybook, type RunOutcome, type RunRequest } from '../../src/runner/index.js';
import type { Reporter, RunEvent } from '../../src/runner/report/events.js';
import type { Mode, Targets } from '../../src/runner/types.js';
import { testTasks } from './registry.js';

export class CollectingReporter implements Reporter {
  readonly events: RunEvent[] = [];
  handle(e: RunEvent): void {
    this.events.push(e);
  }
  ends(): Extract<RunEvent, { type: 'task-end' }>[] {
    return this.events.filter((e): e is Extract<RunEvent, { type: 'task-end' }> => e.type === 'task-end');
  }
  /** the end event of the task with this name (the last one, for loops) */
  end(name: string): Extract<RunEvent, { type: 'task-end' }> {
    const found = this.ends().filter((e) => e.task.name === name);
    if (!found.length) throw new Error(`no task-end for "${name}"; tasks: ${this.ends().map((e) => e.task.name).join(', ')}`);
    return found[found.length - 1];
  }
}

export interface TaskRunOptions extends Partial<Omit<RunRequest, 'playbook' | 'mode' | 'vars'>> {
  /** --var arguments */
  varArgs?: string[];
  tasks: unknown[];
  vars?: Record<string, unknown>;
  targets?: Targets;
  mode?: Mode;
  /** reuse a directory (for a second run, resume or rollback); default a fresh temp dir */
  dir?: string;
  secrets?: string[];
}

export interface TaskRun {
  result: RunOutcome;
  reporter: CollectingReporter;
  dir: string;
  stateDir: string;
  playbook: string;
}

export function tempDir(prefix = 'kfup-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function runTasks(opts: TaskRunOptions): Promise<TaskRun> {
  const dir = opts.dir ?? tempDir();
  mkdirSync(dir, { recursive: true });
  const playbook = join(dir, 'playbook.yaml');
  const doc: Record<string, unknown> = { name: 'test playbook', tasks: opts.tasks };
  if (opts.vars) doc.vars = opts.vars;
  if (opts.targets) doc.targets = opts.targets;
  if (opts.secrets) doc.secrets = opts.secrets;
  writeFileSync(playbook, stringify(doc));
  const reporter = new CollectingReporter();
  const stateDir = opts.stateDir ?? join(dir, '.kfup');
  const { tasks: _t, vars: _v, targets: _g, dir: _d, secrets: _s, mode, varArgs, ...rest } = opts;
  const result = await runPlaybook({ playbook, registry: testTasks, mode: mode ?? 'run', yes: true, stateDir, reporter, vars: varArgs, ...rest });
  return { result, reporter, dir, stateDir, playbook };
}
