// The one tree walker. Validate, dry-run, check, run and rollback all go through it, so `when`,
// `loop`, `register`, blocks, parallel groups, tags, --start-at-task and resume mean the same
// thing everywhere. What happens at a leaf is the evaluator's business: validate simulates
// (renders and schema-checks, with registered results as declared-but-unknown outputs); the
// other modes describe, check or apply (see execute.ts).
import { createHash } from 'node:crypto';
import { UserError, didYouMean, formatPos } from '../errors.js';
import { flatten, sourceOf, type Playbook, type TaskDef } from '../load/playbook.js';
import { positionOf } from '../load/source.js';
import type { Scope } from '../load/vars.js';
import { findUnknown, isTrue, renderDeep, renderString, unknownTree } from '../template/template.js';
import { emptyCounts, emptyPlan, type PlanCounts, type RunEvent, type TaskRef, type TaskStatus } from '../report/events.js';
import { resumedKey, type Journal, type ResumeState } from '../state/journal.js';
import { isUnknown, type Change, type Mode, type Outputs } from '../types.js';
import { outcome, failureOf, type Outcome } from './outcome.js';
import type { Redactor } from './redact.js';

export type WalkMode = Mode | 'validate';

export interface LoopItem {
  item: unknown;
  index: number;
}

/** what happens at a leaf task, per mode */
export interface Evaluator {
  readonly mode: WalkMode;
  /** one execution of a task, or of one loop item */
  runOnce(t: TaskDef, ref: TaskRef, loop: LoopItem | undefined): Promise<Outcome>;
  /** what `register:` stores for a finished task (its outputs as this mode knows them) */
  registered(t: TaskDef, o: Outcome): Record<string, unknown>;
  /** the variables a task of an exports-vars type sets, if any */
  exports(t: TaskDef, o: Outcome): Outputs | undefined;
  /** check a task again, read-only, for what it would register (a task --start-at-task skipped) */
  recheck?(t: TaskDef, ref: TaskRef): Promise<Outcome>;
}

export interface WalkOptions {
  tags?: string[];
  skipTags?: string[];
  startAt?: string;
  journal?: Journal;
  resume?: ResumeState;
  /** with startAt: the last run of this playbook, whose journal holds what the skipped tasks registered */
  before?: ResumeState;
  signal: AbortSignal;
  /** validate goes on after a failure to report every problem; a run stops at the first */
  stopOnFailure: boolean;
  /** the run's redactor: a task whose outputs held a secret is journaled as redacted (resume re-checks it) */
  redactor?: Redactor;
}

export interface WalkResult {
  counts: Record<TaskStatus, number>;
  failed: boolean;
  interrupted: boolean;
  /** a failure caused by the playbook itself (bad parameters once rendered): exit code 2 */
  invalid: boolean;
  changesPending: boolean;
  tasks: { key: string; name: string; status: TaskStatus; durationMs: number }[];
  /** the changes planned (check) or made (run), by action */
  plan: PlanCounts;
}

/**
 * A task's changes, counted as `terraform plan` counts them. A change whose number is known only
 * after an earlier task applies, and a task whose parameters or condition are (it plans nothing
 * yet), count as known after apply.
 */
function countPlan(plan: PlanCounts, o: Outcome): void {
  if (o.status === 'deferred') plan.afterApply++;
  if (o.status === 'failed' || o.status === 'skipped') return;
  for (const c of o.changes) {
    if (c.countAfterApply) plan.afterApply++;
    else if (c.action === 'create') plan.add++;
    else if (c.action === 'update') plan.change++;
    else if (c.action === 'delete') plan.destroy++;
    else plan.run++;
  }
}

/** the result fields every registered task has, whatever its outputs */
export function resultFields(status: TaskStatus, changes: Change[] | number): Record<string, unknown> {
  return {
    status,
    changed: status === 'changed',
    failed: status === 'failed',
    skipped: status === 'skipped',
    ok: status === 'ok' || status === 'changed',
    changes: typeof changes === 'number' ? changes : changes.length,
  };
}

export class Walker {
  private results: WalkResult['tasks'] = [];
  private counts = emptyCounts();
  private plan = emptyPlan();
  private stopped = false;
  private invalid = false;
  changesPending = false;
  private started: boolean;

  constructor(
    private pb: Playbook,
    private scope: Scope,
    private ev: Evaluator,
    private opts: WalkOptions,
    private emit: (e: RunEvent) => void,
  ) {
    this.started = !opts.startAt;
  }

  ref(t: TaskDef, key: string, name = t.name, group?: string): TaskRef {
    const groupKind = t.parallel ? 'parallel' : t.block ? 'block' : undefined;
    return { key, index: t.index, name, type: t.type, where: `${t.pos.file}:${t.pos.line}`, group, ...(groupKind ? { groupKind } : {}) };
  }

  private selected(t: TaskDef, inherited: string[]): boolean {
    const tags = [...inherited, ...t.tags];
    if (tags.includes('never') && !(this.opts.tags ?? []).some((x) => tags.includes(x))) return false;
    if (this.opts.skipTags?.some((x) => tags.includes(x))) return false;
    if (this.opts.tags?.length && !tags.includes('always') && !this.opts.tags.some((x) => tags.includes(x))) return false;
    return true;
  }

  async walk(tasks: TaskDef[], inheritedTags: string[] = [], group?: string): Promise<void> {
    for (const t of tasks) {
      if (this.stopped) return;
      await this.task(t, inheritedTags, group);
    }
  }

  private async task(t: TaskDef, inheritedTags: string[], group?: string): Promise<void> {
    const kids = t.parallel ?? t.block;
    if (!this.started) {
      if (t.name === this.opts.startAt || t.id === this.opts.startAt) this.started = true;
      else if (!kids) return this.beforeStart(t, group);
    }
    if (!this.selected(t, inheritedTags)) return;
    const key = String(t.index);
    const tags = [...inheritedTags, ...t.tags];
    if (kids) return this.group(t, kids, tags, key, group);

    const resumed = this.resumed(t, key, group);
    if (resumed) return;

    const ref = this.ref(t, key, t.name, group);
    const t0 = Date.now();
    const skip = this.evalWhen(t);
    if (skip) {
      if (t.register) this.scope.register(t.register, { outputs: {}, ...resultFields(skip.status, []) });
      return this.finish(t, ref, skip, t0);
    }
    if (t.loop === undefined) {
      const o = await this.ev.runOnce(t, ref, undefined);
      this.afterTask(t, o);
      return this.finish(t, ref, o, t0);
    }
    return this.loop(t, ref, group, t0);
  }

  private async group(t: TaskDef, kids: TaskDef[], tags: string[], key: string, group?: string): Promise<void> {
    const ref = this.ref(t, key, t.name, group);
    if (!this.started) {
      // --start-at-task may name a task inside this group
      await this.walk(kids, tags, key);
      return;
    }
    const skip = this.evalWhen(t);
    if (skip) return this.finish(t, ref, skip, Date.now());
    this.emit({ type: 'task-start', task: ref, parallel: Boolean(t.parallel) });
    const t0 = Date.now();
    if (t.parallel) await Promise.all(kids.map((c) => this.task(c, tags, key)));
    else await this.walk(kids, tags, key);
    const inGroup = new Set(flatten(kids).map((c) => String(c.index)));
    const childStatuses = this.results.filter((r) => inGroup.has(r.key.split('.')[0]));
    const failed = childStatuses.some((r) => r.status === 'failed');
    const status: TaskStatus = failed ? 'failed' : childStatuses.some((r) => r.status === 'changed') ? 'changed' : 'ok';
    this.emit({ type: 'task-end', task: ref, status, durationMs: Date.now() - t0, changes: [], notes: [`${kids.length} tasks${t.parallel ? ' in parallel' : ''}`] });
  }

  /** the task's parameters as they render now (not for loops: they render per item) */
  private renderedDigest(t: TaskDef): string | undefined {
    if (t.loop !== undefined || t.params === undefined) return undefined;
    try {
      const p = renderDeep(t.params, this.scope.data());
      return findUnknown(p) ? undefined : digest(p);
    } catch {
      return undefined;
    }
  }

  /**
   * A task before the one --start-at-task names: not run, but what it registered or exported is
   * restored for the tasks after it, from the last run's journal, or else by checking the task
   * again read-only (an info task plans no change, so its check gives its outputs). What neither
   * gives is left known-after-apply, so a task that needs it says which value is missing.
   */
  private async beforeStart(t: TaskDef, group?: string): Promise<void> {
    const exportsVars = this.ev.exports(t, outcome('ok')) !== undefined;
    if (!t.register && !exportsVars) return;
    const key = String(t.index);
    const before = this.opts.before;
    const priorKey = before ? resumedKey(before, key, t.name, t.type) : undefined;
    const done = priorKey ? before!.done.get(priorKey) : undefined;
    if (done && !done.redacted) {
      if (t.register) this.scope.register(t.register, { outputs: done.outputs ?? {}, ...resultFields(done.status, 0) });
      for (const [k, v] of Object.entries(done.exported ?? {})) this.scope.setVar(k, v, `task "${t.name}" (run ${before!.runId})`);
      return;
    }
    if (this.ev.recheck && t.loop === undefined && (this.ev.mode === 'run' || this.ev.mode === 'check')) {
      const o = await this.ev.recheck(t, this.ref(t, key, t.name, group));
      if (o.status === 'ok') return this.afterTask(t, o);
    }
    // unknown, with the reason: a task that needs it fails (run) or waits (check) saying why
    if (!t.register) return;
    const why = `task "${t.name}" (${formatPos(t.pos)}) was skipped by --start-at-task, and neither the last run's journal nor a read-only check gave what it registers`;
    this.scope.register(t.register, unknownTree(why));
    this.scope.unrecovered.set(t.register, why);
  }

  /** a task finished in the run being resumed: restore what it registered and move on */
  private resumed(t: TaskDef, key: string, group?: string): boolean {
    const resume = this.opts.resume;
    if (!resume) return false;
    const priorKey = resumedKey(resume, key, t.name, t.type);
    const done = priorKey ? resume.done.get(priorKey) : undefined;
    if (!done || done.redacted) return false;
    // a task edited since (its definition, or parameters that now render differently), or whose
    // condition is now false, is not the task that finished: it is checked again, not trusted
    if (done.def !== undefined && done.def !== taskDigest(t)) return false;
    if (done.rendered !== undefined && done.rendered !== this.renderedDigest(t)) return false;
    if (this.evalWhen(t)) return false;
    if (done.register) this.scope.register(done.register, { outputs: done.outputs ?? {}, ...resultFields(done.status, 0) });
    for (const [k, v] of Object.entries(done.exported ?? {})) this.scope.setVar(k, v, `task "${t.name}"`);
    const ref = this.ref(t, key, t.name, group);
    this.emit({ type: 'task-start', task: ref });
    this.emit({ type: 'task-end', task: ref, status: done.status, durationMs: 0, changes: [], notes: [`done in run ${resume.runId} before the resume`] });
    this.record(key, t.name, done.status, 0);
    return true;
  }

  private async loop(t: TaskDef, ref: TaskRef, group: string | undefined, t0: number): Promise<void> {
    const key = ref.key;
    let items: unknown;
    try {
      const data = this.scope.data({}, t.vars);
      items = typeof t.loop === 'string' ? renderString(t.loop, data) : renderDeep(t.loop, data);
    } catch (e) {
      return this.finish(t, ref, failureOf(this.pb, e, t, 'loop'), t0);
    }
    if (isUnknown(items)) {
      // validate still checks the task's parameters, with an item whose value is not known yet
      if (this.ev.mode !== 'validate') return this.finish(t, ref, outcome('deferred', ['loop items known after apply']), t0);
      items = [items];
    }
    if (!Array.isArray(items)) {
      const where = formatPos(positionOf(sourceOf(this.pb, t), [...t.path, 'loop']));
      return this.finish(t, ref, outcome('failed', [], { message: `task "${t.name}": loop must be a list, not ${typeof items}`, where, hint: 'write a YAML list, or a template that is exactly one {{variable}} holding a list', invalid: true }), t0);
    }
    // validate needs no more than a sample of a long list to find what is wrong with the task
    const list = this.ev.mode === 'validate' ? items.slice(0, 50) : items;
    const outcomes: Outcome[] = [];
    for (let i = 0; i < list.length && !this.stopped; i++) {
      const item: unknown = list[i];
      const label = `${t.name} (item=${itemLabel(item)})`;
      const iref = this.ref(t, `${key}.${i}`, label, group);
      const ti = Date.now();
      const o = await this.ev.runOnce(t, iref, { item, index: i });
      outcomes.push(o);
      this.finish(t, iref, o, ti, true);
      if (o.status === 'failed' && !t.ignoreErrors && this.opts.stopOnFailure) break;
    }
    const status = loopStatus(outcomes, this.ev.mode);
    if (t.register) {
      this.scope.register(t.register, { ...this.ev.registered(t, outcome(status)), results: outcomes.map((o) => this.ev.registered(t, o)) });
    }
    const failedItem = outcomes.find((o) => o.status === 'failed');
    this.finish(t, ref, { ...outcome(status, [`${outcomes.length} item(s)`]), message: failedItem?.message, where: failedItem?.where, hint: failedItem?.hint, invalid: failedItem?.invalid }, t0, false, true);
  }

  /** a skipped or deferred outcome when `when` says so; undefined when the task should run */
  private evalWhen(t: TaskDef): Outcome | undefined {
    if (t.when === undefined) return undefined;
    let w: unknown;
    try {
      w = typeof t.when === 'string' ? renderString(t.when, this.scope.data({}, t.vars)) : t.when;
    } catch (e) {
      return failureOf(this.pb, e, t, 'when');
    }
    if (isUnknown(w)) return this.ev.mode === 'validate' ? undefined : outcome('deferred', ['condition known after apply']);
    if (!isTrue(w)) return outcome('skipped', [`condition false: ${String(t.when)}`]);
    return undefined;
  }

  private afterTask(t: TaskDef, o: Outcome): void {
    if (t.register) this.scope.register(t.register, this.ev.registered(t, o));
    const exported = o.status === 'failed' ? undefined : this.ev.exports(t, o);
    for (const [k, v] of Object.entries(exported ?? {})) this.scope.setVar(k, v, `task "${t.name}"`);
  }

  /** loopSummary: the end of a loop whose items were counted as they ended */
  private finish(t: TaskDef, ref: TaskRef, o: Outcome, t0: number, isLoopItem = false, loopSummary = false): void {
    const durationMs = Date.now() - t0;
    if (!loopSummary) countPlan(this.plan, o);
    const ignored = o.status === 'failed' && t.ignoreErrors;
    if (ref.key === String(t.index) && !t.parallel && !t.block && this.opts.journal) {
      // the task itself (not a loop item): journal its end for resume
      const exported = o.status === 'failed' ? undefined : this.ev.exports(t, o);
      const redactor = this.opts.redactor;
      const text = redactor?.size ? JSON.stringify(o.outputs) : '';
      const redacted = Boolean(redactor?.size) && redactor!.redact(text) !== text;
      this.opts.journal.append({
        t: 'task-end',
        key: ref.key,
        name: ref.name,
        type: t.type,
        status: o.status,
        ignored,
        register: t.register,
        outputs: o.outputs,
        redacted,
        exported,
        message: o.message,
        def: taskDigest(t),
        rendered: this.renderedDigest(t),
        durationMs,
        at: new Date().toISOString(),
      });
    }
    this.emit({
      type: 'task-end',
      task: ref,
      status: o.status,
      durationMs,
      message: o.message,
      where: o.where,
      hint: o.hint,
      changes: o.changes,
      notes: o.notes,
      describe: o.describe,
      ignored,
      attempts: o.attempts,
    });
    if (o.status === 'failed' && o.invalid) this.invalid = true;
    if ((o.status === 'deferred' && this.ev.mode === 'check') || (o.status === 'changed' && this.ev.mode === 'check')) this.changesPending = true;
    if (!isLoopItem) {
      this.record(ref.key, ref.name, o.status, durationMs);
      if (o.status === 'failed' && !t.ignoreErrors && this.opts.stopOnFailure) this.stopped = true;
    }
  }

  private record(key: string, name: string, status: TaskStatus, durationMs: number): void {
    this.counts[status]++;
    this.results.push({ key, name, status, durationMs });
  }

  result(): WalkResult {
    return {
      counts: this.counts,
      failed: this.counts.failed > 0 && this.results.some((r) => r.status === 'failed' && this.stopped),
      interrupted: this.opts.signal.aborted,
      invalid: this.invalid,
      changesPending: this.changesPending,
      plan: this.plan,
      tasks: this.results,
    };
  }

  get stoppedAt(): string | undefined {
    return this.stopped ? this.results.filter((r) => r.status === 'failed').pop()?.name : undefined;
  }
}

/** the task --start-at-task names (an id or a name, at any depth, imported or not), or a UserError */
export function startTask(pb: Playbook, startAt: string): TaskDef {
  const all = flatten(pb.tasks);
  const found = all.find((t) => t.id === startAt) ?? all.find((t) => t.name === startAt);
  if (found) return found;
  const names = [...new Set(all.flatMap((t) => (t.id ? [t.id, t.name] : [t.name])))];
  throw new UserError(`--start-at-task: no task named "${startAt}", nor with that id`, {
    hint: didYouMean(startAt, names) ?? 'see the ids and names with `kfup list-tasks PLAYBOOK`',
  });
}

function loopStatus(outcomes: Outcome[], mode: WalkMode): TaskStatus {
  if (outcomes.some((o) => o.status === 'failed')) return 'failed';
  if (outcomes.some((o) => o.status === 'changed')) return 'changed';
  if (outcomes.some((o) => o.status === 'deferred')) return 'deferred';
  if (outcomes.length && outcomes.every((o) => o.status === 'skipped')) return 'skipped';
  return mode === 'dry-run' || mode === 'validate' ? 'planned' : 'ok';
}

/** a loop item as its task label shows it: objects as JSON, scalars as written */
function itemLabel(item: unknown): string {
  if (typeof item === 'object') return JSON.stringify(item);
  if (typeof item === 'string') return item;
  if (typeof item === 'number' || typeof item === 'boolean' || typeof item === 'bigint') return String(item);
  return typeof item === 'undefined' ? 'undefined' : typeof item;
}

const digest = (v: unknown): string => createHash('sha256').update(JSON.stringify(v) ?? '').digest('hex').slice(0, 32);

/** what defines a task in the playbook, for resume to notice it was edited */
function taskDigest(t: TaskDef): string {
  return digest({ type: t.type, params: t.params, when: t.when, loop: t.loop, register: t.register, ignoreErrors: t.ignoreErrors });
}
