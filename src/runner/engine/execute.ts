// The run loop: for each task, `when`, `loop`, render, validate, then describe (dry-run), check
// (check), or check and apply only what check planned (run). Statuses, retries, timeouts,
// ignore_errors, parallel blocks, registered results, the journal and resume live here.
import { UserError, UserErrors, formatPos } from '../errors.js';
import { describePath, flatten, type Playbook, type TaskDef } from '../load/playbook.js';
import { templateUserError, validateParams } from './prepare.js';
import { positionOf } from '../load/source.js';
import { findUnknown, isTrue, outputsWithUnknowns, renderDeep, renderString, TemplateError, unknownTree } from '../template/template.js';
import { createContext, GuardError, type RunServices } from './context.js';
import { loadModule } from '../../modules/index.js';
import { loadTaskSchema } from '../load/package-root.js';
import { registerSecretParams } from './secret-params.js';
import { formatDuration } from '../load/duration.js';
import { settleOrAbort, sleepUnlessAborted } from './settle.js';
import { emptyCounts, type Reporter, type RunEvent, type TaskRef, type TaskStatus } from '../report/events.js';
import { resumedKey, type Journal, type ResumeState } from '../state/journal.js';
import type { Scope } from '../load/vars.js';
import { isUnknown, type Change, type Outputs, type Plan } from '../types.js';

export interface ExecuteOptions {
  tags?: string[];
  skipTags?: string[];
  startAt?: string;
  journal?: Journal;
  resume?: ResumeState;
  /** aborted on the first Ctrl-C: the task in flight stops and nothing after it starts */
  signal: AbortSignal;
}

export interface RunResult {
  counts: Record<TaskStatus, number>;
  failed: boolean;
  interrupted: boolean;
  /** a failure caused by the playbook itself (bad parameters once rendered): exit code 2 */
  invalid: boolean;
  changesPending: boolean;
  tasks: { key: string; name: string; status: TaskStatus; durationMs: number }[];
}

interface Outcome {
  status: TaskStatus;
  outputs: Outputs;
  changes: Change[];
  notes: string[];
  describe?: string[];
  message?: string;
  where?: string;
  hint?: string;
  invalid?: boolean;
  attempts?: number;
}

const abortReason = (s: AbortSignal): string => (s.reason instanceof Error ? s.reason.message : String(s.reason ?? 'aborted'));

class Runner {
  private results: RunResult['tasks'] = [];
  private counts = emptyCounts();
  private stopped = false;
  private invalid = false;
  private changesPending = false;
  private started: boolean;
  private modeLabel: string;

  constructor(
    private pb: Playbook,
    private scope: Scope,
    private svc: RunServices,
    private opts: ExecuteOptions,
    private emit: (e: RunEvent) => void,
  ) {
    this.started = !opts.startAt;
    this.modeLabel = svc.mode;
  }

  ref(t: TaskDef, key: string, name = t.name, group?: string): TaskRef {
    const groupKind = t.parallel ? 'parallel' : t.block ? 'block' : undefined;
    return { key, index: t.index, name, type: t.type, where: `${this.pb.src.path}:${t.pos.line}`, group, ...(groupKind ? { groupKind } : {}) };
  }

  selected(t: TaskDef, inherited: string[]): boolean {
    const tags = [...inherited, ...t.tags];
    if (tags.includes('never') && !(this.opts.tags ?? []).some((x) => tags.includes(x))) return false;
    if (this.opts.skipTags?.some((x) => tags.includes(x))) return false;
    if (this.opts.tags?.length && !tags.includes('always') && !this.opts.tags.some((x) => tags.includes(x))) return false;
    return true;
  }

  async runList(tasks: TaskDef[], inheritedTags: string[] = [], group?: string): Promise<void> {
    for (const t of tasks) {
      if (this.stopped) return;
      await this.runTask(t, inheritedTags, group);
    }
  }

  async runTask(t: TaskDef, inheritedTags: string[], group?: string): Promise<void> {
    const kids = t.parallel ?? t.block;
    if (!this.started) {
      if (t.name === this.opts.startAt || t.id === this.opts.startAt) this.started = true;
      else if (!kids) return;
    }
    if (!this.selected(t, inheritedTags)) return;
    const key = String(t.index);
    if (kids) {
      const ref = this.ref(t, key, t.name, group);
      if (!this.started) {
        // --start-at-task may name a task inside this group
        await this.runList(kids, [...inheritedTags, ...t.tags], key);
        return;
      }
      const whenOutcome = this.evalWhen(t);
      if (whenOutcome) return this.finish(t, ref, whenOutcome, Date.now());
      this.emit({ type: 'task-start', task: ref, parallel: Boolean(t.parallel) });
      const t0 = Date.now();
      if (t.parallel) await Promise.all(kids.map((c) => this.runTask(c, [...inheritedTags, ...t.tags], key)));
      else await this.runList(kids, [...inheritedTags, ...t.tags], key);
      const inGroup = new Set(flatten(kids).map((c) => String(c.index)));
      const childStatuses = this.results.filter((r) => inGroup.has(r.key.split('.')[0]));
      const failed = childStatuses.some((r) => r.status === 'failed');
      const status: TaskStatus = failed ? 'failed' : childStatuses.some((r) => r.status === 'changed') ? 'changed' : 'ok';
      this.emit({ type: 'task-end', task: ref, status, durationMs: Date.now() - t0, changes: [], notes: [`${kids.length} tasks${t.parallel ? ' in parallel' : ''}`] });
      return;
    }

    const priorKey = this.opts.resume ? resumedKey(this.opts.resume, key, t.name, t.type) : undefined;
    const resumed = priorKey ? this.opts.resume!.done.get(priorKey) : undefined;
    if (resumed && !resumed.redacted) {
      // finished in the run being resumed: restore what it registered and move on
      if (resumed.register) this.scope.register(resumed.register, this.registered(resumed.status, resumed.outputs ?? {}, []));
      for (const [k, v] of Object.entries(resumed.exported ?? {})) this.scope.setVar(k, v, `task "${t.name}"`);
      const ref = this.ref(t, key, t.name, group);
      this.emit({ type: 'task-start', task: ref });
      this.emit({ type: 'task-end', task: ref, status: resumed.status, durationMs: 0, changes: [], notes: [`done in run ${this.opts.resume!.runId} before the resume`] });
      this.record(key, t.name, resumed.status, 0);
      return;
    }

    const ref = this.ref(t, key, t.name, group);
    const t0 = Date.now();
    const whenOutcome = this.evalWhen(t);
    if (whenOutcome) {
      if (t.register) this.scope.register(t.register, this.registered(whenOutcome.status, {}, []));
      return this.finish(t, ref, whenOutcome, t0);
    }

    if (t.loop === undefined) {
      const o = await this.runOnce(t, ref, undefined);
      this.afterTask(t, o, undefined);
      return this.finish(t, ref, o, t0);
    }
    // loop: one execution per item, each with its own key (7.0, 7.1, ...) and line in the report
    let items: unknown;
    try {
      const data = this.scope.data();
      items = typeof t.loop === 'string' ? renderString(t.loop, data) : renderDeep(t.loop, data);
    } catch (e) {
      return this.finish(t, ref, this.failure(e, t, 'loop'), t0);
    }
    if (isUnknown(items)) {
      return this.finish(t, ref, { status: 'deferred', outputs: {}, changes: [], notes: ['loop items known after apply'] }, t0);
    }
    if (!Array.isArray(items)) {
      return this.finish(t, ref, { status: 'failed', outputs: {}, changes: [], notes: [], message: `loop must be a list, got ${typeof items}`, where: formatPos(positionOf(this.pb.src, [...t.path, 'loop'])), invalid: true }, t0);
    }
    const outcomes: Outcome[] = [];
    for (let i = 0; i < items.length && !this.stopped; i++) {
      const item = items[i];
      const label = `${t.name} (item=${typeof item === 'object' ? JSON.stringify(item) : String(item)})`;
      const iref = this.ref(t, `${key}.${i}`, label, group);
      const ti = Date.now();
      const o = await this.runOnce(t, iref, { item, index: i });
      outcomes.push(o);
      this.finish(t, iref, o, ti, true);
      if (o.status === 'failed' && !t.ignoreErrors) break;
    }
    const status: TaskStatus = outcomes.some((o) => o.status === 'failed')
      ? 'failed'
      : outcomes.some((o) => o.status === 'changed')
        ? 'changed'
        : outcomes.some((o) => o.status === 'deferred')
          ? 'deferred'
          : outcomes.length && outcomes.every((o) => o.status === 'skipped')
            ? 'skipped'
            : this.svc.mode === 'dry-run'
              ? 'planned'
              : 'ok';
    if (t.register) {
      this.scope.register(t.register, { ...this.registered(status, {}, []), results: outcomes.map((o) => this.registered(o.status, o.outputs, o.changes)) });
    }
    const failedItem = outcomes.find((o) => o.status === 'failed');
    this.finish(t, ref, { status, outputs: {}, changes: [], notes: [`${outcomes.length} item(s)`], message: failedItem?.message, where: failedItem?.where, hint: failedItem?.hint, invalid: failedItem?.invalid }, t0);
  }

  /** a skipped or deferred outcome when `when` says so; undefined when the task should run */
  evalWhen(t: TaskDef): Outcome | undefined {
    if (t.when === undefined) return undefined;
    let w: unknown;
    try {
      w = typeof t.when === 'string' ? renderString(t.when, this.scope.data()) : t.when;
    } catch (e) {
      return this.failure(e, t, 'when');
    }
    if (isUnknown(w)) return { status: 'deferred', outputs: {}, changes: [], notes: ['condition known after apply'] };
    if (!isTrue(w)) return { status: 'skipped', outputs: {}, changes: [], notes: [`condition false: ${String(t.when)}`] };
    return undefined;
  }

  registered(status: TaskStatus, outputs: Outputs, changes: Change[]) {
    // a skipped task's outputs are known to be absent, not unknown
    const out = this.svc.mode === 'run' || status === 'skipped' ? outputs : outputsWithUnknowns(outputs, 'registered output');
    return { outputs: out, status, changed: status === 'changed', failed: status === 'failed', skipped: status === 'skipped', ok: status === 'ok' || status === 'changed', changes: changes.length };
  }

  afterTask(t: TaskDef, o: Outcome, _loop: unknown): void {
    if (t.register) {
      this.scope.register(t.register, this.svc.mode === 'dry-run' ? { ...this.registered(o.status, {}, []), outputs: unknownTree(t.register) } : this.registered(o.status, o.outputs, o.changes));
    }
    if (t.type && exportsVars(t.type) && o.status !== 'failed') {
      for (const [k, v] of Object.entries(o.outputs)) this.scope.setVar(k, v, `task "${t.name}"`);
    }
  }

  failure(e: unknown, t: TaskDef, key: string): Outcome {
    if (e instanceof TemplateError) {
      const u = templateUserError(this.pb, [...t.path, key], e as TemplateError & { path?: (string | number)[] }, t);
      return { status: 'failed', outputs: {}, changes: [], notes: [], message: u.message, where: u.pos ? formatPos(u.pos) : undefined, hint: u.hint, invalid: true };
    }
    if (e instanceof UserErrors) {
      const first = e.errors[0];
      return {
        status: 'failed',
        outputs: {},
        changes: [],
        notes: e.errors.slice(1).map((x) => `${x.pos ? formatPos(x.pos) + ': ' : ''}${x.message}`),
        message: first.message,
        where: first.pos ? formatPos(first.pos) : undefined,
        hint: first.hint,
        invalid: first.exitCode === 2,
      };
    }
    if (e instanceof UserError) {
      return { status: 'failed', outputs: {}, changes: [], notes: [], message: e.message, where: e.pos ? formatPos(e.pos) : undefined, hint: e.hint };
    }
    const msg = e instanceof Error ? e.message : String(e);
    return { status: 'failed', outputs: {}, changes: [], notes: [], message: msg, hint: e instanceof GuardError ? 'this is a bug in the task type: check and dry-run must not change anything' : undefined };
  }

  async runOnce(t: TaskDef, ref: TaskRef, loop: { item: unknown; index: number } | undefined): Promise<Outcome> {
    const key = ref.key;
    this.emit({ type: 'task-start', task: ref });
    let params: unknown;
    try {
      params = renderDeep(t.params, this.scope.data(loop ? { item: loop.item, loop_index: loop.index } : {}));
    } catch (e) {
      if (e instanceof TemplateError) return this.failure(Object.assign(e, { path: (e as TemplateError & { path?: (string | number)[] }).path ?? [] }), t, t.type!);
      return this.failure(e, t, t.type!);
    }
    const unknown = findUnknown(params);
    if (unknown) {
      if (this.svc.mode !== 'run') {
        const module = this.svc.mode === 'dry-run' ? await loadModule(t.type!).catch(() => undefined) : undefined;
        let describe: string[] | undefined;
        try {
          describe = module?.describe(params as never);
        } catch {
          describe = undefined;
        }
        return { status: 'deferred', outputs: {}, changes: [], notes: [`parameter ${describePath(unknown.path)} is known after apply`], describe };
      }
      return { status: 'failed', outputs: {}, changes: [], notes: [], message: `parameter ${describePath(unknown.path)} has no value: an earlier task did not produce it` };
    }
    const { errors: schemaErrors, value: validated } = validateParams(this.pb, t, params);
    if (schemaErrors.length) return this.failure(new UserErrors(schemaErrors), t, t.type!);
    registerSecretParams(loadTaskSchema(t.type!), validated, this.svc.redactor);

    const module = await loadModule(t.type!);
    if (this.svc.mode === 'dry-run') {
      try {
        const describe = module.describe(validated as never);
        this.emit({ type: 'task-plan', task: ref, changes: [], notes: [], describe });
        // a task type whose parameters become variables needs no live system to know them
        const outputs = exportsVars(t.type!) ? (validated as Outputs) : {};
        return { status: 'planned', outputs, changes: [], notes: [], describe };
      } catch (e) {
        return this.failure(e, t, t.type!);
      }
    }

    const j = this.opts.journal;
    j?.append({ t: 'task-start', key, name: ref.name, type: t.type, params: validated, at: new Date().toISOString() });
    const priorKey = this.opts.resume ? resumedKey(this.opts.resume, key, t.name, t.type) : undefined;
    const persisted: Record<string, unknown> = { ...((priorKey && this.opts.resume!.persisted.get(priorKey)) || {}) };
    let attempts = 0;
    let last: Outcome | undefined;
    while (attempts <= t.retries) {
      attempts++;
      if (this.opts.signal.aborted) return { status: 'failed', outputs: {}, changes: [], notes: [], message: `interrupted: ${abortReason(this.opts.signal)}`, attempts };
      last = await this.attempt(t, ref, module, validated, persisted);
      last.attempts = attempts;
      if (last.status !== 'failed' || last.invalid || this.opts.signal.aborted || attempts > t.retries) break;
      this.emit({ type: 'task-log', task: ref, message: `attempt ${attempts} failed: ${last.message}; retrying in ${formatDuration(t.delayMs)} (${t.retries - attempts + 1} left)` });
      await sleepUnlessAborted(t.delayMs, this.opts.signal);
    }
    return last!;
  }

  async attempt(t: TaskDef, ref: TaskRef, module: Awaited<ReturnType<typeof loadModule>>, params: unknown, persisted: Record<string, unknown>): Promise<Outcome> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(this.opts.signal.reason ?? new Error('interrupted'));
    this.opts.signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      if (t.timeoutMs) {
        timer = setTimeout(() => {
          const err = new Error(`timed out after ${formatDuration(t.timeoutMs!)}`);
          controller.abort(err);
          reject(err);
        }, t.timeoutMs);
      }
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason instanceof Error ? controller.signal.reason : new Error(String(controller.signal.reason))), { once: true });
    });
    timedOut.catch(() => undefined);
    const key = ref.key;
    const ctx = createContext(
      this.svc,
      { name: ref.name, file: this.pb.src.path, line: t.pos.line, raw: t.params },
      {
        log: (m) => this.emit({ type: 'task-log', task: ref, message: m }),
        progress: (m) => this.emit({ type: 'task-progress', task: ref, message: m }),
        persist: (k, v) => {
          persisted[k] = v;
          this.opts.journal?.append({ t: 'persist', key, k, v });
        },
        recall: (k) => persisted[k],
      },
      controller.signal,
    );
    try {
      const plan: Plan = await settleOrAbort(module.check(params as never, ctx), timedOut, (m) => this.emit({ type: 'task-log', task: ref, message: m }));
      this.emit({ type: 'task-plan', task: ref, changes: plan.changes, notes: plan.notes ?? [] });
      this.opts.journal?.append({ t: 'plan', key, changes: plan.changes, notes: plan.notes ?? [] });
      if (plan.skip) return { status: 'skipped', outputs: plan.outputs, changes: [], notes: [plan.skip, ...(plan.notes ?? [])] };
      if (plan.changes.length === 0) return { status: 'ok', outputs: plan.outputs, changes: [], notes: plan.notes ?? [] };
      if (this.svc.mode === 'check') {
        this.changesPending = true;
        return { status: 'changed', outputs: plan.outputs, changes: plan.changes, notes: plan.notes ?? [] };
      }
      const outputs = await settleOrAbort(module.apply(params as never, ctx, plan), timedOut, (m) => this.emit({ type: 'task-log', task: ref, message: m }));
      return { status: 'changed', outputs: { ...plan.outputs, ...outputs }, changes: plan.changes, notes: plan.notes ?? [] };
    } catch (e) {
      const o = this.failure(e, t, t.type!);
      if (controller.signal.aborted && !(e instanceof UserError)) {
        const reason = abortReason(controller.signal);
        o.message = reason.startsWith('timed out') ? reason : `interrupted: ${o.message}`;
      }
      return o;
    } finally {
      clearTimeout(timer);
      this.opts.signal.removeEventListener('abort', onAbort);
      if (!controller.signal.aborted) controller.abort(new Error('task ended'));
    }
  }

  finish(t: TaskDef, ref: TaskRef, o: Outcome, t0: number, isLoopItem = false): void {
    const durationMs = Date.now() - t0;
    if (ref.key === String(t.index) && !t.parallel && !t.block) {
      // the task itself (not a loop item): journal its end for resume
      let exported: Record<string, unknown> | undefined;
      if (t.type && exportsVars(t.type) && o.status !== 'failed') exported = o.outputs;
      if (this.opts.journal) {
        const before = this.svc.redactor.size ? JSON.stringify(o.outputs) : '';
        const redacted = this.svc.redactor.size > 0 && this.svc.redactor.redact(before) !== before;
        this.opts.journal.append({
          t: 'task-end',
          key: ref.key,
          name: ref.name,
          type: t.type,
          status: o.status,
          ignored: o.status === 'failed' && t.ignoreErrors,
          register: t.register,
          outputs: o.outputs,
          redacted,
          exported,
          message: o.message,
          durationMs,
          at: new Date().toISOString(),
        });
      }
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
      ignored: o.status === 'failed' && t.ignoreErrors,
      attempts: o.attempts,
    });
    if (o.status === 'failed' && o.invalid) this.invalid = true;
    if (o.status === 'deferred' && this.svc.mode === 'check') this.changesPending = true;
    if (!isLoopItem) {
      this.record(ref.key, ref.name, o.status, durationMs);
      if (o.status === 'failed' && !t.ignoreErrors) this.stopped = true;
    }
  }

  record(key: string, name: string, status: TaskStatus, durationMs: number): void {
    this.counts[status]++;
    this.results.push({ key, name, status, durationMs });
  }

  result(): RunResult {
    return {
      counts: this.counts,
      failed: this.counts.failed > 0 && this.results.some((r) => r.status === 'failed' && this.stopped),
      interrupted: this.opts.signal.aborted,
      invalid: this.invalid,
      changesPending: this.changesPending,
      tasks: this.results,
    };
  }

  get stoppedAt(): string | undefined {
    return this.stopped ? this.results.filter((r) => r.status === 'failed').pop()?.name : undefined;
  }
}

const exportsVars = (type: string): boolean => (loadTaskSchema(type) as Record<string, unknown>)['x-kfup-exports-vars'] === true;

export async function execute(
  pb: Playbook,
  scope: Scope,
  svc: RunServices,
  opts: ExecuteOptions,
  reporter: Reporter,
  allRefs: TaskRef[],
): Promise<RunResult> {
  const redactEvent = (e: RunEvent): RunEvent => svc.redactor.redactDeep(e);
  const emit = (e: RunEvent) => reporter.handle(redactEvent(e));
  const t0 = Date.now();
  emit({ type: 'run-start', playbook: pb.name, file: pb.src.path, mode: svc.mode, runId: svc.run.id, tasks: allRefs, resumedFrom: opts.resume?.runId });
  if (opts.startAt && !allRefs.some((r) => r.name === opts.startAt) && !pb.tasks.some((t) => t.id === opts.startAt)) {
    throw new UserError(`--start-at-task: no task named "${opts.startAt}"`, { hint: 'see the task names with `kfup list-tasks PLAYBOOK`' });
  }
  const runner = new Runner(pb, scope, svc, opts, emit);
  await runner.runList(pb.tasks);
  const result = runner.result();
  emit({
    type: 'recap',
    mode: svc.mode,
    runId: svc.run.id,
    counts: result.counts,
    tasks: result.tasks,
    durationMs: Date.now() - t0,
    stoppedAt: runner.stoppedAt,
    interrupted: result.interrupted,
  });
  return result;
}

