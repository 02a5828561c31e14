// The runner's entry points: load → variables → templates → validate → plan → execute → journal
// → report. The CLI, the demo and the tests call these; nothing here knows a module by name.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { UserError, UserErrors } from './errors.js';
import { flatten, loadPlaybook, type Playbook } from './load/playbook.js';
import { positionOf } from './load/source.js';
import { validatePlaybook } from './engine/simulate.js';
import { resolveInputs, Scope, type ResolvedInputs, type VarInputs } from './load/vars.js';
import { renderDeep, TemplateError, findUnknown } from './template/template.js';
import { closeServices, createServices, loadKubeLibrary } from './engine/context.js';
import { Redactor } from './engine/redact.js';
import { execute, type RunResult } from './engine/execute.js';
import { Journal, listRuns, readMeta, resumeState, type ResumeState } from './state/journal.js';
import { RunLock } from './state/lock.js';
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

export function newRunId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}-${randomBytes(2).toString('hex')}`;
}

/** everything up to and including validation; throws UserError(s) for bad input */
export async function load(req: LoadRequest, mode: Mode = 'dry-run', runId = newRunId(), started = new Date().toISOString()): Promise<Loaded> {
  const pb = loadPlaybook(req.playbook, req.registry.names());
  const inputs = resolveInputs(pb, req);
  const scope = new Scope(inputs.vars, {
    run: { id: runId, started, mode },
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
    await validatePlaybook(pb, scope, req.registry);
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
  /** where runs, journals and locks live; default .kfup in the current directory */
  stateDir?: string;
  /** a run id, or "last" */
  resume?: string;
  breakLock?: boolean;
  reporter?: Reporter;
  signal?: AbortSignal;
}

export interface RunOutcome extends RunResult {
  runId: string;
}

function pickResume(stateDir: string, req: RunRequest, playbookFile: string): ResumeState {
  let runId = req.resume!;
  if (runId === 'last') {
    const runs = listRuns(stateDir).filter((r) => r.kind === 'run' && r.playbook === playbookFile && (r.env ?? '') === (req.env ?? ''));
    if (!runs.length) throw new UserError(`--resume last: no earlier run of ${req.playbook}${req.env ? ` with environment ${req.env}` : ''} in ${stateDir}`, { hint: 'list runs with `kfup runs`' });
    runId = runs[0].runId;
  }
  const meta = readMeta(stateDir, runId);
  if (!meta) throw new UserError(`--resume: no run "${runId}" in ${stateDir}/runs`, { hint: 'list runs with `kfup runs`' });
  if (meta.playbook !== playbookFile) throw new UserError(`--resume: run ${runId} was of ${meta.playbook}, not ${playbookFile}`);
  return resumeState(stateDir, runId);
}

/** the journal of the latest earlier run of this playbook and environment, for --start-at-task */
function lastRunOf(stateDir: string, playbookFile: string, env: string | undefined): ResumeState | undefined {
  const last = listRuns(stateDir).find((r) => r.kind === 'run' && r.playbook === playbookFile && (r.env ?? '') === (env ?? '') && r.status !== 'running');
  return last ? resumeState(stateDir, last.runId) : undefined;
}

export async function runPlaybook(req: RunRequest): Promise<RunOutcome> {
  const stateDir = resolve(req.stateDir ?? '.kfup');
  const playbookFile = resolve(req.playbook);
  const resume = req.resume && req.mode === 'run' ? pickResume(stateDir, req, playbookFile) : undefined;
  if (req.resume && req.mode !== 'run') throw new UserError('--resume continues a real run; it cannot be combined with --check or --dry-run');
  const runId = resume?.runId ?? newRunId();
  const prior = resume ? readMeta(stateDir, resume.runId) : undefined;
  const started = prior?.started ?? new Date().toISOString();
  const loaded = await load(req, req.mode, runId, started);
  const { pb, scope, redactor, targets } = loaded;
  const reporter = req.reporter ?? (await makeReporter({ output: req.output ?? 'text', format: req.format, diff: req.diff ?? false, verbose: req.verbose }));
  const svc = createServices({
    mode: req.mode,
    diff: req.diff ?? false,
    yes: req.yes ?? false,
    run: { id: runId, started, playbookDir: pb.dir, workDir: process.cwd() },
    targets,
    redactor,
  });

  let lock: RunLock | undefined;
  let journal: Journal | undefined;
  if (req.mode === 'run') {
    lock = RunLock.acquire(stateDir, { runId, playbook: playbookFile, env: req.env }, req.breakLock);
    journal = new Journal(
      stateDir,
      {
        runId,
        kind: 'run',
        playbook: playbookFile,
        playbookName: pb.name,
        env: req.env,
        varsFiles: (req.varsFiles ?? []).map((f) => resolve(f)),
        vars: req.vars ?? [],
        started,
        status: 'running',
        pid: process.pid,
        resumes: (prior?.resumes ?? 0) + (resume ? 1 : 0),
      },
      redactor,
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
    lock?.release();
  }
  return { ...result, runId };
}

/** the names a playbook's tasks would run as, for `kfup list-tasks` */
export function listTasks(pb: Playbook): { index: number; name: string; type?: string; tags: string[]; line: number; parallel: boolean; block: boolean }[] {
  return flatten(pb.tasks).map((t) => ({ index: t.index, name: t.name, type: t.type, tags: t.tags, line: t.pos.line, parallel: Boolean(t.parallel), block: Boolean(t.block) }));
}
