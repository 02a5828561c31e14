// Running the real `aws` CLI (v1, botocore) against an emulated account, for the tests that
// check the sandbox with a second, independent client. `awsPresent` tells whether to skip.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function hasAws(): Promise<boolean> {
  try {
    await run('aws', ['--version'], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

export const awsPresent = await hasAws();

/**
 * `aws --endpoint-url ENDPOINT ARGS --output json`, parsed as T (the shape of the output the caller
 * reads, as botocore prints it); a failure rejects with the CLI's stderr
 */
export async function awsCli<T = unknown>(endpoint: string, region: string, ...args: string[]): Promise<T> {
  const { stdout } = await run('aws', ['--endpoint-url', endpoint, '--output', 'json', ...args], {
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: region,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_MAX_ATTEMPTS: '1',
    },
  });
  return (stdout.trim() ? JSON.parse(stdout) : undefined) as T;
}

/** the CLI's error text for a command that must fail */
export async function awsCliError(endpoint: string, region: string, ...args: string[]): Promise<string> {
  const e = await awsCli(endpoint, region, ...args).then(() => undefined, (err: unknown) => err as Error & { stderr?: string });
  if (!e) throw new Error(`aws ${args.join(' ')} succeeded`);
  return String(e.stderr ?? e);
}
