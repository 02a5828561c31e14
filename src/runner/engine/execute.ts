// dry-run, check and run at a leaf: render the parameters, check them against the task type's
// schema, then describe (dry-run), check (check), or check and apply only what check planned
// (run), with retries, timeouts and the journal. Rollback steps come through here too, as
// operations on a task type's `revert` (see rollback.ts): same retries, timeouts and journal.
import { setMaxListeners } from 'node:events';
import { UserError, UserErrors, didYouMean } from '../errors.js';
import { describePath, type Playbook, type TaskDef } from '../load/playbook.js';
import type { Scope } from '../load/vars.js';
import { formatDuration } from '../load/duration.js';
import { findUnknown, renderDeep } from '../template/template.js';
import type { Reporter, RunEvent, TaskRef } from '../report/events.js';
import { resumedKey, type Journal, type ResumeState } from '../state/journal.js';
import type { Applied, Change, Context, Outputs, Plan, TaskRegistry, TaskType } from '../types.js';
import { createContext, readOnlyServices, type RunServices } from './context.js';
import { failureOf, outcome, type Outcome } from './outcome.js';
import { exportsVars, outputsBeforeApply } from './outputs.js';
import { validateParams } from './params.js';
import { checkClusterParams, clustersNamed } from './cluster-params.js';
import { registerSecretParams } from './secret-params.js';
import { settleOrAbort, sleepUnlessAborted } from './settle.js';
import { resultFields, startTask, Walker, type Evaluator, type LoopItem, type WalkResult } from './walker.js';

export interface ExecuteOptions {
  tags?: string[];
  skipTags?: string[];
  startAt?: string;
  journal?: Journal;
  resume?: ResumeState;
  /** with startAt: the last run's journal, for what the skipped tasks registered (see Walker.beforeStart) */
  before?: ResumeState;
  /** aborted on the first Ctrl-C: the task in flight stops and nothing after it starts */
  signal: AbortSignal;
}

export type RunResult = WalkResult;

/** what a leaf does: a task type's own check and apply, or its revert's */
interface Operation {
  describe(): string[];
  check(ctx: Context): Promise<Plan>;
  apply(ctx: Context, plan: Plan): Promise<Outputs>;
  /** check runs under the read-only guard even in a run (a revert's check) */
  guardedCheck: boolean;
}

const abortReason = (s: AbortSignal): string => (s.reason instanceof Error ? s.reason.message : String(s.reason ?? 'aborted'));

function taskOperation(module: TaskType, params: unknown): Operation {
  return {
    describe: () => module.describe(params),
    check: (ctx) => module.check(params, ctx),
    apply: async (ctx, plan) => ({ ...plan.outputs, ...(await module.apply(params, ctx, plan)) }),
    guardedCheck: false,
  };
}

function revertOperation(module: TaskType, record: Applied): Operation {
  const revert = module.revert!;
  return {
    describe: () => [`revert what "${record.task}" applied: ${record.plan.changes.map((c) => c.summary).join('; ') || 'what it recorded'}`],
    check: async (ctx) => {
      const p = await revert.check(record, ctx);
      return { changes: p.changes, outputs: {}, notes: p.notes, data: p.data };
    },
    apply: async (ctx, plan) => {
      await revert.apply(record, ctx, { changes: plan.changes, notes: plan.notes, data: plan.data });
      return {};
    },
    guardedCheck: true,
  };
}

class Executor implements Evaluator {
  constructor(
    private pb: Playbook,
    private scope: Scope,
    private svc: RunServices,
    private registry: TaskRegistry,
    private opts: ExecuteOptions,
    private emit: (e: RunEvent) => void,
  ) {}

  get mode() {
    return this.svc.mode;
  }

  async runOnce(t: TaskDef, ref: TaskRef, loop: LoopItem | undefined): Promise<Outcome> {
    this.emit({ type: 'task-start', task: ref });
    const module = await this.registry.load(t.type!);
    if (t.revertOf) {
      if (!module.revert) return outcome('skipped', [`${t.type} is not reversible`]);
      return this.operate(t, ref, revertOperation(module, t.revertOf), t.revertOf);
    }
    let params: unknown;
    try {
      params = renderDeep(t.params, this.scope.data(loop ? { item: loop.item, loop_index: loop.index } : {}, t.vars));
    } catch (e) {
      return failureOf(this.pb, e, t, t.type!);
    }
    const unknown = findUnknown(params);
    if (unknown) {
      if (this.svc.mode === 'run') {
        // the origin is the template (or the skipped task's reason): name the register it used
        const origin = unknown.value.origin;
        const skipped = [...this.scope.unrecovered].find(([name, why]) => origin === why || new RegExp(`\\b${name}\\b`).test(origin))?.[1];
        return outcome('failed', [], {
          message: `parameter ${describePath(unknown.path)} has no value: ${skipped ?? 'an earlier task did not produce it'}`,
          hint: skipped ? 'start at that task instead, or run the playbook once without --start-at-task' : undefined,
        });
      }
      let describe: string[] | undefined;
      try {
        describe = this.svc.mode === 'dry-run' ? module.describe(params) : undefined;
      } catch {
        describe = undefined;
      }
      this.pendingChanges(t, params, 'unknown');
      return outcome('deferred', [`parameter ${describePath(unknown.path)} is known after apply`], { describe });
    }
    const schema = this.registry.schema(t.type!);
    const { errors, value } = validateParams(this.pb, t, params, schema);
    // a cluster name that was known only after an earlier task: checked as soon as it is known
    if (!errors.length) errors.push(...checkClusterParams(this.pb, t, schema, value, this.svc.targets.clusters));
    if (errors.length) return failureOf(this.pb, new UserErrors(errors), t, t.type!);
    registerSecretParams(schema, value, this.svc.redactor);
    const o = await this.operate(t, ref, taskOperation(module, value), value);
    if (o.status === 'changed') this.pendingChanges(t, value, [...new Set(o.changes.map((c) => c.action))]);
    return o;
  }

  /** check mode: a task that plans changes, on the clusters it names, for the tasks after it (ctx.pendingOn) */
  private pendingChanges(t: TaskDef, params: unknown, actions: Change['action'][] | 'unknown'): void {
    this.svc.pending?.push({ task: t.name, clusters: clustersNamed(this.registry.schema(t.type!), params), actions });
  }

  private async operate(t: TaskDef, ref: TaskRef, op: Operation, journaled: unknown): Promise<Outcome> {
    if (this.svc.mode === 'dry-run') {
      try {
        const describe = op.describe();
        this.emit({ type: 'task-plan', task: ref, changes: [], notes: [], describe });
        // a task type whose parameters become variables needs no live system to know them
        const outputs = !t.revertOf && exportsVars(this.registry, t.type!) ? (journaled as Outputs) : {};
        return outcome('planned', [], { outputs, describe });
      } catch (e) {
        return failureOf(this.pb, e, t, t.type!);
      }
    }
    const key = ref.key;
    this.opts.journal?.append({ t: 'task-start', key, name: ref.name, type: t.type, params: t.revertOf ? undefined : journaled, at: new Date().toISOString() });
    const priorKey = this.opts.resume ? resumedKey(this.opts.resume, key, t.name, t.type) : undefined;
    const persisted: Record<string, unknown> = { ...((priorKey && this.opts.resume!.persisted.get(priorKey)) || {}) };
    let attempts = 0;
    let last: Outcome | undefined;
    while (attempts <= t.retries) {
      attempts++;
      if (this.opts.signal.aborted) return outcome('failed', [], { message: `interrupted: ${abortReason(this.opts.signal)}`, attempts });
      last = await this.attempt(t, ref, op, persisted);
      last.attempts = attempts;
      // a guard refusal, bad input or a failure the task type calls final is never tried again
      if (last.status !== 'failed' || last.invalid || last.retryable === false || this.opts.signal.aborted || attempts > t.retries) break;
      this.emit({ type: 'task-log', task: ref, message: `attempt ${attempts} failed: ${last.message}; retrying in ${formatDuration(t.delayMs)} (${t.retries - attempts + 1} left)` });
      await sleepUnlessAborted(t.delayMs, this.opts.signal);
    }
    return last!;
  }

  private async attempt(t: TaskDef, ref: TaskRef, op: Operation, persisted: Record<string, unknown>): Promise<Outcome> {
    const controller = new AbortController();
    // the task's own requests and waits (one per concurrent request) listen to it
    setMaxListeners(0, controller.signal);
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
    const log = (m: string) => this.emit({ type: 'task-log', task: ref, message: m });
    const hooks = {
      log,
      progress: (m: string) => this.emit({ type: 'task-progress', task: ref, message: m }),
      persist: (k: string, v: unknown) => {
        persisted[k] = v;
        this.opts.journal?.append({ t: 'persist', key, k, v });
      },
      recall: (k: string) => persisted[k],
    };
    const where = { name: ref.name, file: t.pos.file, line: t.pos.line, raw: t.params };
    const ctx = createContext(this.svc, where, hooks, controller.signal);
    // a revert's check reads only, under the same guard as check mode, even in a run
    const checkCtx = op.guardedCheck ? createContext(readOnlyServices(this.svc), where, hooks, controller.signal) : ctx;
    try {
      const plan = await settleOrAbort(op.check(checkCtx), timedOut, log);
      const notes = plan.notes ?? [];
      // the old value of a secret being replaced is as secret as the new one
      for (const c of plan.changes) this.svc.redactor.secretBefore(c.before, c.after);
      this.emit({ type: 'task-plan', task: ref, changes: plan.changes, notes });
      this.opts.journal?.append({ t: 'plan', key, changes: plan.changes, notes });
      if (plan.skip) return outcome('skipped', [plan.skip, ...notes], { outputs: plan.outputs });
      if (plan.changes.length === 0) return outcome('ok', notes, { outputs: plan.outputs });
      if (this.svc.mode === 'check') return outcome('changed', notes, { outputs: plan.outputs, changes: plan.changes });
      const outputs = await settleOrAbort(op.apply(ctx, plan), timedOut, log);
      return outcome('changed', notes, { outputs, changes: plan.changes });
    } catch (e) {
      const o = failureOf(this.pb, e, t, t.type!);
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

  /** a task --start-at-task skipped, checked again under the read-only guard; nothing journaled or shown */
  async recheck(t: TaskDef, ref: TaskRef): Promise<Outcome> {
    // a task skipped by --start-at-task applies nothing: its planned changes are not pending for later tasks
    const readOnly = new Executor(this.pb, this.scope, { ...readOnlyServices(this.svc), pending: undefined }, this.registry, { ...this.opts, journal: undefined, resume: undefined }, () => undefined);
    return readOnly.runOnce(t, ref, undefined);
  }

  registered(t: TaskDef, o: Outcome): Record<string, unknown> {
    // a skipped task's outputs are known to be absent, not unknown
    const known = this.svc.mode === 'run' || o.status === 'skipped' || !t.type;
    const outputs = known ? o.outputs : outputsBeforeApply(this.registry, t.type!, o.outputs, `${t.register ?? t.name}.outputs`);
    return { outputs, ...resultFields(o.status, o.changes) };
  }

  exports(t: TaskDef, o: Outcome): Outputs | undefined {
    return t.type && !t.revertOf && exportsVars(this.registry, t.type) ? o.outputs : undefined;
  }
}

/** every tag the playbook's tasks carry, blocks and parallel groups included */
function playbookTags(tasks: TaskDef[], into = new Set<string>()): Set<string> {
  for (const t of tasks) {
    t.tags.forEach((x) => into.add(x));
    playbookTags([...(t.parallel ?? []), ...(t.block ?? [])], into);
  }
  return into;
}

/** --tags or --skip-tags naming a tag no task carries would run (or skip) nothing, silently: refused */
function checkTags(pb: Playbook, opts: ExecuteOptions): void {
  const known = playbookTags(pb.tasks);
  const special = ['always', 'never'];
  for (const [flag, list] of [['--tags', opts.tags], ['--skip-tags', opts.skipTags]] as const) {
    for (const tag of list ?? []) {
      if (known.has(tag) || special.includes(tag)) continue;
      const names = [...known].sort();
      const guess = didYouMean(tag, names);
      throw new UserError(`${flag}: no task has the tag "${tag}"`, {
        hint: `${guess ? guess + ' ' : ''}${names.length ? `the playbook's tags: ${names.join(', ')}` : 'no task in this playbook has tags'}`,
      });
    }
  }
}

export async function execute(
  pb: Playbook,
  scope: Scope,
  svc: RunServices,
  registry: TaskRegistry,
  opts: ExecuteOptions,
  reporter: Reporter,
  allRefs: TaskRef[],
): Promise<RunResult> {
  checkTags(pb, opts);
  // every task in flight (a parallel group of many) listens to the run's signal: not a leak, so
  // no MaxListenersExceededWarning in the output
  setMaxListeners(0, opts.signal);
  const emit = (e: RunEvent) => reporter.handle(svc.redactor.redactDeep(e));
  const t0 = Date.now();
  emit({ type: 'run-start', playbook: pb.name, file: pb.src.path, mode: svc.mode, runId: svc.run.id, tasks: allRefs, resumedFrom: opts.resume?.runId });
  if (opts.startAt) startTask(pb, opts.startAt);
  const ev = new Executor(pb, scope, svc, registry, opts, emit);
  const walker = new Walker(pb, scope, ev, { ...opts, stopOnFailure: true, redactor: svc.redactor }, emit);
  await walker.walk(pb.tasks);
  const result = walker.result();
  emit({ type: 'recap', mode: svc.mode, runId: svc.run.id, counts: result.counts, tasks: result.tasks, durationMs: Date.now() - t0, stoppedAt: walker.stoppedAt, interrupted: result.interrupted, plan: result.plan });
  return result;
}
