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
}

export class TaskError extends UserError {
  readonly code: string;
  readonly retryable: boolean;
  constructor(message: string, options: TaskErrorOptions = {}) {
    super(message, { hint: options.hint, exitCode: 1 });
    this.name = 'TaskError';
    this.code = options.code ?? 'failed';
    this.retryable = options.retryable ?? false;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}
