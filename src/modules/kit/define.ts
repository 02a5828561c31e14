// defineTask: a task type declared once, the way an ESLint rule carries its meta. The name is the
// YAML key; the parameter schema, docs, examples and declared outputs come from
// schemas/tasks/<name>.schema.json (read without loading the task's code, so `kfup validate`
// stays fast); the parameter and output types are generated from that file at build time
// (scripts/gen-task-types.js → src/modules/generated/), never written by hand.
import { loadTaskSchema } from '../../runner/load/package-root.js';
import type { JSONSchema, Outputs, TaskType } from '../../runner/types.js';
import { TaskError, type TaskErrorOptions } from './task-error.js';

export type TaskSpec<P, O extends object, D, R extends object, RD> = Omit<TaskType<P, O, D, R, RD>, 'schema' | 'messages'> & {
  /** only for task types that do not ship in schemas/tasks/ (a plugin, a test's probe type) */
  schema?: JSONSchema;
  messages?: Record<string, string>;
};

export interface DefinedTask<P, O extends object, D, R extends object, RD> extends TaskType<P, O, D, R, RD> {
  /** a TaskError from one of this task type's messages, `{{key}}` filled from data */
  error(id: string, data?: Record<string, unknown>, options?: TaskErrorOptions): TaskError;
}

const fill = (template: string, data: Record<string, unknown>): string =>
  template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (m, key: string) => (Object.hasOwn(data, key) ? String(data[key]) : m));

/**
 * Declares a task type. In its methods `this` is the defined task type, so `this.error('id', data)`
 * builds a TaskError from its messages; the methods are bound, so the runner may call them detached.
 */
export function defineTask<P, O extends object = Outputs, D = undefined, R extends object = Record<string, never>, RD = undefined>(
  spec: TaskSpec<P, O, D, R, RD> & ThisType<DefinedTask<P, O, D, R, RD>>,
): DefinedTask<P, O, D, R, RD> {
  const messages = Object.freeze({ ...(spec.messages ?? {}) });
  const defined: DefinedTask<P, O, D, R, RD> = {
    name: spec.name,
    schema: spec.schema ?? loadTaskSchema(spec.name),
    messages,
    describe: (params) => spec.describe.call(defined, params),
    check: (params, ctx) => spec.check.call(defined, params, ctx),
    apply: (params, ctx, plan) => spec.apply.call(defined, params, ctx, plan),
    revert: spec.revert && {
      check: (record, ctx) => spec.revert!.check.call(defined, record, ctx),
      apply: (record, ctx, plan) => spec.revert!.apply.call(defined, record, ctx, plan),
    },
    error(id, data = {}, options = {}) {
      const template = Object.hasOwn(messages, id) ? messages[id] : undefined;
      if (template === undefined) throw new Error(`internal error: task type ${spec.name} has no message "${id}"`);
      return new TaskError(fill(template, data), { code: id, ...options });
    },
  };
  return defined;
}

/** the outputs a task type declares in its schema file ("x-kfup-outputs": name → JSON Schema) */
export function declaredOutputs(schema: JSONSchema): Record<string, JSONSchema> {
  const o = (schema as { 'x-kfup-outputs'?: Record<string, JSONSchema> })['x-kfup-outputs'];
  return o ?? {};
}
