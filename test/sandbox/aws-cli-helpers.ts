// Running the real `aws` CLI (v1, botocore) against an emulated account, for the tests that
// check the sandbox with a second, independent client. `awsPresent` tells whether to skip.
//
// Commands run through the CLI's own entry point in one Python process per test worker
// (aws-cli-batch.ts), not one `aws` process each: the same CLI code, at a tenth of the CPU. That
// is used only when a Python on PATH imports the very awscli, botocore and Python versions that
// `aws --version` prints; otherwise, and for a caller asking for `binary`, each command spawns
// the `aws` binary.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { batchRun, versionsOf, type AwsRun } from './aws-cli-batch.js';

export type { AwsRun } from './aws-cli-batch.js';

const run = promisify(execFile);

/** what `aws --version` prints, or undefined when there is no `aws` on PATH */
const binaryVersion = await run('aws', ['--version'], { timeout: 20_000 }).then(
  ({ stdout, stderr }) => `${stdout}${stderr}`.trim(),
  () => undefined,
);
export const awsPresent = binaryVersion !== undefined;
const versions = binaryVersion === undefined ? undefined : versionsOf(binaryVersion);

export interface AwsCallOptions {
  /** AWS_MAX_ATTEMPTS (1: botocore does not retry) */
  maxAttempts?: number;
  /** the command's time limit */
  timeoutMs?: number;
  /** spawn the `aws` binary itself rather than use the batch process */
  binary?: boolean;
}

/** `aws --endpoint-url ENDPOINT --output json ARGS` with test credentials and no config files: how it ended */
export async function awsRun(endpoint: string, region: string, args: string[], opts: AwsCallOptions = {}): Promise<AwsRun> {
  const argv = ['--endpoint-url', endpoint, '--output', 'json', ...args];
  const timeout = opts.timeoutMs ?? 60_000;
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: region,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_MAX_ATTEMPTS: String(opts.maxAttempts ?? 1),
  };
  if (!opts.binary && versions) {
    const r = await batchRun(versions, argv, env, timeout);
    if (r) return r;
  }
  return run('aws', argv, { timeout, env }).then(
    ({ stdout, stderr }) => ({ rc: 0, stdout, stderr }),
    (e: Error & Partial<AwsRun> & { code?: unknown }) => {
      // an exit status is the command's answer; a time-out or a missing binary is not
      if (typeof e.code !== 'number') throw e;
      return { rc: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    },
  );
}

/**
 * `aws --endpoint-url ENDPOINT ARGS --output json`, parsed as T (the shape of the output the caller
 * reads, as botocore prints it); a failure rejects with an error carrying the CLI's stderr
 */
export async function awsCli<T = unknown>(endpoint: string, region: string, ...args: string[]): Promise<T> {
  return awsCliWith<T>(endpoint, region, args);
}

/** awsCli with options (retries, time limit, the binary) */
export async function awsCliWith<T = unknown>(endpoint: string, region: string, args: string[], opts: AwsCallOptions = {}): Promise<T> {
  const r = await awsRun(endpoint, region, args, opts);
  if (r.rc !== 0) throw Object.assign(new Error(`aws ${args.join(' ')} exited with ${r.rc}: ${r.stderr}`), { code: r.rc, stdout: r.stdout, stderr: r.stderr });
  return (r.stdout.trim() ? JSON.parse(r.stdout) : undefined) as T;
}

/** the CLI's error text for a command that must fail */
export async function awsCliError(endpoint: string, region: string, ...args: string[]): Promise<string> {
  const e = await awsCli(endpoint, region, ...args).then(
    () => undefined,
    (err: unknown) => err as Error & { stderr?: string },
  );
  if (!e) throw new Error(`aws ${args.join(' ')} succeeded`);
  return String(e.stderr ?? e);
}
