// What one task (or one loop item) came to, and how any error a task raised becomes one: a
// template or schema problem is invalid input (exit 2) at its file:line:col; a GuardError is a
// bug in the task type; a TaskError carries its own hint and whether trying again may help.
import { EnvironmentError } from '../aws-credentials.js';
import { UserError, UserErrors, formatPos } from '../errors.js';
import { sourceOf, type Playbook, type TaskDef } from '../load/playbook.js';
import { positionIn, positionOf, type YamlPath } from '../load/source.js';
import { TemplateError } from '../template/template.js';
import type { TaskStatus } from '../report/events.js';
import type { Change, Outputs } from '../types.js';
import { GuardError } from './context.js';

export interface Outcome {
  status: TaskStatus;
  outputs: Outputs;
  changes: Change[];
  notes: string[];
  describe?: string[];
  message?: string;
  where?: string;
  hint?: string;
  /** caused by the playbook itself (bad parameters once rendered): exit code 2 */
  invalid?: boolean;
  /** false when trying again cannot help (a guard refusal, bad input, a TaskError not marked retryable) */
  retryable?: boolean;
  attempts?: number;
}

export const outcome = (status: TaskStatus, notes: string[] = [], extra: Partial<Outcome> = {}): Outcome => ({ status, outputs: {}, changes: [], notes, ...extra });

/** a template error in a task, located at the string that failed */
export function templateUserError(pb: Playbook, base: YamlPath, e: TemplateError & { path?: YamlPath }, task: TaskDef): UserError {
  return new UserError(`task "${task.name}": ${e.message}`, { pos: positionIn(sourceOf(pb, task), [...base, ...(e.path ?? [])], e.offset), hint: e.hint });
}

/** whether an error raised by a task may go away on another attempt */
function retryable(e: unknown): boolean {
  if (e instanceof GuardError) return false;
  const flagged = (e as { retryable?: unknown } | null)?.retryable;
  if (typeof flagged === 'boolean') return flagged;
  if (e instanceof UserError) return e.exitCode !== 2;
  return true;
}

/** an EnvironmentError (no AWS credentials) the task type wrapped in its own error, as its cause */
function environmentCause(e: unknown): EnvironmentError | undefined {
  for (let x = e, depth = 0; x instanceof Error && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    if (x instanceof EnvironmentError) return x;
  }
  return undefined;
}

export function failureOf(pb: Playbook, err: unknown, t: TaskDef, key: string): Outcome {
  // the machine is not set up (no AWS credentials): said as it is, whatever task type it surfaced in
  const e = environmentCause(err) ?? err;
  if (e instanceof TemplateError) {
    const u = templateUserError(pb, [...t.path, key], e, t);
    return outcome('failed', [], { message: u.message, where: u.pos ? formatPos(u.pos) : undefined, hint: u.hint, invalid: true, retryable: false });
  }
  if (e instanceof UserErrors) {
    const first = e.errors[0];
    return outcome(
      'failed',
      e.errors.slice(1).map((x) => `${x.pos ? formatPos(x.pos) + ': ' : ''}${x.message}`),
      { message: first.message, where: first.pos ? formatPos(first.pos) : undefined, hint: first.hint, invalid: first.exitCode === 2, retryable: false },
    );
  }
  const param = (e as { param?: unknown } | null)?.param;
  if (e instanceof UserError && typeof param === 'string' && param) {
    // a task type named the parameter at fault: the playbook's input, at that parameter
    const path: YamlPath = [...t.path, t.type ?? key, ...param.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s))];
    return outcome('failed', [], { message: `task "${t.name}": ${t.type} parameter "${param}": ${e.message}`, where: formatPos(positionOf(sourceOf(pb, t), path)), hint: e.hint, invalid: true, retryable: false });
  }
  if (e instanceof UserError) {
    // the machine is not set up for the run (no AWS credentials): exit 2 like invalid input
    return outcome('failed', [], { message: e.message, where: e.pos ? formatPos(e.pos) : undefined, hint: e.hint, retryable: retryable(e), invalid: e instanceof EnvironmentError || undefined });
  }
  const msg = e instanceof Error ? e.message : String(e);
  const guard = e instanceof GuardError;
  return outcome('failed', [], { message: msg, hint: guard ? 'this is a bug in the task type: check and dry-run must not change anything' : undefined, retryable: retryable(e) });
}
