// The one error a task type throws for a failure it understands: a code (its message id, or a
// service's error code), the message, a hint for the user, and whether trying again may help.
// The runner retries only retryable failures (`retries:`); a TaskError is a user-facing failure,
// printed without a stack trace.
import { UserError } from '../../runner/errors.js';

export interface TaskErrorOptions {
  code?: string;
  hint?: string;
  /** a passing condition (throttling, a conflict, a dropped connection): `retries` may try again */
  retryable?: boolean;
  cause?: unknown;
  /**
   * the parameter at fault (a dotted path from the task's parameters, e.g. 'apply_to' or
   * 'cluster.name'): the failure is then the playbook's, reported as invalid input (exit 2) at
   * that parameter's file:line:col, and never retried
   */
  param?: string;
}

export class TaskError extends UserError {
  readonly code: string;
  readonly retryable: boolean;
  readonly param?: string;
  constructor(message: string, options: TaskErrorOptions = {}) {
    super(message, { hint: options.hint, exitCode: options.param ? 2 : 1 });
    this.name = 'TaskError';
    this.code = options.code ?? (options.param ? 'invalidParameter' : 'failed');
    this.retryable = options.param ? false : (options.retryable ?? false);
    this.param = options.param;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}
