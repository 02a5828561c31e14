// Spawns the built CLI (bin/kfup.js → dist/) the way a user runs it, with no terminal.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const kfupBin = resolve(repoRoot, 'bin/kfup.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kfup(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((res) => {
    execFile(
      process.execPath,
      [kfupBin, ...args],
      { cwd: opts.cwd ?? repoRoot, env: { ...process.env, NO_COLOR: '1', ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        res({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}
