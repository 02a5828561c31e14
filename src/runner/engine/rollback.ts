// `kfup rollback <run-id>`: the fail-back. Every applied reversible task of a run is reverted,
// newest first, from what the run journaled (parameters, plan, outputs and what each task
// persisted: the trust policy, listener rule or config map it replaced). The steps go through the
// same walker and executor as a run: a revert's check reads only (under the check-mode guard),
// its apply does exactly that plan, with the original task's retries and timeout, a journal of
// its own, and an interrupted rollback is continued by the next `kfup rollback` of the same run.
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { load, newRunId } from '../index.js';
import { flatten, type Playbook, type TaskDef } from '../load/playbook.js';
import { listRuns, readJournal, readMeta, resumeState, Journal, type JournalRecord, type ResumeState } from '../state/journal.js';
import { RunLock } from '../state/lock.js';
import { closeServices, createServices, loadKubeLibrary } from './context.js';
import { varsFor } from './var-digests.js';
import { execute } from './execute.js';
import { makeReporter } from '../report/index.js';
import type { Reporter, TaskRef, TaskStatus } from '../report/events.js';
import type { Applied, Mode, TaskRegistry } from '../types.js';

export interface RollbackRequest {
  runId: string;
  registry: TaskRegistry;
  stateDir?: string;
  mode: Mode;
  diff?: boolean;
  yes?: boolean;
  output?: 'text' | 'json';
  format?: 'markdown';
  reporter?: Reporter;
  signal?: AbortSignal;
  breakLock?: boolean;
  /** the run's --var arguments, given again (meta.json keeps only their digests) */
  vars?: string[];
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

function pickRun(stateDir: string, runId: string): string {
  if (runId !== 'last') return runId;
  const runs = listRuns(stateDir).filter((r) => r.kind === 'run');
  if (!runs.length) throw new UserError(`rollback last: no runs in ${stateDir}`, { hint: 'list runs with `kfup runs`' });
  return runs[0].runId;
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
  if (!earlier || earlier.status === 'completed' || earlier.status === 'running') return undefined;
  return resumeState(stateDir, earlier.runId);
}

export async function rollbackRun(req: RollbackRequest): Promise<RollbackOutcome> {
  const stateDir = resolve(req.stateDir ?? '.kfup');
  const target = pickRun(stateDir, req.runId);
  const meta = readMeta(stateDir, target);
  if (!meta) throw new UserError(`no run "${target}" in ${stateDir}/runs`, { hint: 'list runs with `kfup runs`' });
  if (meta.kind !== 'run') throw new UserError(`run ${target} is itself a rollback; roll back the original run instead (${meta.rollbackOf})`);
  if (meta.status === 'running') {
    throw new UserError(`run ${target} is still marked as running`, { hint: 'wait for it to end; if its process died, resume it with --resume or pass --break-lock' });
  }
  // targets (region, kubeconfigs) come from the same playbook and variables the run used
  const loaded = await load({ playbook: meta.playbook, env: meta.env, varsFiles: meta.varsFiles, vars: varsFor(target, meta.vars, req.vars), registry: req.registry }, req.mode);
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
  });
  const steps = rollbackSteps(loaded.pb, appliedSteps(stateDir, target));
  const pb: Playbook = { ...loaded.pb, name: `rollback of ${meta.playbookName} (run ${target})`, tasks: steps };
  const refs: TaskRef[] = steps.map((t) => ({ key: String(t.index), index: t.index, name: t.name, type: t.type, where: `${pb.src.path}:${t.pos.line}` }));

  let lock: RunLock | undefined;
  let journal: Journal | undefined;
  if (req.mode === 'run') {
    lock = RunLock.acquire(stateDir, { runId, playbook: meta.playbook, env: meta.env }, req.breakLock);
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
        vars: meta.vars,
        started,
        status: 'running',
        pid: process.pid,
        resumes: (prior?.resumes ?? 0) + (resume ? 1 : 0),
      },
      loaded.redactor,
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
    lock?.release();
  }
  return { runId, counts: result.counts, failed: result.failed, changesPending: result.changesPending, interrupted: result.interrupted, resumedFrom: resume?.runId };
}
