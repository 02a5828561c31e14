// A sandbox for one test file: started before its tests with the AWS variables pointing at it,
// stopped after them. Tests read it through the callback's argument.
import { afterAll, beforeAll } from 'vitest';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import type { Targets } from '../../src/runner/types.js';

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
