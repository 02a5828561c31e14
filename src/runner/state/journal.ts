// The run journal: .kfup/runs/<run-id>/journal.ndjson, one JSON record per line, written as it
// goes so that a killed process loses at most the task in flight; meta.json (the run's
// identity and status) is replaced atomically. Everything is redacted before it is written.
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './fs-atomic.js';
import type { Redactor } from '../engine/redact.js';
import type { Change, Outputs } from '../types.js';
import type { TaskStatus } from '../report/events.js';

export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';

export interface RunMeta {
  runId: string;
  kind: 'run' | 'rollback';
  playbook: string;
  playbookName: string;
  env?: string;
  varsFiles: string[];
  vars: string[];
  started: string;
  ended?: string;
  status: RunStatus;
  pid: number;
  /** for rollback runs: the run being rolled back */
  rollbackOf?: string;
  resumes?: number;
}

export type JournalRecord =
  | { t: 'task-start'; key: string; name: string; type?: string; params?: unknown; at: string }
  | { t: 'plan'; key: string; changes: Change[]; notes: string[] }
  | { t: 'persist'; key: string; k: string; v: unknown }
  | {
      t: 'task-end';
      key: string;
      name: string;
      type?: string;
      status: TaskStatus;
      ignored?: boolean;
      register?: string;
      outputs?: Outputs;
      /** outputs held a secret, so the journal's copy is redacted: resume re-checks the task */
      redacted?: boolean;
      exported?: Record<string, unknown>;
      params?: unknown;
      message?: string;
      durationMs: number;
      at: string;
    };

export const runsDir = (stateDir: string): string => join(stateDir, 'runs');

export class Journal {
  readonly dir: string;
  private fd: number;

  constructor(
    stateDir: string,
    readonly meta: RunMeta,
    private redactor: Redactor,
  ) {
    this.dir = join(runsDir(stateDir), meta.runId);
    mkdirSync(this.dir, { recursive: true });
    // meta.json first: a run is listed (and resumable) from the moment it exists
    this.writeMeta();
    this.fd = openSync(join(this.dir, 'journal.ndjson'), 'a');
  }

  writeMeta(): void {
    writeFileAtomic(join(this.dir, 'meta.json'), JSON.stringify(this.meta, null, 2) + '\n');
  }

  append(rec: JournalRecord): void {
    const line = this.redactor.redact(JSON.stringify(rec)) + '\n';
    // Every record reaches the kernel at once, so a killed kfup loses nothing it wrote. Records a
    // rollback or resume depends on (what was replaced, a task that changed the world) are also
    // forced to disk, against a machine crash; the rest need not pay for an fsync.
    appendFileSync(this.fd, line);
    if (rec.t === 'persist' || (rec.t === 'task-end' && (rec.status === 'changed' || rec.status === 'failed'))) fsyncSync(this.fd);
  }

  finish(status: RunStatus): void {
    this.meta.status = status;
    this.meta.ended = new Date().toISOString();
    this.writeMeta();
    closeSync(this.fd);
  }
}

/** a run's records; a last line cut short by a kill is ignored */
export function readJournal(stateDir: string, runId: string): JournalRecord[] {
  const file = join(runsDir(stateDir), runId, 'journal.ndjson');
  if (!existsSync(file)) return [];
  const out: JournalRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as JournalRecord);
    } catch {
      /* a partial line from a killed process */
    }
  }
  return out;
}

export function readMeta(stateDir: string, runId: string): RunMeta | undefined {
  const file = join(runsDir(stateDir), runId, 'meta.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as RunMeta;
}

/** every run, newest first */
export function listRuns(stateDir: string): RunMeta[] {
  const dir = runsDir(stateDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((id) => {
      try {
        return readMeta(stateDir, id);
      } catch {
        return undefined;
      }
    })
    .filter((m): m is RunMeta => m !== undefined)
    .sort((a, b) => (a.started < b.started ? 1 : a.started > b.started ? -1 : a.runId < b.runId ? 1 : -1));
}

/** what a resumed run takes from the journal of the run it continues */
export interface ResumeState {
  runId: string;
  /** tasks that finished (ok, changed, skipped, or failed with ignore_errors): key -> their end record */
  done: Map<string, Extract<JournalRecord, { t: 'task-end' }>>;
  /** values tasks persisted (job ids, what they replaced), by task key */
  persisted: Map<string, Record<string, unknown>>;
  /** which task each key was (name and type), to find a task again when the playbook changed */
  tasks: Map<string, { name: string; type?: string }>;
}

/**
 * The key a task had in the run being resumed. Usually its own key, but a playbook edited before
 * the resume (a task added or removed) shifts keys, so a task is found again by name and type;
 * a task that cannot be told apart is treated as new (checked again, nothing restored).
 */
export function resumedKey(state: ResumeState, key: string, name: string, type: string | undefined): string | undefined {
  const same = state.tasks.get(key);
  if (same && same.name === name && same.type === type) return key;
  const matches = [...state.tasks.entries()].filter(([k, t]) => t.name === name && t.type === type && !k.includes('.'));
  return matches.length === 1 ? matches[0][0] : undefined;
}

export function resumeState(stateDir: string, runId: string): ResumeState {
  const done = new Map<string, Extract<JournalRecord, { t: 'task-end' }>>();
  const persisted = new Map<string, Record<string, unknown>>();
  const tasks = new Map<string, { name: string; type?: string }>();
  for (const r of readJournal(stateDir, runId)) {
    if (r.t === 'task-start' || r.t === 'task-end') tasks.set(r.key, { name: r.name, type: r.type });
    if (r.t === 'task-end') {
      if (r.status === 'failed' && !r.ignored) done.delete(r.key);
      else done.set(r.key, r);
    } else if (r.t === 'persist') {
      const m = persisted.get(r.key) ?? {};
      m[r.k] = r.v;
      persisted.set(r.key, m);
    } else if (r.t === 'task-start') {
      // a task started again (resume after a failure) is not done until it ends again
      done.delete(r.key);
    }
  }
  return { runId, done, persisted, tasks };
}
