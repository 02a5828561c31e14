// One long-lived Python process per test worker that runs `aws` commands through the aws CLI's
// own entry point (aws-cli-batch.py says how, and why that is the same CLI as the `aws` binary).
// A spawned `aws` costs ~1.4 CPU-seconds of Python start-up and imports before its first byte;
// the tests send ~40 commands, so they share one process, one command at a time.
//
// The process belongs to the worker, not to a test file: vitest runs the files of a worker in one
// module cache (isolate: false), so the next file reuses it. It never keeps the worker alive:
// between commands the child and its pipes are unref'd, it is killed when the worker exits, and
// it ends by itself at the end of its stdin if the worker dies without exiting cleanly.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** how one `aws` command ended */
export interface AwsRun {
  rc: number;
  stdout: string;
  stderr: string;
}

/** the versions of the CLI, its botocore and its Python */
export interface AwsVersions {
  awscli: string;
  botocore: string;
  python: string;
}

/** the versions an `aws --version` line names ("aws-cli/1.45.11 Python/3.11.7 Linux/6.x botocore/1.43.11") */
export function versionsOf(line: string): AwsVersions | undefined {
  const m = /aws-cli\/(\S+) Python\/(\S+) .*botocore\/(\S+)/.exec(line);
  return m ? { awscli: m[1], python: m[2], botocore: m[3] } : undefined;
}

const DRIVER = fileURLToPath(new URL('./aws-cli-batch.py', import.meta.url));
/** the interpreters that may have awscli, in the order tried */
const PYTHONS = ['python3', 'python'];
const START_MS = 30_000;

/** one aws-cli-batch.py process: a line out, a line back */
class BatchProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private answer: { resolve: (line: string) => void; reject: (e: Error) => void } | undefined;
  private ended: Error | undefined;
  private stderrTail = '';

  constructor(readonly python: string) {
    this.child = spawn(python, [DRIVER], { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: 'pipe' });
    // a write after it died fails with EPIPE; its exit says why it died
    this.child.stdin.on('error', () => undefined);
    this.child.stderr.setEncoding('utf8').on('data', (s: string) => (this.stderrTail = (this.stderrTail + s).slice(-4000)));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const a = this.answer;
      this.answer = undefined;
      a?.resolve(line);
    });
    this.child.on('error', (e) => this.end(e));
    this.child.on('exit', (code, signal) => this.end(new Error(`${python} aws-cli-batch.py ended (${signal ?? code}): ${this.stderrTail.trim()}`)));
    this.hold(false);
  }

  get alive(): boolean {
    return !this.ended;
  }

  /** its first line: the versions it runs, or undefined when it cannot start (no awscli there) */
  async versions(): Promise<AwsVersions | undefined> {
    return this.next(START_MS, 'start').then(
      (line) => JSON.parse(line) as AwsVersions,
      () => undefined,
    );
  }

  /** runs one command; rejects (and kills the process) when it does not answer within ms */
  async run(argv: string[], env: Record<string, string | undefined>, ms: number): Promise<AwsRun> {
    if (this.ended) throw this.ended;
    this.child.stdin.write(`${JSON.stringify({ argv, env })}\n`);
    return JSON.parse(await this.next(ms, `aws ${argv.join(' ')}`)) as AwsRun;
  }

  kill(why = new Error('stopped')): void {
    this.end(why);
    this.child.kill('SIGKILL');
  }

  private async next(ms: number, what: string): Promise<string> {
    if (this.ended) throw this.ended;
    this.hold(true);
    try {
      return await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => this.kill(new Error(`${what}: no answer within ${ms} ms`)), ms);
        const done = () => clearTimeout(timer);
        this.answer = { resolve: (line) => (done(), resolve(line)), reject: (e) => (done(), reject(e)) };
      });
    } finally {
      this.hold(false);
    }
  }

  private end(e: Error): void {
    this.ended ??= e;
    const a = this.answer;
    this.answer = undefined;
    a?.reject(this.ended);
  }

  /** keeps the worker's event loop alive for the process while a command runs, never when idle */
  private hold(busy: boolean): void {
    if (busy) this.child.ref();
    else this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) {
      if (s instanceof Socket) {
        if (busy) s.ref();
        else s.unref();
      }
    }
  }
}

/** the interpreter found to run the binary's CLI: undefined until asked, null when none does */
let python: string | null | undefined;
let current: BatchProcess | undefined;
let queue: Promise<unknown> = Promise.resolve();
process.once('exit', () => current?.kill());

const same = (a: AwsVersions, b: AwsVersions) => a.awscli === b.awscli && a.botocore === b.botocore && a.python === b.python;

/** a running process whose CLI is the one `aws --version` named, or undefined when no interpreter has it */
async function batchProcess(expected: AwsVersions): Promise<BatchProcess | undefined> {
  if (current?.alive) return current;
  for (const py of python === undefined ? PYTHONS : python === null ? [] : [python]) {
    const p = new BatchProcess(py);
    const v = await p.versions();
    if (v && same(v, expected)) {
      python = py;
      return (current = p);
    }
    p.kill();
  }
  python = null;
  return undefined;
}

/**
 * `aws ARGV` with the environment ENV (the whole environment, as a spawned `aws` would get it) in
 * the worker's batch process, after the commands already queued; undefined when no Python on PATH
 * has the aws CLI of version EXPECTED (the caller then spawns `aws` itself)
 */
export function batchRun(expected: AwsVersions, argv: string[], env: Record<string, string | undefined>, timeoutMs: number): Promise<AwsRun | undefined> {
  const job = queue.then(async () => {
    const p = await batchProcess(expected);
    return p?.run(argv, env, timeoutMs);
  });
  queue = job.catch(() => undefined);
  return job;
}
