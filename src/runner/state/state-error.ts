// A state file or directory that is not what kfup wrote (corrupt, truncated, of the wrong kind):
// invalid input, exit 2, with the path, what is wrong and what to do. Never an internal error.
import { UserError } from '../errors.js';

export class StateError extends UserError {
  constructor(message: string, opts: { hint: string }) {
    super(message, { hint: opts.hint, exitCode: 2 });
  }
}

export function corrupt(file: string, problem: string, hint?: string): StateError {
  return new StateError(`corrupt state: ${file}: ${problem}`, {
    hint: hint ?? `kfup did not write this; restore it from a backup, or move it away (the run it belongs to can then no longer be resumed or rolled back)`,
  });
}
