// Validation before anything runs: every task's `when`, `loop` and parameters are rendered with
// the variables known now (registered results are unknown until their task runs) and checked
// against the task type's schema. All problems are reported at once, each at its file:line:col.
import { UserError, UserErrors } from '../errors.js';
import { flatten, describePath, type Playbook, type TaskDef } from '../load/playbook.js';
import { positionOf, type YamlPath } from '../load/source.js';
import { renderDeep, renderString, TemplateError, unknownTree, isTrue } from '../template/template.js';
import { loadTaskSchema } from '../load/package-root.js';
import { compileSchema, describeErrors } from '../load/validate.js';
import { Scope } from '../load/vars.js';
import { isUnknown } from '../types.js';

/** a template error in a task, located at the string that failed */
export function templateUserError(pb: Playbook, base: YamlPath, e: TemplateError & { path?: YamlPath }, task: TaskDef): UserError {
  return new UserError(`task "${task.name}": ${e.message}`, { pos: positionOf(pb.src, [...base, ...(e.path ?? [])]), hint: e.hint });
}

/**
 * Schema-checks rendered parameters; values still unknown are skipped (checked again once known).
 * Returns the problems, and the parameters with the schema's defaults filled in.
 */
export function validateParams(pb: Playbook, task: TaskDef, params: unknown): { errors: UserError[]; value: unknown } {
  const fn = compileSchema(loadTaskSchema(task.type!));
  // ajv fills in defaults where the playbook left a parameter out: on a copy
  const value = structuredCloneSafe(params);
  if (fn(value)) return { errors: [], value };
  const base = [...task.path, task.type!];
  const errors = describeErrors(fn.errors ?? [], params, (p) => (p.length ? `${task.type} parameter ${describePath(p).replace(/^"|"$/g, '"')}` : `the ${task.type} parameters of task "${task.name}"`)).map(
    (i) => new UserError(i.message, { pos: positionOf(pb.src, [...base, ...i.path], i.atKey), hint: i.hint }),
  );
  return { errors, value };
}

/** structuredClone that keeps Unknown values as they are (they are class instances / proxies) */
function structuredCloneSafe<T>(v: T): T {
  if (isUnknown(v)) return v;
  if (Array.isArray(v)) return v.map(structuredCloneSafe) as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = structuredCloneSafe(x);
    return out as T;
  }
  return v;
}

function renderAt(pb: Playbook, task: TaskDef, key: string, value: unknown, data: object, errors: UserError[]): unknown {
  try {
    return typeof value === 'string' ? renderString(value, data) : renderDeep(value, data);
  } catch (e) {
    if (e instanceof TemplateError) errors.push(templateUserError(pb, [...task.path, key], e, task));
    else if (e instanceof UserError) errors.push(e);
    else throw e;
    return undefined;
  }
}

/**
 * What a registered task looks like before it has run: its outputs are unknown (any name will
 * do), but the result itself has fixed fields, so `{{reg.oк}}` is caught here, not mid-run.
 */
function registeredBeforeRun(name: string): Record<string, unknown> {
  const u = unknownTree(name);
  return { outputs: u, status: u, changed: u, failed: u, skipped: u, ok: u, changes: u, results: u };
}

export function prepare(pb: Playbook, scope: Scope): void {
  const errors: UserError[] = [];
  // a scratch scope: registered results and set-vars exports as they would be before apply
  const sim = new Scope(scope.vars, scope.builtins);
  for (const t of flatten(pb.tasks)) {
    if (t.parallel || t.block) continue;
    let data = sim.data();
    if (t.when !== undefined && typeof t.when === 'string') {
      const w = renderAt(pb, t, 'when', t.when, data, errors);
      if (!isUnknown(w) && w !== undefined && !isTrue(w)) {
        if (t.register) sim.register(t.register, registeredBeforeRun(t.register));
        continue; // a task that will be skipped may name variables this environment does not define
      }
    } else if (t.when === false) continue;
    let items: unknown[] = [undefined];
    if (t.loop !== undefined) {
      const l = renderAt(pb, t, 'loop', t.loop, data, errors);
      if (Array.isArray(l)) items = l.length ? l : [];
      else if (isUnknown(l)) items = [unknownTree('loop item')];
      else if (l !== undefined) {
        errors.push(new UserError(`task "${t.name}": loop must be a list, not ${typeof l}`, { pos: positionOf(pb.src, [...t.path, 'loop']), hint: 'write a YAML list, or a template that is exactly one {{variable}} holding a list' }));
      }
    }
    let exported: unknown;
    for (const item of items.slice(0, 50)) {
      data = t.loop !== undefined ? sim.data({ item }) : data;
      const params = renderAt(pb, t, t.type!, t.params, data, errors);
      if (params === undefined) break;
      errors.push(...validateParams(pb, t, params).errors);
      exported = params;
    }
    if (t.register) sim.register(t.register, registeredBeforeRun(t.register));
    if (t.type === undefined) continue;
    // set-vars style exports: known values are visible to later tasks' validation
    if (exported && typeof exported === 'object' && !isUnknown(exported) && exportsVars(t.type)) {
      for (const [k, v] of Object.entries(exported)) sim.setVar(k, v, `task "${t.name}"`);
    }
  }
  if (errors.length) throw new UserErrors(dedupe(errors));
}

/** whether a task type's outputs become variables: declared in its schema as x-kfup-exports-vars */
function exportsVars(type: string): boolean {
  return (loadTaskSchema(type) as Record<string, unknown>)['x-kfup-exports-vars'] === true;
}

function dedupe(errors: UserError[]): UserError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.pos?.line}:${e.pos?.col}:${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
