// Whether a real program the tests drive (terraform, aws, kubectl) is on PATH. Asked once per
// test process: the files of a worker share their module cache, and `terraform version` costs a
// process start each time. A test that needs a missing program skips, saying so.
import { execFileSync } from 'node:child_process';

const known = new Map<string, boolean>();

/** `program versionArgs` runs (within 20 s): the program is there */
export function onPath(program: string, versionArgs: string[] = ['version']): boolean {
  const key = `${program} ${versionArgs.join(' ')}`;
  let ok = known.get(key);
  if (ok === undefined) {
    try {
      execFileSync(program, versionArgs, { stdio: 'ignore', timeout: 20_000 });
      ok = true;
    } catch {
      ok = false;
    }
    known.set(key, ok);
  }
  return ok;
}

/** terraform is on PATH; when not, prints "terraform is not on PATH: <skipped>" */
export function haveTerraform(skipped: string): boolean {
  const ok = onPath('terraform');
  if (!ok) console.warn(`terraform is not on PATH: ${skipped}`);
  return ok;
}
