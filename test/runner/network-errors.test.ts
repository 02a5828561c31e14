// A network failure names the AWS service and operation it happened in (issue 14): "socket hang
// up" or "connect ECONNREFUSED" alone does not say which of a run's hundreds of requests failed.
// A listener on 127.0.0.1 that drops every connection stands in for the sandbox's aws/drop fault.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTasks } from '../helpers/run.js';

let server: Server;
let port = 0;
const saved = { endpoint: process.env.AWS_ENDPOINT_URL, attempts: process.env.AWS_MAX_ATTEMPTS, key: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, region: process.env.AWS_REGION };

beforeAll(async () => {
  // accepts, then closes without an answer: the SDK sees "socket hang up"
  server = createServer((s) => s.destroy());
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  port = (server.address() as { port: number }).port;
  Object.assign(process.env, { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_MAX_ATTEMPTS: '1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-west-2' });
});

afterAll(async () => {
  for (const [k, v] of Object.entries({ AWS_ENDPOINT_URL: saved.endpoint, AWS_MAX_ATTEMPTS: saved.attempts, AWS_ACCESS_KEY_ID: saved.key, AWS_SECRET_ACCESS_KEY: saved.secret, AWS_REGION: saved.region })) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await new Promise((res) => server.close(res));
});

describe('a dropped connection', () => {
  it('is reported with the service and operation', async () => {
    const { reporter } = await runTasks({ mode: 'check', tasks: [{ name: 'read vault', 'aws-info': { service: 'backup', operation: 'DescribeBackupVault', input: { BackupVaultName: 'v' } } }] });
    const end = reporter.end('read vault');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/AWS Backup DescribeBackupVault: /);
  }, 30_000);
});
