// Validation before anything runs: the walker goes through the whole playbook with a simulating
// evaluator. Every task's `when`, `loop` and parameters are rendered with the variables known now
// (registered results have their declared outputs, unknown until their task runs) and checked
// against the task type's schema. Tags and --start-at-task do not narrow it: all problems are
// reported at once, each at its file:line:col.
import { UserError, UserErrors, formatPos } from '../errors.js';
import type { Playbook, TaskDef } from '../load/playbook.js';
import { Scope } from '../load/vars.js';
import type { TaskRef } from '../report/events.js';
import { renderDeep, TemplateError, unknownTree } from '../template/template.js';
import { isUnknown, type Outputs, type Targets, type TaskRegistry } from '../types.js';
import { outcome, templateUserError, type Outcome } from './outcome.js';
import { exportsVars, outputsBeforeApply } from './outputs.js';
import { validateParams } from './params.js';
import { checkClusterParams } from './cluster-params.js';
import { resultFields, Walker, type Evaluator, type LoopItem } from './walker.js';

class Simulator implements Evaluator {
  readonly mode = 'validate' as const;
  readonly errors: UserError[] = [];

  constructor(
    private pb: Playbook,
    private scope: Scope,
    private registry: TaskRegistry,
    private clusters: Record<string, unknown> | undefined,
  ) {}

  runOnce(t: TaskDef, _ref: TaskRef, loop: LoopItem | undefined): Promise<Outcome> {
    let params: unknown;
    try {
      params = renderDeep(t.params, this.scope.data(loop ? { item: loop.item, loop_index: loop.index } : {}, t.vars));
    } catch (e) {
      if (e instanceof TemplateError) this.errors.push(templateUserError(this.pb, [...t.path, t.type!], e, t));
      else if (e instanceof UserError) this.errors.push(e);
      else throw e;
      return Promise.resolve(outcome('failed', [], { invalid: true }));
    }
    const schema = this.registry.schema(t.type!);
    const { errors, value } = validateParams(this.pb, t, params, schema);
    if (!errors.length) errors.push(...checkClusterParams(this.pb, t, schema, value, this.clusters));
    this.errors.push(...errors);
    // a set-vars task's known values are visible to later tasks' validation
    const outputs = exportsVars(this.registry, t.type!) && value && typeof value === 'object' && !isUnknown(value) ? (value as Outputs) : {};
    return Promise.resolve(outcome(errors.length ? 'failed' : 'planned', [], { outputs, invalid: errors.length > 0 }));
  }

  registered(t: TaskDef, o: Outcome): Record<string, unknown> {
    // before it has run, a task's result fields are unknown, but their names are fixed
    const u = unknownTree(t.register ?? t.name);
    const fields = Object.fromEntries(Object.keys(resultFields(o.status, [])).map((k) => [k, u]));
    // a set-vars task's outputs are its parameters, known now when they do not wait on a later value
    const known = exportsVars(this.registry, t.type!) ? o.outputs : {};
    return { ...fields, outputs: outputsBeforeApply(this.registry, t.type!, known, `${t.register}.outputs`), results: u };
  }

  exports(t: TaskDef, o: Outcome): Outputs | undefined {
    return exportsVars(this.registry, t.type!) ? o.outputs : undefined;
  }
}

/** every problem the playbook has with these variables, thrown as UserErrors; nothing is run */
export async function validatePlaybook(pb: Playbook, scope: Scope, registry: TaskRegistry, targets: Targets = {}): Promise<void> {
  // a scratch scope: registered results and set-vars exports as they would be before apply
  const sim = new Scope(scope.vars, scope.builtins);
  const ev = new Simulator(pb, sim, registry, targets.clusters);
  const failures: UserError[] = [];
  // a failed `when` or `loop` is an outcome the walker reports: collect those from its events
  const walker = new Walker(pb, sim, ev, { signal: new AbortController().signal, stopOnFailure: false }, (e) => {
    if (e.type === 'task-end' && e.status === 'failed' && e.message) failures.push(new UserError(e.message, { hint: e.hint, pos: parseWhere(e.where) }));
  });
  await walker.walk(pb.tasks);
  const errors = groupMissing(dedupe([...ev.errors, ...failures]));
  if (errors.length) throw new UserErrors(errors);
}

function parseWhere(where: string | undefined): UserError['pos'] {
  const m = where ? /^(.*):(\d+):(\d+)$/.exec(where) : null;
  return m ? { file: m[1], line: Number(m[2]), col: Number(m[3]) } : undefined;
}

/**
 * One error per missing variable, not one per task that uses it: the first use keeps its place
 * and hint, and the message lists every task that uses the variable.
 */
function groupMissing(errors: UserError[]): UserError[] {
  const UNDEFINED = /^task "(.+)": undefined variable "([^"]+)" in /;
  const uses = new Map<string, { task: string; pos?: UserError['pos'] }[]>();
  for (const e of errors) {
    const m = UNDEFINED.exec(e.message);
    if (m) uses.set(m[2], [...(uses.get(m[2]) ?? []), { task: m[1], pos: e.pos }]);
  }
  const out: UserError[] = [];
  const done = new Set<string>();
  for (const e of errors) {
    const m = UNDEFINED.exec(e.message);
    const all = m ? uses.get(m[2])! : [];
    if (!m || all.length < 2) {
      out.push(e);
      continue;
    }
    if (done.has(m[2])) continue;
    done.add(m[2]);
    const list = all.map((u) => `"${u.task}"${u.pos ? ` (${u.pos.file === e.pos?.file ? `line ${u.pos.line}` : formatPos(u.pos)})` : ''}`);
    out.push(new UserError(`undefined variable "${m[2]}", used by ${all.length} tasks: ${list.join(', ')}`, { pos: e.pos, hint: e.hint, exitCode: e.exitCode }));
  }
  return out;
}

function dedupe(errors: UserError[]): UserError[] {
  const seen = new Set<string>();
  return errors
    .filter((e) => {
      const k = `${e.pos?.file}:${e.pos?.line}:${e.pos?.col}:${e.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0));
}
