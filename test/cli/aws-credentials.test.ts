// Issue 16: forgetting `source .kfup/sandbox/env` (no AWS credentials at all) gave the SDK's bare
// CredentialsProviderError. kfup says what is missing and how to supply it, exits 2 (the machine
// is not set up for the run, like invalid input), prints no stack trace and does not retry.
// The environment is empty but for PATH, with a HOME that has no ~/.aws: nothing for the SDK's
// default credential chain to find, and instance metadata switched off so that the test does not
// wait on 169.254.169.254 (the AWS SDK's documented AWS_EC2_METADATA_DISABLED).
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { kfup } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

let dir: string;
let playbook: string;
const bareEnv = (home: string): Record<string, string | undefined> => {
  // every variable of the parent unset (kfup() merges process.env), then only what a shell has
  const env: Record<string, string | undefined> = Object.fromEntries(Object.keys(process.env).map((k) => [k, undefined]));
  return { ...env, PATH: process.env.PATH, HOME: home, NO_COLOR: '1', AWS_EC2_METADATA_DISABLED: 'true' };
};

beforeAll(() => {
  dir = tempDir('kfup-creds-');
  playbook = join(dir, 'playbook.yaml');
  writeFileSync(
    playbook,
    stringify({
      name: 'one AWS read',
      targets: { aws: { region: 'us-west-2' } },
      tasks: [{ name: 'Find the vault', 'aws-info': { service: 'backup', operation: 'DescribeBackupVault', input: { BackupVaultName: 'kubeflow-upgrade-vault' } } }],
    }),
  );
});

describe('no AWS credentials', () => {
  it('names what is missing and how to fix it, exit 2, no stack trace, no retries', async () => {
    const home = tempDir('kfup-home-');
    const r = await kfup(['run', playbook, '--check', '--state-dir', join(dir, '.kfup')], { cwd: dir, env: bareEnv(home) });
    const all = r.stdout + r.stderr;
    expect(r.code, all).toBe(2);
    expect(all).toMatch(/no AWS credentials for AWS Backup DescribeBackupVault: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; AWS_PROFILE is not set/);
    expect(all).toMatch(/hint: against the sandbox: `source DIR\/env`[^\n]*; against AWS: `export AWS_PROFILE=NAME`/);
    expect(all).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(all).not.toMatch(/retrying/);
    // and on Node 20 no warning from the AWS SDK that its later releases need Node 22
    expect(r.stderr).not.toMatch(/NodeVersionSupportWarning|NodeDeprecationWarning|Warning:/);
  }, 30_000);

  it('where a sandbox env file is in the usual place, the hint names it', async () => {
    mkdirSync(join(dir, '.kfup', 'sandbox'), { recursive: true });
    writeFileSync(join(dir, '.kfup', 'sandbox', 'env'), 'export AWS_REGION=us-west-2\n');
    const r = await kfup(['run', playbook, '--yes', '--state-dir', join(dir, '.kfup')], { cwd: dir, env: bareEnv(tempDir('kfup-home-')) });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/hint: against the sandbox: `source \.kfup\/sandbox\/env` in this shell/);
  }, 30_000);
});
