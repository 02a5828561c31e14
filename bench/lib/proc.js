// Spawning one measured process: wall time from spawn to exit, exit code, output, and peak RSS.
// Peak RSS comes from GNU time (`/usr/bin/time -f %M`) when it is installed; every side of a
// comparison is wrapped the same way, so the wrapper's fork/exec cost is paid equally.
import { StringDecoder } from 'node:string_decoder';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

let scratch;
function rssFile() {
  scratch ??= mkdtempSync(join(tmpdir(), 'kfup-bench-rss-'));
  return join(scratch, `rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
}

/**
 * Runs cmd to completion. Resolves { ms, code, stdout, stderr, peakRssMb }; never rejects for a
 * non-zero exit (the caller decides what a failure means). onLine gets stdout lines as they
 * arrive, with the time they arrived (for latency measurements).
 */
export function run(cmd, args, opts = {}) {
  const { cwd, env, timeoutMs = 600_000, onLine } = opts;
  const file = GNU_TIME ? rssFile() : undefined;
  const [bin, argv] = file ? [GNU_TIME, ['-f', '%M', '-o', file, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(bin, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    let pending = '';
    // decode as a stream: a character split across two chunks must not break a line
    const decoder = new StringDecoder('utf8');
    child.stdout.on('data', (b) => {
      out.push(b);
      if (!onLine) return;
      const now = performance.now();
      pending += decoder.write(b);
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const l of lines) onLine(l, now);
    });
    child.stderr.on('data', (b) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      let peakRssMb;
      if (file) {
        try {
          const kb = Number(readFileSync(file, 'utf8').trim().split('\n').pop());
          if (Number.isFinite(kb)) peakRssMb = kb / 1024;
          rmSync(file, { force: true });
        } catch {
          /* killed before time wrote it */
        }
      }
      resolve({ ms, code: code ?? (signal ? 128 : 1), signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), peakRssMb });
    });
  });
}

/** the first executable named `name` on PATH, or undefined */
export function which(name) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export function cleanupScratch() {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
