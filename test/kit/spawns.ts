// Counts the child processes a test's code starts: every function of node:child_process that
// starts one is wrapped, and the wrapped versions are made visible to ES module importers (execa
// imports spawn by name) with syncBuiltinESMExports. A dry-run that spawns anything is a bug.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const names = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;
type Name = (typeof names)[number];

export const spawned: string[] = [];
let installed = false;

/** starts counting (once per process); `spawned` lists each program started since */
export function countSpawns(): void {
  if (installed) return;
  installed = true;
  const cp = childProcess as unknown as Record<Name, (...args: unknown[]) => unknown>;
  for (const name of names) {
    const original = cp[name];
    cp[name] = function counted(this: unknown, ...args: unknown[]) {
      spawned.push(`${name} ${String(args[0])}`);
      return original.apply(this, args);
    };
  }
  syncBuiltinESMExports();
}
