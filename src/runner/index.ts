// The runner's entry points: load → variables → templates → validate → plan → execute → journal
// → report. The CLI, the demo and the tests call these; nothing here knows a module by name.
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { hostname } from 'node:os';
import { UserError, UserErrors } from './errors.js';
import { flatten, loadPlaybook, type Playbook } from './load/playbook.js';
import { positionOf } from './load/source.js';
import { validatePlaybook } from './engine/simulate.js';
import { environmentPath, resolveInputs, Scope, type LastRollback, type ResolvedInputs, type VarInputs } from './load/vars.js';
import { renderDeep, TemplateError, findUnknown, watchSecrets } from './template/template.js';
import { closeServices, createServices, loadKubeLibrary } from './engine/context.js';
import { Redactor } from './engine/redact.js';
import { childRegistry, sweepTempDirs, warnStrays } from './engine/children.js';
import { digestVars } from './engine/var-digests.js';
import { execute, type RunResult } from './engine/execute.js';
import { Journal, listRuns, readMeta, resumeState, type ResumeState, type RunMeta } from './state/journal.js';
import { canonicalPath } from './state/location.js';
import { processStartTicks } from './state/process-identity.js';
import { fileKey, openBackend, type HeldLock, type StateBackend } from './state/backend.js';
import { inputDifferences, runInputs } from './state/inputs.js';
import { makeReporter } from './report/index.js';
import type { Reporter, TaskRef } from './report/events.js';
import type { Mode, TaskRegistry, Targets } from './types.js';

export interface LoadRequest extends VarInputs {
  playbook: string;
  /** the task types a playbook may use: the caller's (the CLI hands over the built-in ones) */
  registry: TaskRegistry;
}

export interface Loaded {
  pb: Playbook;
  inputs: ResolvedInputs;
  scope: Scope;
  redactor: Redactor;
  targets: Targets;
}

export const stderrNotice = (line: string): void => {
  process.stderr.write(line + '\n');
};

export function newRunId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}-${randomBytes(2).toString('hex')}`;
}

/** everything up to and including validation; throws UserError(s) for bad input */
export async function load(
  req: LoadRequest,
  mode: Mode = 'dry-run',
  runId = newRunId(),
  started = new Date().toISOString(),
  lastRollback: LastRollback | null = null,
): Promise<Loaded> {
  const pb = loadPlaybook(req.playbook, req.registry.names());
  const inputs = resolveInputs(pb, req);
  const scope = new Scope(inputs.vars, {
    run: { id: runId, started, mode, last_rollback: lastRollback },
    playbook: { dir: pb.dir, name: pb.name, file: pb.file },
  });
  const redactor = new Redactor();
  // secret variables are redacted everywhere from the start
  const data = scope.data();
  for (const name of inputs.secrets) {
    if (!scope.entry(name)) continue;
    // a secret may be a string, or a list or mapping of them (header values, keys)
    const add = (v: unknown): void => {
      if (typeof v === 'string' || typeof v === 'number') redactor.add(String(v));
      else if (Array.isArray(v)) v.forEach(add);
      else if (v && typeof v === 'object') Object.values(v).forEach(add);
    };
    add(data[name]);
  }
  // what a template helper makes of a secret ({{upper token}}, {{json token}}) is one too
  watchSecrets(redactor);
  let targets: Targets;
  try {
    try {
      targets = renderDeep(inputs.targets, data) as Targets;
    } catch (e) {
      if (e instanceof TemplateError) {
        const path = ['targets', ...((e as TemplateError & { path?: (string | number)[] }).path ?? [])];
        const noInputs = !req.env && !req.varsFiles?.length && !req.vars?.length;
        throw new UserError(`in targets: ${e.message}`, {
          pos: positionOf(pb.src, path),
          hint: noInputs ? 'this playbook takes its values from an environment: pass --env NAME (see `kfup init`)' : e.hint,
        });
      }
      throw e;
    }
    const u = findUnknown(targets);
    if (u) throw new UserError(`targets.${u.path.join('.')} uses a value known only after apply; targets must be known before the run`);
    await validatePlaybook(pb, scope, req.registry, targets);
  } catch (e) {
    // a validation message may quote a rendered value: secrets never reach the terminal
    throw redactError(e, redactor);
  }
  return { pb, inputs, scope, redactor, targets };
}

function redactError(e: unknown, redactor: Redactor): unknown {
  if (redactor.size === 0) return e;
  const fix = (u: UserError) => new UserError(redactor.redact(u.message), { pos: u.pos, hint: u.hint ? redactor.redact(u.hint) : undefined, exitCode: u.exitCode });
  if (e instanceof UserErrors) return new UserErrors(e.errors.map(fix));
  if (e instanceof UserError) return fix(e);
  return e;
}

export function taskRefs(pb: Playbook): TaskRef[] {
  const refs: TaskRef[] = [];
  const walk = (tasks: Playbook['tasks'], group?: string) => {
    for (const t of tasks) {
      const kind = t.parallel ? 'parallel' : t.block ? 'block' : undefined;
      refs.push({ key: String(t.index), index: t.index, name: t.name, type: t.type, where: `${t.pos.file}:${t.pos.line}`, group, groupKind: kind });
      const kids = t.parallel ?? t.block;
      if (kids) walk(kids, String(t.index));
    }
  };
  walk(pb.tasks);
  return refs;
}

export interface RunRequest extends LoadRequest {
  mode: Mode;
  diff?: boolean;
  yes?: boolean;
  tags?: string[];
  skipTags?: string[];
  startAt?: string;
  output?: 'text' | 'json';
  format?: 'markdown';
  verbose?: boolean;
  /** where runs, journals and locks live; default .kfup beside the playbook (or KFUP_STATE_DIR) */
  stateDir?: string;
  /** a run id, or "last" */
  resume?: string;
  /** resume even though the playbook, environment, variables or kfup version differ */
  force?: boolean;
  breakLock?: boolean;
  reporter?: Reporter;
  signal?: AbortSignal;
  /** one-line notices (a dead run's lock taken over); default stderr */
  notice?: (line: string) => void;
}

export interface RunOutcome extends RunResult {
  runId: string;
}

/**
 * Uploads of a run's files to a shared backend as they change, in the background; flush() waits
 * for the last and reports a failure (the run's record would otherwise be missing from the bucket).
 */
export class SharedUploads {
  private last: Promise<void> = Promise.resolve();
  constructor(
    private backend: StateBackend,
    private runId: string,
  ) {}
  readonly changed = (): void => {
    if (!this.backend.shared) return;
    this.last = this.backend.push(this.runId).catch(() => {
      /* retried by the next change, and by flush() */
    });
  };
  async flush(): Promise<void> {
    if (!this.backend.shared) return;
    await this.last;
    // the final upload carries everything: an earlier one that failed no longer matters
    await this.backend.push(this.runId);
  }
}

/** the canonical environment file a --env names (undefined without one), as the lock keys it */
export function envFileFor(playbookFile: string, env: string | undefined): string | undefined {
  return env ? canonicalPath(environmentPath(dirname(playbookFile), env)) : undefined;
}

/**
 * Where the runs of a playbook and environment are kept, as `runs`, `report` and `rollback` find
 * them: the environment's S3 state, else .kfup/ beside the playbook, unless --state-dir or
 * KFUP_STATE_DIR says otherwise (never the current directory). Not yet pulled from S3.
 */
export function openRunsOf(playbook: string | undefined, env: string | undefined, stateDir: string | undefined): Promise<StateBackend> {
  const file = playbook ? canonicalPath(playbook) : undefined;
  return openBackend(file, file ? envFileFor(file, env) : undefined, stateDir);
}

function pickResume(backend: StateBackend, req: RunRequest, playbookFile: string, envFile: string | undefined): RunMeta {
  const stateDir = backend.dir;
  let runId = req.resume!;
  const key = (p: string | undefined) => fileKey(backend, p);
  if (runId === 'last') {
    const runs = listRuns(stateDir).filter((r) => r.kind === 'run' && key(r.playbook) === key(playbookFile) && key(r.inputs?.env?.path ?? r.env) === key(envFile));
    if (!runs.length) throw new UserError(`--resume last: no earlier run of ${req.playbook}${req.env ? ` with environment ${req.env}` : ''} in ${stateDir}`, { hint: 'list runs with `kfup runs`' });
    runId = runs[0].runId;
  }
  const meta = readMeta(stateDir, runId);
  if (!meta) throw new UserError(`--resume: no run "${runId}" in ${stateDir}/runs`, { hint: 'list runs with `kfup runs`' });
  if (meta.kind !== 'run') throw new UserError(`--resume: ${runId} is a rollback; resume it with \`kfup rollback ${meta.rollbackOf}\``);
  if (key(meta.playbook) !== key(playbookFile) && !req.force) throw new UserError(`--resume: run ${runId} was of ${meta.playbook}, not ${playbookFile}`, { hint: 'pass that playbook, or --force to resume anyway' });
  return meta;
}

/** the journal of the latest earlier run of this playbook and environment, for --start-at-task */
function lastRunOf(stateDir: string, playbookFile: string, env: string | undefined): ResumeState | undefined {
  const last = listRuns(stateDir).find((r) => r.kind === 'run' && r.playbook === playbookFile && (r.env ?? '') === (env ?? '') && r.status !== 'running');
  return last ? resumeState(stateDir, last.runId) : undefined;
}

/**
 * The newest rollback of a run of this playbook and environment (`run.last_rollback`): tasks that
 * reuse what an earlier run made (a backup found by name) take fresh ones after it. A rollback
 * still running is not one yet; an unreadable state directory means none is known.
 */
export function lastRollbackOf(backend: StateBackend, playbookFile: string, envFile: string | undefined): LastRollback | null {
  const key = (p: string | undefined) => fileKey(backend, p);
  let runs: RunMeta[];
  try {
    runs = listRuns(backend.dir);
  } catch {
    return null;
  }
  const ours = new Set(runs.filter((r) => r.kind === 'run' && key(r.playbook) === key(playbookFile) && key(r.inputs?.env?.path ?? r.env) === key(envFile)).map((r) => r.runId));
  const rollbacks = runs
    .filter((r) => r.kind === 'rollback' && r.status !== 'running' && r.rollbackOf !== undefined && ours.has(r.rollbackOf))
    .map((r) => ({ id: r.runId, of: r.rollbackOf!, started: r.started, ended: r.ended ?? r.started, status: r.status }))
    .sort((a, b) => (a.ended < b.ended ? 1 : a.ended > b.ended ? -1 : 0));
  return rollbacks[0] ?? null;
}

export async function runPlaybook(req: RunRequest): Promise<RunOutcome> {
  if (req.resume && req.mode !== 'run') throw new UserError('--resume continues a real run; it cannot be combined with --check or --dry-run');
  const playbookFile = canonicalPath(req.playbook);
  const backend = await openBackend(playbookFile, envFileFor(playbookFile, req.env), req.stateDir);
  const stateDir = backend.dir;
  if (req.mode === 'run') await backend.pull(req.notice ?? stderrNotice);
  const prior = req.resume && req.mode === 'run' ? pickResume(backend, req, playbookFile, envFileFor(playbookFile, req.env)) : undefined;
  const resume = prior ? resumeState(stateDir, prior.runId) : undefined;
  const runId = prior?.runId ?? newRunId();
  const started = prior?.started ?? new Date().toISOString();
  const loaded = await load(req, req.mode, runId, started, lastRollbackOf(backend, playbookFile, envFileFor(playbookFile, req.env)));
  const { pb, scope, redactor, targets } = loaded;
  const envFile = loaded.inputs.envFile ? canonicalPath(loaded.inputs.envFile) : undefined;
  const inputs = req.mode === 'run' ? runInputs(playbookFile, envFile, loaded.inputs.vars) : undefined;
  if (prior) {
    const diffs = prior.inputs ? inputDifferences(prior.inputs, playbookFile, envFile, loaded.inputs.vars, backend.shared) : (prior.env ?? '') !== (req.env ?? '') ? [`the environment: the run used ${prior.env ?? 'none'}`] : [];
    if (diffs.length && !req.force) {
      throw new UserError(`--resume ${prior.runId}: this is not the run it continues; it differs in\n  - ${diffs.join('\n  - ')}`, {
        hint: 'pass the same playbook, --env, --var and --vars-file values as the run; --force resumes anyway (finished tasks whose parameters changed are checked again)',
      });
    }
    if (diffs.length) (req.notice ?? stderrNotice)(`kfup: resuming ${prior.runId} with different inputs (--force):\n  - ${diffs.join('\n  - ')}`);
  }
  const reporter = req.reporter ?? (await makeReporter({ output: req.output ?? 'text', format: req.format, diff: req.diff ?? false, verbose: req.verbose }));
  const svc = createServices({
    mode: req.mode,
    diff: req.diff ?? false,
    yes: req.yes ?? false,
    run: { id: runId, started, playbookDir: pb.dir, workDir: process.cwd() },
    targets,
    redactor,
    children: req.mode === 'dry-run' ? undefined : childRegistry(stateDir, runId),
    pending: req.mode === 'check' ? [] : undefined,
  });
  // programs a kfup killed with -9 left running are reported, never silently ignored
  if (req.mode !== 'dry-run') warnStrays(stateDir, stderrNotice);
  // and the temporary files (saved plans, with variable values in them) such a kfup left behind
  if (req.mode !== 'dry-run') sweepTempDirs();

  let lock: HeldLock | undefined;
  let journal: Journal | undefined;
  const uploads = new SharedUploads(backend, runId);
  if (req.mode === 'run') {
    lock = await backend.lock({ runId, playbook: playbookFile, env: envFile }, { breakLock: req.breakLock, notice: req.notice ?? stderrNotice });
    journal = new Journal(
      stateDir,
      {
        runId,
        kind: 'run',
        playbook: playbookFile,
        playbookName: pb.name,
        env: envFile,
        varsFiles: (req.varsFiles ?? []).map((f) => resolve(f)),
        // names and digests only: a --var value (a secret among them) is never written to disk
        vars: digestVars(req.vars ?? []),
        started,
        status: 'running',
        pid: process.pid,
        host: hostname(),
        startTicks: processStartTicks(process.pid),
        resumes: (prior?.resumes ?? 0) + (resume ? 1 : 0),
        // a resume keeps what the run was started from (with --force the differences were told)
        inputs: prior?.inputs ?? inputs,
      },
      redactor,
      uploads.changed,
    );
  }
  const signal = req.signal ?? new AbortController().signal;
  if (req.mode !== 'dry-run' && Object.keys(targets.clusters ?? {}).length) await loadKubeLibrary();
  let result: RunResult | undefined;
  try {
    const before = req.startAt && !resume ? lastRunOf(stateDir, playbookFile, req.env) : undefined;
    result = await execute(pb, scope, svc, req.registry, { tags: req.tags, skipTags: req.skipTags, startAt: req.startAt, journal, resume, before, signal }, reporter, taskRefs(pb));
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
  return { ...result, runId };
}

/** the names a playbook's tasks would run as, for `kfup list-tasks` */
export function listTasks(pb: Playbook): { index: number; name: string; type?: string; tags: string[]; line: number; parallel: boolean; block: boolean }[] {
  return flatten(pb.tasks).map((t) => ({ index: t.index, name: t.name, type: t.type, tags: t.tags, line: t.pos.line, parallel: Boolean(t.parallel), block: Boolean(t.block) }));
}
