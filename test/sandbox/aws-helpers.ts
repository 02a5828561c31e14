// Shared set-up for the AWS sandbox tests: one emulator per file, SDK clients pointed at it.

import { AwsEmulator } from '../../src/sandbox/aws/index.js';
import { makeScenario, type Scenario } from '../../src/sandbox/scenario.js';
import { Traffic } from '../../src/sandbox/traffic.js';

export const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface AwsFixture {
  emulator: AwsEmulator;
  traffic: Traffic;
  scenario: Scenario;
  endpoint: string;
  /** client config for `new XClient(cfg())` */
  cfg: (extra?: Record<string, unknown>) => { endpoint: string; region: string; credentials: typeof credentials } & Record<string, unknown>;
}

export async function startAws(timing?: { backupJobMs?: number; dnsChangeMs?: number }): Promise<AwsFixture> {
  const traffic = new Traffic();
  const scenario = makeScenario();
  const emulator = new AwsEmulator({ traffic, scenario, timing });
  const endpoint = await emulator.start();
  return { emulator, traffic, scenario, endpoint, cfg: (extra = {}) => ({ endpoint, region: scenario.region, credentials, ...extra }) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
