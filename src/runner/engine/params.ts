// A task's rendered parameters against its task type's schema. Values still unknown (known after
// apply) are skipped and checked again once known; ajv fills in the schema's defaults, on a copy,
// so a task type never repeats them.
import { UserError } from '../errors.js';
import { describePath, sourceOf, type Playbook, type TaskDef } from '../load/playbook.js';
import { positionOf } from '../load/source.js';
import { compileSchema, describeErrors } from '../load/validate.js';
import { isUnknown, type JSONSchema } from '../types.js';

export function validateParams(pb: Playbook, task: TaskDef, params: unknown, schema: JSONSchema): { errors: UserError[]; value: unknown } {
  const fn = compileSchema(schema);
  const value = cloneKeepingUnknowns(params);
  if (fn(value)) return { errors: [], value };
  const base = [...task.path, task.type!];
  const errors = describeErrors(fn.errors ?? [], params, (p) => (p.length ? `${task.type} parameter ${describePath(p).replace(/^"|"$/g, '"')}` : `the ${task.type} parameters of task "${task.name}"`)).map(
    (i) => new UserError(i.message, { pos: positionOf(sourceOf(pb, task), [...base, ...i.path], i.atKey), hint: i.hint }),
  );
  return { errors, value };
}

/** structuredClone that keeps Unknown values as they are (they are class instances / proxies) */
function cloneKeepingUnknowns<T>(v: T): T {
  if (isUnknown(v)) return v;
  if (Array.isArray(v)) return v.map(cloneKeepingUnknowns) as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = cloneKeepingUnknowns(x);
    return out as T;
  }
  return v;
}
