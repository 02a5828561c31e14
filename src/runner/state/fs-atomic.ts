// Files kfup writes are replaced atomically (write a temporary file beside it, fsync, rename), and
// a file the user had is kept as a backup before it is replaced.
import { chmodSync, closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

export function writeFileAtomic(file: string, content: string, mode?: number): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w', mode ?? 0o644);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
    if (mode !== undefined) chmodSync(tmp, mode); // openSync's mode is filtered by the umask
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
export function replaceWithBackup(file: string, content: string): string | undefined {
  let backup: string | undefined;
  if (existsSync(file)) {
    backup = `${file}.bak`;
    for (let n = 1; existsSync(backup); n++) backup = `${file}.bak.${n}`;
    copyFileSync(file, backup);
  }
  writeFileAtomic(file, content);
  return backup;
}
