// Where a playbook's state (runs, journals, locks) lives: --state-dir, else KFUP_STATE_DIR, else
// .kfup/ beside the playbook (as .terraform/ sits beside a configuration). Never the current
// directory: the same playbook run from two directories must see the same runs and the same lock.
import { realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { StateError } from './state-error.js';

export function stateDirFor(playbookFile: string | undefined, explicit?: string): string {
  const chosen = explicit ?? (process.env.KFUP_STATE_DIR || undefined);
  const dir = chosen !== undefined ? resolve(chosen) : playbookFile ? join(dirname(canonicalPath(playbookFile)), '.kfup') : undefined;
  if (!dir) {
    throw new StateError('no state directory: pass the playbook, --state-dir DIR or set KFUP_STATE_DIR', { hint: 'runs are kept in .kfup/ beside the playbook unless --state-dir or KFUP_STATE_DIR says otherwise' });
  }
  checkIsDirectory(dir, chosen !== undefined ? (explicit !== undefined ? '--state-dir' : 'KFUP_STATE_DIR') : 'the state directory');
  return dir;
}

/** a state path that exists must be a directory (a file there is reported, never crashed on) */
export function checkIsDirectory(dir: string, what: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch {
    return; // created when first needed
  }
  if (!st.isDirectory()) {
    throw new StateError(`${what} ${dir} is not a directory`, { hint: 'point --state-dir (or KFUP_STATE_DIR) at a directory, or move that file away' });
  }
}

/** the path with symlinks and ./.. resolved, so that every spelling of one file is one lock */
export function canonicalPath(file: string): string {
  const abs = resolve(file);
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
}
