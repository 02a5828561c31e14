// How the CLI prints errors: a user error gets a headline, file:line:col, a source excerpt with a
// caret and a hint; a bug gets one line (and its stack only with --debug).
import { readFileSync } from 'node:fs';
import { UserError, UserErrors, excerpt, formatPos } from './runner/errors.js';

function fileText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function formatUserError(e: UserError): string {
  const lines = [`error: ${e.message}`];
  if (e.pos) {
    lines.push(`  --> ${formatPos(e.pos)}`);
    const text = fileText(e.pos.file);
    if (text !== undefined) lines.push(excerpt(text, e.pos.line, e.pos.col).replace(/^/gm, '   '));
  }
  if (e.hint) lines.push(`  hint: ${e.hint}`);
  return lines.join('\n');
}

export function formatError(err: unknown, debug: boolean): { text: string; code: number } {
  if (err instanceof UserErrors) {
    const parts = err.errors.map(formatUserError);
    if (err.errors.length > 1) parts.push(`${err.errors.length} problems found`);
    return { text: parts.join('\n\n'), code: 2 };
  }
  if (err instanceof UserError) return { text: formatUserError(err), code: err.exitCode };
  const e = err instanceof Error ? err : new Error(String(err));
  const text = debug ? `kfup: internal error: ${e.stack ?? e.message}` : `kfup: internal error: ${e.message.split('\n')[0]}\n  hint: this is a bug in kfup; run again with --debug for the stack trace and report it`;
  return { text, code: 1 };
}

/**
 * Errors as JSON events for --output json: one `error` event per problem (validation results
 * included), then an `exit` event with the code, so a CI job reads them like the run's events.
 */
export function errorEvents(err: unknown, code: number): Record<string, unknown>[] {
  const one = (e: UserError) => ({ type: 'error', message: e.message, where: e.pos ? formatPos(e.pos) : undefined, hint: e.hint, invalid: e.exitCode === 2 });
  if (err instanceof UserErrors) return [...err.errors.map(one), { type: 'exit', code, problems: err.errors.length }];
  if (err instanceof UserError) return [one(err), { type: 'exit', code }];
  const e = err instanceof Error ? err : new Error(String(err));
  return [{ type: 'error', message: `internal error: ${e.message.split('\n')[0]}`, internal: true }, { type: 'exit', code }];
}
