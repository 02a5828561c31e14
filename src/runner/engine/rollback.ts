// `kfup rollback <run-id>`: the fail-back. Runs `revert` for every applied reversible task of a
// run, newest first, from what the run journaled (parameters, plan, outputs and what each task
// persisted: the trust policy, listener rule or config map it replaced). Check and dry-run modes
// work as for any run; the rollback itself is journaled as a run of its own.
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { load, newRunId } from '../index.js';
import { listRuns, readJournal, readMeta, Journal, type JournalRecord } from '../state/journal.js';
import { RunLock } from '../state/lock.js';
import { closeServices, createContext, createServices, loadKubeLibrary } from './context.js';
import { loadModule } from '../../modules/index.js';
import { makeReporter } from '../report/index.js';
import { emptyCounts, type Reporter, type RunEvent, type TaskRef, type TaskStatus } from '../report/events.js';
import type { Applied, Mode } from '../types.js';

export interface RollbackRequest {
  runId: string;
  stateDir?: string;
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
}

/** the applied tasks of a run, newest first, as revert receives them */
export function appliedTasks(stateDir: string, runId: string): Applied[] {
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
  const applied: Applied[] = [];
  for (const key of order) {
    const end = ends.get(key);
    const start = starts.get(key);
    const type = end?.type ?? start?.type;
    if (!type) continue;
    if (end?.status !== 'changed' && !persisted.has(key)) continue;
    const plan = plans.get(key);
    applied.push({
      runId,
      task: end?.name ?? start?.name ?? key,
      module: type,
      params: start?.params,
      plan: { changes: plan?.changes ?? [], outputs: {}, notes: plan?.notes },
      outputs: end?.outputs ?? {},
      persisted: persisted.get(key) ?? {},
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
  const loaded = load({ playbook: meta.playbook, env: meta.env, varsFiles: meta.varsFiles, vars: meta.vars }, req.mode);
  const runId = newRunId();
  const started = new Date().toISOString();
  const reporter = req.reporter ?? (await makeReporter({ output: req.output ?? 'text', format: req.format, diff: req.diff ?? false }));
  const svc = createServices({
    mode: req.mode,
    diff: req.diff ?? false,
    yes: req.yes ?? false,
    run: { id: runId, started, playbookDir: loaded.pb.dir, workDir: process.cwd() },
    targets: loaded.targets,
    redactor: loaded.redactor,
  });
  const emit = (e: RunEvent) => reporter.handle(loaded.redactor.redactDeep(e));
  const tasks = appliedTasks(stateDir, target);
  const refs: TaskRef[] = tasks.map((t, i) => ({ key: String(i + 1), index: i + 1, name: `revert: ${t.task}`, type: t.module, where: `run ${target}` }));

  let lock: RunLock | undefined;
  let journal: Journal | undefined;
  if (req.mode === 'run') {
    lock = RunLock.acquire(stateDir, { runId, playbook: meta.playbook, env: meta.env }, req.breakLock);
    journal = new Journal(
      stateDir,
      { runId, kind: 'rollback', rollbackOf: target, playbook: meta.playbook, playbookName: meta.playbookName, env: meta.env, varsFiles: meta.varsFiles, vars: meta.vars, started, status: 'running', pid: process.pid },
      loaded.redactor,
    );
  }
  if (req.mode !== 'dry-run' && Object.keys(loaded.targets.clusters ?? {}).length) await loadKubeLibrary();
  const counts = emptyCounts();
  const results: { key: string; name: string; status: TaskStatus; durationMs: number }[] = [];
  const signal = req.signal ?? new AbortController().signal;
  let failed = false;
  let changesPending = false;
  const t0 = Date.now();
  emit({ type: 'run-start', playbook: `rollback of ${meta.playbookName} (run ${target})`, file: meta.playbook, mode: req.mode, runId, tasks: refs });
  try {
    for (let i = 0; i < tasks.length && !failed && !signal.aborted; i++) {
      const record = tasks[i];
      const ref = refs[i];
      const ts = Date.now();
      emit({ type: 'task-start', task: ref });
      let status: TaskStatus;
      let changes: Awaited<ReturnType<NonNullable<Awaited<ReturnType<typeof loadModule>>['revert']>>> = [];
      let message: string | undefined;
      const notes: string[] = [];
      try {
        const module = await loadModule(record.module);
        if (!module.revert) {
          status = 'skipped';
          notes.push(`${record.module} is not reversible`);
        } else if (req.mode === 'dry-run') {
          status = 'planned';
          notes.push(`would revert what "${record.task}" applied (${record.plan.changes.length} change(s))`);
        } else {
          const ctx = createContext(
            svc,
            { name: ref.name, file: meta.playbook },
            {
              log: (m) => emit({ type: 'task-log', task: ref, message: m }),
              progress: (m) => emit({ type: 'task-progress', task: ref, message: m }),
              persist: (k, v) => journal?.append({ t: 'persist', key: ref.key, k, v }),
              recall: () => undefined,
            },
            signal,
          );
          journal?.append({ t: 'task-start', key: ref.key, name: ref.name, type: record.module, at: new Date().toISOString() });
          changes = await module.revert(record, ctx);
          status = changes.length ? 'changed' : 'ok';
          if (changes.length && req.mode === 'check') changesPending = true;
        }
      } catch (e) {
        status = 'failed';
        message = e instanceof Error ? e.message : String(e);
        failed = true;
      }
      const durationMs = Date.now() - ts;
      counts[status]++;
      results.push({ key: ref.key, name: ref.name, status, durationMs });
      journal?.append({ t: 'task-end', key: ref.key, name: ref.name, type: record.module, status, message, durationMs, at: new Date().toISOString() });
      emit({ type: 'task-end', task: ref, status, durationMs, message, changes, notes });
    }
  } finally {
    emit({ type: 'recap', mode: req.mode, runId, counts, tasks: results, durationMs: Date.now() - t0, interrupted: signal.aborted, stoppedAt: failed ? results.at(-1)?.name : undefined });
    await reporter.close?.();
    closeServices(svc);
    journal?.finish(signal.aborted ? 'interrupted' : failed ? 'failed' : 'completed');
    lock?.release();
  }
  return { runId, counts, failed, changesPending, interrupted: signal.aborted };
}
