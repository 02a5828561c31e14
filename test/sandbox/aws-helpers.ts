// Shared set-up for the AWS sandbox tests: one emulator per file, SDK clients pointed at it.
// Every answer it sends is checked against the official models; stop() throws on a departure.

import { AwsEmulator } from '../../src/sandbox/aws/index.js';
import { makeScenario, type Scenario } from '../../src/sandbox/scenario.js';
import { Traffic } from '../../src/sandbox/traffic.js';
import { awsModelChecker } from '../helpers/aws-model-check.js';

export const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface AwsFixture {
  emulator: AwsEmulator;
  traffic: Traffic;
  scenario: Scenario;
  endpoint: string;
  /** client config for `new XClient(cfg())` */
  cfg: (extra?: Record<string, unknown>) => { endpoint: string; region: string; credentials: typeof credentials } & Record<string, unknown>;
  /** stops the emulator, then throws if any answer departed from the service models */
  stop: () => Promise<void>;
}

export async function startAws(timing?: { backupJobMs?: number; dnsChangeMs?: number }, opts: { strict?: boolean } = {}): Promise<AwsFixture> {
  const traffic = new Traffic();
  const scenario = makeScenario();
  const checker = awsModelChecker();
  const emulator = new AwsEmulator({ traffic, scenario, timing, strict: opts.strict, onResponse: checker.onResponse });
  const endpoint = await emulator.start();
  return {
    emulator,
    traffic,
    scenario,
    endpoint,
    cfg: (extra = {}) => ({ endpoint, region: scenario.region, credentials, ...extra }),
    stop: async () => {
      await emulator.stop();
      checker.assertClean();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** what an SDK v3 client's rejected send() carries: a service exception (ServiceException's fields) */
export interface SdkFailure {
  name: string;
  message: string;
  $metadata: { httpStatusCode?: number };
}
/** `send(...).then(accepted, refusedWith)`: the request's failure, and a failed test if it was accepted */
export const accepted = (): never => {
  throw new Error('the request was accepted');
};
export const refusedWith = (e: unknown): SdkFailure => e as SdkFailure;
