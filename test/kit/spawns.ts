// Counts the child processes a test's code starts: every function of node:child_process that
// starts one is wrapped, and the wrapped versions are made visible to ES module importers (execa
// imports spawn by name) with syncBuiltinESMExports. A dry-run that spawns anything is a bug.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { promisify } from 'node:util';

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
    const counted = function counted(this: unknown, ...args: unknown[]) {
      spawned.push(`${name} ${String(args[0])}`);
      return original.apply(this, args);
    };
    // exec and execFile carry their own promisified form ({ stdout, stderr }); without it
    // util.promisify would resolve with stdout alone, in every test file this worker runs later
    const custom = (original as unknown as Record<symbol, ((...args: unknown[]) => unknown) | undefined>)[promisify.custom];
    if (custom) {
      Object.defineProperty(counted, promisify.custom, {
        value: (...args: unknown[]) => {
          spawned.push(`${name} ${String(args[0])}`);
          return custom(...args);
        },
      });
    }
    cp[name] = counted;
  }
  syncBuiltinESMExports();
}
