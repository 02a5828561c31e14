// The run journal: .kfup/runs/<run-id>/journal.ndjson, one JSON record per line, written as it
// goes so that a killed process loses at most the task in flight; meta.json (the run's
// identity and status) is replaced atomically. Everything is redacted before it is written.
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './fs-atomic.js';
import { checkIsDirectory } from './location.js';
import { corrupt } from './state-error.js';
import type { RunInputs } from './inputs.js';
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
  /** the machine the run's process ran on (a pid means nothing elsewhere) */
  host?: string;
  /** the process's start time (see process-identity.ts): a reused pid is not the run */
  startTicks?: string;
  /** for rollback runs: the run being rolled back */
  rollbackOf?: string;
  resumes?: number;
  /** what the run was started from (playbook, environment, variables, kfup version), digested */
  inputs?: RunInputs;
}

/** a run whose meta.json cannot be read: listed as such by `kfup runs`, never hidden */
export interface CorruptRun {
  runId: string;
  corrupt: string;
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
      /** digest of the task's definition and of its parameters as rendered: resume re-checks an edited task */
      def?: string;
      rendered?: string;
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
    /** told after every write (the S3 backend uploads the run's files) */
    private onWrite: () => void = () => {},
  ) {
    this.dir = join(runsDir(stateDir), meta.runId);
    checkIsDirectory(stateDir, 'the state directory');
    checkIsDirectory(runsDir(stateDir), 'the runs directory');
    mkdirSync(this.dir, { recursive: true });
    checkIsDirectory(this.dir, 'the run directory');
    // meta.json first: a run is listed (and resumable) from the moment it exists
    this.writeMeta();
    const file = join(this.dir, 'journal.ndjson');
    const before = readStateFile(file, 'journal');
    // a last line cut short by a kill is dropped, so that the next record starts a line of its own
    if (before && !before.endsWith('\n')) truncateSync(file, Buffer.byteLength(before.slice(0, before.lastIndexOf('\n') + 1)));
    this.fd = openSync(file, 'a');
  }

  writeMeta(): void {
    writeFileAtomic(join(this.dir, 'meta.json'), JSON.stringify(this.meta, null, 2) + '\n');
    this.onWrite();
  }

  append(rec: JournalRecord): void {
    // redacted value by value, never as text: replacing a secret's form inside the serialized
    // line could take a JSON quote or escape with it and leave a line that is not JSON
    const line = JSON.stringify(this.redactor.redactDeep(rec)) + '\n';
    // Every record reaches the kernel at once, so a killed kfup loses nothing it wrote. Records a
    // rollback or resume depends on (what was replaced, a task that changed the world) are also
    // forced to disk, against a machine crash; the rest need not pay for an fsync.
    appendFileSync(this.fd, line);
    if (rec.t === 'persist' || (rec.t === 'task-end' && (rec.status === 'changed' || rec.status === 'failed'))) fsyncSync(this.fd);
    this.onWrite();
  }

  finish(status: RunStatus): void {
    this.meta.status = status;
    this.meta.ended = new Date().toISOString();
    this.writeMeta();
    closeSync(this.fd);
  }
}

/** reads a state file; a missing one is undefined, one of the wrong kind is corrupt state */
function readStateFile(file: string, what: string): string | undefined {
  let st;
  try {
    st = statSync(file);
  } catch {
    return undefined;
  }
  if (!st.isFile()) throw corrupt(file, `the ${what} is a ${st.isDirectory() ? 'directory' : 'special file'}, not a file`);
  return readFileSync(file, 'utf8');
}

const RECORD_TYPES = new Set(['task-start', 'plan', 'persist', 'task-end']);

/** a run's records; a last line cut short by a kill is ignored, any other bad line is corrupt state */
export function readJournal(stateDir: string, runId: string): JournalRecord[] {
  const file = join(runsDir(stateDir), runId, 'journal.ndjson');
  const text = readStateFile(file, 'journal');
  if (text === undefined) return [];
  const out: JournalRecord[] = [];
  const lines = text.split('\n');
  // a line without its newline is the one a killed process was writing
  const last = text.endsWith('\n') ? -1 : lines.length - 1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      if (i === last) continue;
      throw corrupt(file, `line ${i + 1} is not JSON`);
    }
    const r = rec as { t?: unknown; key?: unknown } | null;
    if (!r || typeof r !== 'object' || Array.isArray(r) || !RECORD_TYPES.has(r.t as string) || typeof r.key !== 'string') {
      throw corrupt(file, `line ${i + 1} is not a journal record (${line.length > 40 ? line.slice(0, 40) + '...' : line})`);
    }
    out.push(rec as JournalRecord);
  }
  return out;
}

function checkMeta(file: string, m: unknown, runId: string): RunMeta {
  const r = m as Partial<RunMeta> | null;
  if (!r || typeof r !== 'object' || Array.isArray(r)) throw corrupt(file, 'it is not a JSON object');
  for (const k of ['runId', 'playbook', 'started', 'status'] as const) {
    if (typeof r[k] !== 'string') throw corrupt(file, `"${k}" is missing or not a string`);
  }
  if (r.runId !== runId) throw corrupt(file, `it names run "${r.runId}", but lies in the directory of run "${runId}"`);
  if (r.kind !== 'run' && r.kind !== 'rollback') throw corrupt(file, `"kind" is ${JSON.stringify(r.kind)}, not "run" or "rollback"`);
  if (!['running', 'completed', 'failed', 'interrupted'].includes(r.status!)) throw corrupt(file, `"status" is "${r.status}"`);
  return { varsFiles: [], vars: [], playbookName: '', pid: 0, ...r } as RunMeta;
}

export function readMeta(stateDir: string, runId: string): RunMeta | undefined {
  const file = join(runsDir(stateDir), runId, 'meta.json');
  const text = readStateFile(file, 'run metadata');
  if (text === undefined) return undefined;
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw corrupt(file, 'it is not valid JSON');
  }
  return checkMeta(file, m, runId);
}

/** every run, newest first, and the runs whose metadata is corrupt (by id) */
export function listRunsWithCorrupt(stateDir: string): { runs: RunMeta[]; corrupt: CorruptRun[] } {
  checkIsDirectory(stateDir, 'the state directory');
  const dir = runsDir(stateDir);
  checkIsDirectory(dir, 'the runs directory');
  let ids: string[];
  try {
    ids = readdirSync(dir);
  } catch {
    return { runs: [], corrupt: [] };
  }
  const runs: RunMeta[] = [];
  const bad: CorruptRun[] = [];
  for (const id of ids) {
    if (id.startsWith('.')) continue;
    try {
      const m = readMeta(stateDir, id);
      if (m) runs.push(m);
      else bad.push({ runId: id, corrupt: 'no meta.json' });
    } catch (e) {
      bad.push({ runId: id, corrupt: (e as Error).message.replace(/^corrupt state: /, '') });
    }
  }
  runs.sort((a, b) => (a.started < b.started ? 1 : a.started > b.started ? -1 : a.runId < b.runId ? 1 : -1));
  return { runs, corrupt: bad };
}

/** every readable run, newest first */
export function listRuns(stateDir: string): RunMeta[] {
  return listRunsWithCorrupt(stateDir).runs;
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
