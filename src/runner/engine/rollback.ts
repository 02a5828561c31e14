// `kfup rollback <run-id>`: the fail-back. Every applied reversible task of a run is reverted,
// newest first, from what the run journaled (parameters, plan, outputs and what each task
// persisted: the trust policy, listener rule or config map it replaced). The steps go through the
// same walker and executor as a run: a revert's check reads only (under the check-mode guard),
// its apply does exactly that plan, with the original task's retries and timeout, a journal of
// its own, and an interrupted rollback is continued by the next `kfup rollback` of the same run.
import { createInterface } from 'node:readline/promises';
import { hostname } from 'node:os';
import { UserError } from '../errors.js';
import { envFileFor, load, newRunId, openRunsOf, SharedUploads, stderrNotice } from '../index.js';
import { fileKey, type HeldLock, type StateBackend } from '../state/backend.js';
import { flatten, type Playbook, type TaskDef } from '../load/playbook.js';
import { listRuns, readJournal, readMeta, resumeState, Journal, type JournalRecord, type ResumeState } from '../state/journal.js';
import { holderAlive } from '../state/lock.js';
import { processStartTicks } from '../state/process-identity.js';
import { canonicalPath } from '../state/location.js';
import type { RunMeta } from '../state/journal.js';
import { closeServices, createServices, loadKubeLibrary } from './context.js';
import { childRegistry, warnStrays } from './children.js';
import { digestVars, varsFor } from './var-digests.js';
import { execute } from './execute.js';
import { makeReporter } from '../report/index.js';
import type { Reporter, TaskRef, TaskStatus } from '../report/events.js';
import type { Applied, Mode, TaskRegistry } from '../types.js';

export interface RollbackRequest {
  /** a run id, or "last": the last run of this playbook and environment that changed something reversible */
  runId: string;
  registry: TaskRegistry;
  /** the playbook (needed for "last"; its .kfup/ is the default state directory) */
  playbook?: string;
  env?: string;
  /** --vars-file files and --var arguments the run was given, again (meta.json keeps only digests of --var values) */
  varsFiles?: string[];
  vars?: string[];
  stateDir?: string;
  /** asks on a terminal before changing anything; default: stdin when it is a terminal */
  confirm?: (question: string) => Promise<boolean>;
  /** where the plan and notices go; default stderr */
  notice?: (line: string) => void;
  mode: Mode;
  diff?: boolean;
  yes?: boolean;
  output?: 'text' | 'json';
  format?: 'markdown';
  reporter?: Reporter;
  signal?: AbortSignal;
  breakLock?: boolean;
}

export interface RollbackOutcome {
  runId: string;
  counts: Record<TaskStatus, number>;
  failed: boolean;
  changesPending: boolean;
  interrupted: boolean;
  /** the earlier, unfinished rollback this one continued */
  resumedFrom?: string;
}

/** an applied task and the journal key it ran under */
export interface AppliedStep {
  key: string;
  record: Applied;
}

/** the applied tasks of a run, newest first, as revert receives them */
export function appliedTasks(stateDir: string, runId: string): Applied[] {
  return appliedSteps(stateDir, runId).map((s) => s.record);
}

function appliedSteps(stateDir: string, runId: string): AppliedStep[] {
  const records = readJournal(stateDir, runId);
  const starts = new Map<string, Extract<JournalRecord, { t: 'task-start' }>>();
  const plans = new Map<string, Extract<JournalRecord, { t: 'plan' }>>();
  const persisted = new Map<string, Record<string, unknown>>();
  const ends = new Map<string, Extract<JournalRecord, { t: 'task-end' }>>();
  const order: string[] = [];
  for (const r of records) {
    if (r.t === 'task-start') starts.set(r.key, r);
    else if (r.t === 'plan') plans.set(r.key, r);
    else if (r.t === 'persist') persisted.set(r.key, { ...(persisted.get(r.key) ?? {}), [r.k]: r.v });
    else if (r.t === 'task-end') ends.set(r.key, r);
    if (r.t !== 'plan' && !order.includes(r.key)) order.push(r.key);
  }
  // A task is reverted when it changed something, or when it recorded what it replaced even if it
  // then failed or was interrupted (partly applied; resumed later it may even have ended ok).
  const applied: AppliedStep[] = [];
  for (const key of order) {
    const end = ends.get(key);
    const start = starts.get(key);
    const type = end?.type ?? start?.type;
    if (!type) continue;
    if (end?.status !== 'changed' && !persisted.has(key)) continue;
    const plan = plans.get(key);
    applied.push({
      key,
      record: {
      runId,
      task: end?.name ?? start?.name ?? key,
      module: type,
      params: start?.params,
      plan: { changes: plan?.changes ?? [], outputs: {}, notes: plan?.notes },
      outputs: end?.outputs ?? {},
      persisted: persisted.get(key) ?? {},
      },
    });
  }
  return applied.reverse();
}

/** whether a run's process may still be going: alive on this host, or on another host (unknowable) */
function mayBeRunning(m: RunMeta): boolean {
  if (m.status !== 'running') return false;
  return m.host !== undefined && m.host !== hostname() ? true : holderAlive(m);
}

/** whether a completed rollback of this run exists (then it has nothing left to revert) */
function rolledBack(runs: RunMeta[], runId: string): boolean {
  return runs.some((r) => r.kind === 'rollback' && r.rollbackOf === runId && r.status === 'completed');
}

/** what `kfup runs` says about rolling a run back: "yes", "done" (rolled back), or "-" (nothing reversible) */
export function rollbackState(stateDir: string, runs: RunMeta[], m: RunMeta): 'yes' | 'done' | '-' {
  if (m.kind !== 'run') return '-';
  if (rolledBack(runs, m.runId)) return 'done';
  try {
    return appliedSteps(stateDir, m.runId).length ? 'yes' : '-';
  } catch {
    return '-';
  }
}

function pickRun(backend: StateBackend, req: RollbackRequest): string {
  const stateDir = backend.dir;
  if (req.runId !== 'last') return req.runId;
  if (!req.playbook) throw new UserError('rollback last: which playbook? pass it: kfup rollback last PLAYBOOK --env ENV', { hint: 'or name the run: kfup runs lists them' });
  const playbook = canonicalPath(req.playbook);
  const envFile = envFileFor(playbook, req.env);
  const runs = listRuns(stateDir);
  const key = (p: string | undefined) => fileKey(backend, p);
  const ofThis = runs.filter((r) => r.kind === 'run' && key(r.playbook) === key(playbook) && key(r.inputs?.env?.path ?? r.env) === key(envFile));
  // the newest run that changed something reversible and is not rolled back yet: a later no-op
  // run (or one of another playbook or environment) is not what "last" means
  const run = ofThis.find((r) => !rolledBack(runs, r.runId) && appliedSteps(stateDir, r.runId).length > 0);
  if (!run) {
    throw new UserError(`rollback last: no run of ${playbook}${req.env ? ` with environment ${req.env}` : ''} has reversible changes left to roll back (in ${stateDir})`, {
      hint: 'list runs with `kfup runs`',
    });
  }
  return run.runId;
}

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [yes/no] `)).trim());
  } finally {
    rl.close();
  }
}

/** the plan, one line per step: what will be reverted, and what a half-done task had changed */
function planLines(target: string, steps: AppliedStep[], stateDir: string): string[] {
  // how each task's latest attempt ended: a task that failed and was then resumed and killed is
  // interrupted, not failed (a task-start clears the end of an earlier attempt)
  const ends = new Map<string, Extract<JournalRecord, { t: 'task-end' }>>();
  for (const r of readJournal(stateDir, target)) {
    if (r.t === 'task-start') ends.delete(r.key);
    else if (r.t === 'task-end') ends.set(r.key, r);
  }
  const lines = [`kfup rollback of run ${target}: ${steps.length} step(s), newest first`];
  steps.forEach(({ key, record }, i) => {
    const end = ends.get(key);
    const partly = !end ? 'interrupted part-way' : end.status === 'failed' ? 'failed part-way' : undefined;
    lines.push(`  ${i + 1}. revert: ${record.task} [${record.module}]${partly ? ` (${partly})` : ''}`);
    if (partly) for (const k of Object.keys(record.persisted)) lines.push(`       had already changed: ${k}`);
  });
  return lines;
}

/** the rollback steps: one per applied task, at the original task's place, with its retries and timeout */
function rollbackSteps(pb: Playbook, steps: AppliedStep[]): TaskDef[] {
  const byIndex = new Map(flatten(pb.tasks).map((t) => [String(t.index), t]));
  return steps.map(({ key, record }, i): TaskDef => {
    const original = byIndex.get(key.split('.')[0]);
    return {
      path: original?.path ?? [],
      index: i + 1,
      name: `revert: ${record.task}`,
      type: record.module,
      tags: [],
      retries: original?.retries ?? 0,
      delayMs: original?.delayMs ?? 0,
      timeoutMs: original?.timeoutMs,
      ignoreErrors: false,
      pos: original?.pos ?? { file: pb.src.path, line: 1, col: 1 },
      revertOf: record,
    };
  });
}

/** the latest rollback of this run that did not finish: the next rollback continues it */
function unfinishedRollback(stateDir: string, target: string): ResumeState | undefined {
  const earlier = listRuns(stateDir).find((r) => r.kind === 'rollback' && r.rollbackOf === target);
  if (!earlier || earlier.status === 'completed' || mayBeRunning(earlier)) return undefined;
  return resumeState(stateDir, earlier.runId);
}

export async function rollbackRun(req: RollbackRequest): Promise<RollbackOutcome> {
  const playbookFile = req.playbook ? canonicalPath(req.playbook) : undefined;
  const backend = await openRunsOf(req.playbook, req.env, req.stateDir);
  const stateDir = backend.dir;
  const notice = req.notice ?? stderrNotice;
  await backend.pull(notice);
  // a program a killed run left running (a terraform apply) would work against the rollback: told
  // first, whether or not there is anything to roll back
  if (req.mode !== 'dry-run') warnStrays(stateDir, notice);
  const target = pickRun(backend, req);
  const meta = readMeta(stateDir, target);
  if (!meta) throw new UserError(`no run "${target}" in ${stateDir}/runs`, { hint: 'list runs with `kfup runs`' });
  if (meta.kind !== 'run') throw new UserError(`run ${target} is itself a rollback; roll back the original run instead (${meta.rollbackOf})`);
  // a run whose process died (kill -9, a crash) can be rolled back: its lock is taken over below
  if (mayBeRunning(meta) && !req.breakLock) {
    throw new UserError(`run ${target} is still running (pid ${meta.pid}${meta.host ? ` on ${meta.host}` : ''})`, {
      hint: 'wait for it to end, or stop it; if you are sure it is gone (it ran on another machine), pass --break-lock',
    });
  }
  // targets (region, kubeconfigs) come from the same playbook and variables the run used; --var
  // values were kept only as digests, so they are given again and checked against them
  const vars = varsFor(target, meta.vars, req.vars);
  // with shared state the run may come from another machine: its paths are not this machine's,
  // so the playbook and environment given here are loaded
  const here = backend.shared && playbookFile !== undefined;
  const loaded = await load(
    { playbook: here ? playbookFile : meta.playbook, env: here ? req.env : meta.env, varsFiles: [...(here ? [] : meta.varsFiles), ...(req.varsFiles ?? [])], vars, registry: req.registry },
    req.mode,
  );
  const resume = req.mode === 'run' ? unfinishedRollback(stateDir, target) : undefined;
  const runId = resume?.runId ?? newRunId();
  const prior = resume ? readMeta(stateDir, resume.runId) : undefined;
  const started = prior?.started ?? new Date().toISOString();
  const reporter = req.reporter ?? (await makeReporter({ output: req.output ?? 'text', format: req.format, diff: req.diff ?? false }));
  const svc = createServices({
    mode: req.mode,
    diff: req.diff ?? false,
    yes: req.yes ?? false,
    run: { id: runId, started, playbookDir: loaded.pb.dir, workDir: process.cwd() },
    targets: loaded.targets,
    redactor: loaded.redactor,
    children: req.mode === 'dry-run' ? undefined : childRegistry(stateDir, runId),
  });
  const applied = appliedSteps(stateDir, target);
  const steps = rollbackSteps(loaded.pb, applied);
  if (req.mode === 'run') {
    // rollback changes live systems: its plan first, then a person's yes (or --yes without a terminal)
    for (const l of planLines(target, applied, stateDir)) notice(l);
    if (!req.yes && applied.length) {
      const confirm = req.confirm ?? (process.stdin.isTTY ? askOnTerminal : undefined);
      if (!confirm) {
        closeServices(svc);
        throw new UserError(`rollback of run ${target} changes live systems and there is no terminal to ask for approval`, { hint: 'pass --yes to approve it (see the plan above; --dry-run or --check to review it first)' });
      }
      if (!(await confirm(`roll back run ${target}?`))) {
        closeServices(svc);
        throw new UserError(`rollback of run ${target} not approved: nothing was changed`, { exitCode: 1 });
      }
    }
  }
  const pb: Playbook = { ...loaded.pb, name: `rollback of ${meta.playbookName} (run ${target})`, tasks: steps };
  const refs: TaskRef[] = steps.map((t) => ({ key: String(t.index), index: t.index, name: t.name, type: t.type, where: `${pb.src.path}:${t.pos.line}` }));

  let lock: HeldLock | undefined;
  let journal: Journal | undefined;
  const uploads = new SharedUploads(backend, runId);
  if (req.mode === 'run') {
    lock = await backend.lock({ runId, playbook: meta.playbook, env: meta.inputs?.env?.path ?? meta.env }, { breakLock: req.breakLock, notice });
    journal = new Journal(
      stateDir,
      {
        runId,
        kind: 'rollback',
        rollbackOf: target,
        playbook: meta.playbook,
        playbookName: meta.playbookName,
        env: meta.env,
        varsFiles: meta.varsFiles,
        vars: digestVars(vars),
        host: hostname(),
        inputs: meta.inputs,
        started,
        status: 'running',
        pid: process.pid,
        startTicks: processStartTicks(process.pid),
        resumes: (prior?.resumes ?? 0) + (resume ? 1 : 0),
      },
      loaded.redactor,
      uploads.changed,
    );
  }
  if (req.mode !== 'dry-run' && Object.keys(loaded.targets.clusters ?? {}).length) await loadKubeLibrary();
  const signal = req.signal ?? new AbortController().signal;
  let result: Awaited<ReturnType<typeof execute>> | undefined;
  try {
    result = await execute(pb, loaded.scope, svc, req.registry, { journal, resume, signal }, reporter, refs);
  } finally {
    await reporter.close?.();
    closeServices(svc);
    journal?.finish(result === undefined ? 'failed' : result.interrupted ? 'interrupted' : result.failed ? 'failed' : 'completed');
    try {
      if (journal) await uploads.flush();
    } finally {
      await lock?.release();
    }
  }
  return { runId, counts: result.counts, failed: result.failed, changesPending: result.changesPending, interrupted: result.interrupted, resumedFrom: resume?.runId };
}
