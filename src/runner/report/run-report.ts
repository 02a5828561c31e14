// What the HTML run report shows, built either from a run's journal (`kfup report RUN-ID`) or from
// the events of a run as it happens (`kfup run --report FILE`, the only record a --check or
// --dry-run leaves, since those are not journaled). Both sources are already redacted.
import { changeDiff } from './diff.js';
import type { RunEvent, TaskRef } from './events.js';
import type { JournalRecord, RunMeta } from '../state/journal.js';
import type { Change } from '../types.js';

export interface ReportChange {
  action: Change['action'];
  target: string;
  summary: string;
  diff: string[];
}

export interface ReportTask {
  key: string;
  name: string;
  type?: string;
  /** the parallel group or block this task belongs to (its key) */
  group?: string;
  /** set on a group row */
  groupKind?: 'parallel' | 'block';
  status: string;
  /** from the start of the run, when the task started */
  startMs: number;
  durationMs: number;
  /** idle time before the task started: since the work before it ended (or the run started) */
  waitMs: number;
  /** tries it took (retries); known from a run's events, not journaled */
  attempts?: number;
  message?: string;
  changes: ReportChange[];
  notes: string[];
}

export interface RunReport {
  title: string;
  runId: string;
  mode: string;
  kind: string;
  playbook: string;
  status: string;
  started: string;
  durationMs: number;
  tasks: ReportTask[];
}

const toChange = (c: Change): ReportChange => ({ action: c.action, target: c.target, summary: c.summary, diff: changeDiff(c) });

/** playbook order: "3" < "3.0" < "3.1" < "4" */
export function byKey(a: { key: string }, b: { key: string }): number {
  const [x, y] = [a.key.split('.').map(Number), b.key.split('.').map(Number)];
  return x[0] - y[0] || (x[1] ?? -1) - (y[1] ?? -1);
}

/** each task's wait: the gap between the latest end of work before it and its start */
function withWaits(tasks: ReportTask[]): ReportTask[] {
  const leaves = tasks.filter((t) => !t.groupKind);
  for (const t of leaves) {
    let before = 0;
    for (const o of leaves) {
      const end = o.startMs + o.durationMs;
      if (o !== t && end <= t.startMs && end > before) before = end;
    }
    t.waitMs = Math.max(0, t.startMs - before);
  }
  return tasks;
}

/** group rows for tasks known (from the playbook) to sit in a parallel group or block */
function withGroups(tasks: ReportTask[], refs: TaskRef[] | undefined): ReportTask[] {
  if (!refs) return tasks;
  const byKeyRef = new Map(refs.map((r) => [r.key, r]));
  const out = tasks.filter((t) => !t.groupKind);
  for (const t of out) {
    const r = byKeyRef.get(t.key.split('.')[0]);
    if (r && r.name === t.name.replace(/ \(item=.*\)$/, '')) t.group = r.group;
  }
  for (const g of refs.filter((r) => r.groupKind)) {
    const kids = out.filter((t) => t.group === g.key);
    if (!kids.length) continue;
    const start = Math.min(...kids.map((k) => k.startMs));
    const end = Math.max(...kids.map((k) => k.startMs + k.durationMs));
    const status = kids.some((k) => k.status === 'failed') ? 'failed' : kids.some((k) => k.status === 'changed') ? 'changed' : 'ok';
    out.push({ key: g.key, name: g.name, group: g.group, groupKind: g.groupKind, status, startMs: start, durationMs: end - start, waitMs: 0, changes: [], notes: [`${kids.length} tasks${g.groupKind === 'parallel' ? ' in parallel' : ''}`] });
  }
  return out.sort(byKey);
}

/**
 * From a run's journal. `refs` (the playbook's tasks, when the playbook can still be read) adds
 * the parallel groups and blocks, which the journal does not record.
 */
export function reportFromJournal(meta: RunMeta, records: JournalRecord[], refs?: TaskRef[]): RunReport {
  const t0 = Date.parse(meta.started);
  const tasks = new Map<string, ReportTask>();
  const get = (key: string, name: string, type?: string): ReportTask => {
    let t = tasks.get(key);
    if (!t) tasks.set(key, (t = { key, name, type, status: 'unfinished', startMs: 0, durationMs: 0, waitMs: 0, changes: [], notes: [] }));
    return t;
  };
  const started = new Map<string, number>();
  for (const r of records) {
    if (r.t === 'task-start') {
      const t = get(r.key, r.name, r.type);
      // a resumed task starts again: the report shows its last attempt
      started.set(r.key, Date.parse(r.at));
      t.status = 'unfinished';
    } else if (r.t === 'plan') {
      const t = tasks.get(r.key);
      if (t) {
        t.changes = r.changes.map(toChange);
        t.notes = r.notes;
      }
    } else if (r.t === 'task-end') {
      const t = get(r.key, r.name, r.type);
      const end = Date.parse(r.at);
      const start = started.get(r.key) ?? end - r.durationMs;
      t.status = r.status;
      t.message = r.message;
      t.startMs = start - t0;
      t.durationMs = end - start;
      if (r.status !== 'changed' && r.status !== 'failed') t.changes = r.status === 'ok' ? [] : t.changes;
    }
  }
  const last = records.reduce((m, r) => ('at' in r ? Math.max(m, Date.parse(r.at)) : m), t0);
  for (const t of tasks.values()) {
    if (t.status !== 'unfinished') continue;
    // a loop item's end is not journaled (its task's is): it ran until its plan or the next start
    const s = started.get(t.key) ?? t0;
    t.startMs = s - t0;
    const parent = tasks.get(t.key.split('.')[0]);
    if (t.key.includes('.') && parent && parent.status !== 'unfinished') t.status = t.changes.length ? (parent.status === 'failed' ? 'changed' : parent.status) : 'ok';
    const next = [...started.values()].filter((v) => v > s).sort((a, b) => a - b)[0];
    t.durationMs = (next ?? (meta.ended ? Date.parse(meta.ended) : last)) - s;
  }
  const ended = meta.ended ? Date.parse(meta.ended) : last;
  return {
    title: meta.playbookName,
    runId: meta.runId,
    mode: meta.kind === 'rollback' ? 'rollback' : 'run',
    kind: meta.kind,
    playbook: meta.playbook,
    status: meta.status,
    started: meta.started,
    durationMs: ended - t0,
    tasks: withWaits(withGroups([...tasks.values()].sort(byKey), refs)),
  };
}

/** From the events of a run, each stamped with the time it arrived. */
export function reportFromEvents(events: { at: number; e: RunEvent }[]): RunReport {
  const start = events.find((x) => x.e.type === 'run-start');
  const t0 = start?.at ?? events[0]?.at ?? Date.now();
  const s = start?.e.type === 'run-start' ? start.e : undefined;
  const starts = new Map<string, number>();
  const tasks: ReportTask[] = [];
  let status = 'unfinished';
  let end = events.length ? events[events.length - 1].at : t0;
  for (const { at, e } of events) {
    if (e.type === 'task-start') starts.set(e.task.key, at);
    else if (e.type === 'task-end') {
      const st = starts.get(e.task.key) ?? at - e.durationMs;
      tasks.push({
        key: e.task.key,
        name: e.task.name,
        type: e.task.type,
        group: e.task.group,
        groupKind: e.task.groupKind,
        status: e.status,
        startMs: st - t0,
        durationMs: e.durationMs,
        waitMs: 0,
        attempts: e.attempts,
        message: e.message,
        changes: e.changes.map(toChange),
        notes: e.notes,
      });
    } else if (e.type === 'recap') {
      status = e.interrupted ? 'interrupted' : e.counts.failed && e.stoppedAt ? 'failed' : e.counts.failed ? 'completed with failures' : 'completed';
      end = at;
    }
  }
  return {
    title: s?.playbook ?? 'kfup run',
    runId: s?.runId ?? '',
    mode: s?.mode ?? 'run',
    kind: 'run',
    playbook: s?.file ?? '',
    status,
    started: new Date(t0).toISOString(),
    durationMs: end - t0,
    tasks: withWaits(tasks.sort(byKey)),
  };
}
