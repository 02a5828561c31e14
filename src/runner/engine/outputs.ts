// A task's outputs as templates see them before apply. A task type declares its outputs in its
// schema file ("x-kfup-outputs"), so a reference to one it does not declare is an undefined
// variable, found by validate with a did-you-mean, not a surprise in the middle of a run. A
// declared output not known yet is Unknown ("known after apply").
import { outputsWithUnknowns, unknownTree } from '../template/template.js';
import type { JSONSchema, Outputs, TaskRegistry } from '../types.js';

export function declaredOutputs(registry: TaskRegistry, type: string): Record<string, JSONSchema> {
  return ((registry.schema(type) as { 'x-kfup-outputs'?: Record<string, JSONSchema> })['x-kfup-outputs']) ?? {};
}

/** whether a task type's outputs become variables (set-vars): declared as x-kfup-exports-vars */
export function exportsVars(registry: TaskRegistry, type: string): boolean {
  return (registry.schema(type) as { 'x-kfup-exports-vars'?: unknown })['x-kfup-exports-vars'] === true;
}

/**
 * A task type whose outputs are whatever a live system answers (aws-info returns the fields of
 * the AWS response) declares them with the name "*": any name is then accepted.
 */
export const OPEN_OUTPUTS = '*';

/**
 * The outputs of a task as known in check and dry-run: the known values, and every other declared
 * output as Unknown. A task type whose outputs are its parameters (exports-vars) declares none,
 * so any name reads as unknown there.
 */
export function outputsBeforeApply(registry: TaskRegistry, type: string, known: Outputs, origin: string): Outputs {
  const declared = declaredOutputs(registry, type);
  if ((exportsVars(registry, type) && Object.keys(known).length === 0) || Object.hasOwn(declared, OPEN_OUTPUTS)) {
    return Object.keys(known).length ? outputsWithUnknowns(known, origin) : (unknownTree(origin) as unknown as Outputs);
  }
  const out: Outputs = {};
  for (const name of Object.keys(declared)) out[name] = unknownTree(`${origin}.${name}`);
  return Object.assign(out, known);
}
