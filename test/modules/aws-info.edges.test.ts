// aws-info's refusals that only the call itself finds: operations that return secret material
// (refused although they are reads), an operation the service does not have (with a
// did-you-mean), and a missing resource without allow_missing. None sends a write.
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { runTasks } from '../helpers/run.js';
import { sandboxTargets, useSandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
useSandbox({ profiles: 1 }, (s) => (sb = s));

const run = async (params: Record<string, unknown>) => {
  const mark = sb.requestLog.mark();
  const r = await runTasks({ tasks: [{ name: 'info', 'aws-info': params }], targets: sandboxTargets(sb), mode: 'check' });
  expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
  return r.reporter.end('info');
};

describe('aws-info edges', () => {
  it('refuses operations that return secret material, sending nothing', async () => {
    const mark = sb.requestLog.mark();
    const end = await run({ service: 'sts', operation: 'GetSessionToken' });
    expect(end.status).toBe('failed');
    expect(end.message).toBe('GetSessionToken returns secret material and is not available through aws-info');
    expect(sb.requestLog.since(mark)).toEqual([]);
  });

  it('names an operation the service does not have, with a did-you-mean', async () => {
    const end = await run({ service: 'backup', operation: 'DescribeBackupVolt' });
    expect(end.message).toBe('backup has no operation DescribeBackupVolt');
    expect(end.hint).toBe('did you mean "DescribeBackupVault"?');
  });

  it('fails on a missing resource without allow_missing, naming the service error', async () => {
    const end = await run({ service: 'backup', operation: 'DescribeBackupVault', input: { BackupVaultName: 'nope' } });
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/^backup DescribeBackupVault failed: \w*NotFound\w*: /);
  });

  it('does not take a ValidationException about bad input for a missing resource', async () => {
    const end = await run({ service: 'sagemaker', operation: 'DescribeEndpoint', input: {}, allow_missing: true });
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/^sagemaker DescribeEndpoint failed: ValidationException: /);
  });
});
