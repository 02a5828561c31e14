// A sandbox for one test file: started before its tests with the AWS variables pointing at it,
// stopped after them. Tests read it through the callback's argument. Every sandbox a test starts
// here has each AWS answer checked against the official models (aws-model-check.ts): its stop()
// throws when one departed from them.
import { afterAll, beforeAll } from 'vitest';
import { startSandbox as startPlainSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import type { Targets } from '../../src/runner/types.js';
import { awsModelChecker } from './aws-model-check.js';

/** startSandbox with the AWS answers checked against the models; stop() throws on any departure */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const checker = awsModelChecker();
  const sb = await startPlainSandbox({ ...opts, onAwsResponse: checker.onResponse });
  const stop = sb.stop.bind(sb);
  sb.stop = async () => {
    await stop();
    checker.assertClean();
  };
  return sb;
}

export function useSandbox(opts: SandboxOptions, onStart: (sb: Sandbox) => void): void {
  let sb: Sandbox | undefined;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    sb = await startSandbox(opts);
    restoreEnv = sb.applyEnv();
    onStart(sb);
  });
  afterAll(async () => {
    restoreEnv?.();
    await sb?.stop();
  });
}

/** the playbook targets of a sandbox: its region and both clusters */
export const sandboxTargets = (sb: Sandbox): Targets => ({
  aws: { region: sb.scenario.region },
  clusters: {
    blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' },
    green: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-green' },
  },
});
