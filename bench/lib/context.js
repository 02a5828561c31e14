// What every benchmark gets: paths, the built CLI, the built library (dist/), scratch space and
// a shared way to describe results.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { run } from './proc.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const kfupBin = join(repoRoot, 'bin/kfup.js');
export const dist = (rel) => join(repoRoot, 'dist', rel);

/** imports a module of the BUILT code (dist/), e.g. distImport('sandbox/index.js') */
export const distImport = (rel) => import(pathToFileURL(dist(rel)).href);

/** the kfup CLI as a user runs it: node bin/kfup.js ... with no terminal and no colour */
export const kfup = (args, opts = {}) => run(process.execPath, [kfupBin, ...args], { ...opts, env: { NO_COLOR: '1', CI: 'true', ...opts.env } });

/** is a task type registered in the built registry (dist/modules/index.js) and built? */
export async function hasTaskType(type) {
  if (!existsSync(dist('modules/index.js'))) return false;
  const { registry } = await distImport('modules/index.js');
  // registered, and its module built (a registry line can land before the module does)
  return Object.prototype.hasOwnProperty.call(registry, type) && existsSync(dist(`modules/${type}.js`));
}

export const upgradePlaybook = join(repoRoot, 'playbooks/blue-green-upgrade.yaml');

export function scratchDir(name) {
  return mkdtempSync(join(tmpdir(), `kfup-bench-${name}-`));
}

export const removeDir = (d) => rmSync(d, { recursive: true, force: true });

export class Skip extends Error {}
/** stops a benchmark with "skipped: <what is missing>" */
export const skip = (what) => {
  throw new Skip(what);
};
