// Files kfup writes are replaced atomically (write a temporary file beside it, fsync, rename), and
// a file the user had is kept as a backup before it is replaced.
import { chmodSync, closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/** temporary siblings of a file left by a kfup that was killed while writing it (they may hold secrets) */
function sweepStale(file: string): void {
  const prefix = `.${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return;
  }
  for (const n of names) {
    const m = n.startsWith(prefix) ? /\.(\d+)\.\d+\.tmp$/.exec(n.slice(prefix.length - 1)) : null;
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(dirname(file), n), { force: true });
    }
  }
}

export function writeFileAtomic(file: string, content: string, mode?: number): void {
  mkdirSync(dirname(file), { recursive: true });
  sweepStale(file);
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  // private while it is written: it may hold secrets; the mode asked for is set before the rename
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
    chmodSync(tmp, mode ?? 0o644 & ~process.umask()); // openSync's mode is filtered by the umask
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
}

/**
 * Replaces a file the user may have written by hand: the previous content is kept as
 * FILE.bak (or FILE.bak.N when that exists) and the path of the backup is returned.
 */
export function replaceWithBackup(file: string, content: string, mode?: number): string | undefined {
  let backup: string | undefined;
  if (existsSync(file)) {
    backup = `${file}.bak`;
    for (let n = 1; existsSync(backup); n++) backup = `${file}.bak.${n}`;
    copyFileSync(file, backup);
  }
  // the mode asked for, whether or not a backup was kept
  writeFileAtomic(file, content, mode);
  return backup;
}
