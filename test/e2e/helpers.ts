// Shared by the end-to-end tests: a sandbox sized for tests, the upgrade playbook run in-process
// against it, and the checks of the upgrade's end state.
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { expect } from 'vitest';
import type { Sandbox, SandboxOptions } from '../../src/sandbox/index.js';
import { startSandbox } from '../helpers/sandbox.js';
import { runPlaybook, type RunOutcome } from '../../src/runner/index.js';
import { builtinTasks } from '../../src/modules/index.js';
import { upgradeEndState, type UpgradeEndState } from '../../src/sandbox/summary.js';
import { CollectingReporter } from '../helpers/run.js';
import { kfupBin, repoRoot } from '../helpers/cli.js';
import type { Mode } from '../../src/runner/types.js';

export const upgradePlaybook = join(repoRoot, 'playbooks/blue-green-upgrade.yaml');

export const FAST = { backupJobMs: 300, dnsChangeMs: 100, veleroPhaseMs: 80, veleroSyncMs: 80 };

export async function sandbox(opts: SandboxOptions = {}): Promise<{ sb: Sandbox; done: () => Promise<void> }> {
  const sb = await startSandbox({ profiles: 3, timing: FAST, ...opts });
  const restore = sb.applyEnv();
  return {
    sb,
    done: async () => {
      restore();
      await sb.stop();
    },
  };
}

export async function upgrade(sb: Sandbox, mode: Mode, extra: { vars?: string[]; stateDir?: string; resume?: string; diff?: boolean } = {}): Promise<{ result: RunOutcome; reporter: CollectingReporter }> {
  const reporter = new CollectingReporter();
  const result = await runPlaybook({
    playbook: upgradePlaybook,
    registry: builtinTasks,
    env: sb.environmentFile,
    mode,
    yes: true,
    reporter,
    stateDir: extra.stateDir ?? join(sb.dir, '.kfup'),
    vars: extra.vars,
    resume: extra.resume,
    diff: extra.diff,
  });
  return { result, reporter };
}

/** what a finished upgrade must have done, whatever path it took to get there */
export function expectUpgraded(sb: Sandbox, st: UpgradeEndState = upgradeEndState(sb)): void {
  for (const [kind, v] of Object.entries(st.kinds)) {
    expect(v.blue.length, `blue has ${kind}`).toBeGreaterThan(0);
    expect(v.green, `green holds every ${kind} of blue's user namespaces`).toEqual(v.blue);
  }
  expect(st.endpoints.inSageMaker).toEqual(st.endpoints.expected);
  expect(st.endpoints.adoptedOnGreen).toEqual(st.endpoints.expected);
  expect(st.rolesTrustingBoth).toEqual(st.profileRoles);
  // the upgrade guide's "Update DNS records": the redirect rule to green's platform hostname (its
  // kubelow_platform_domain), the KServe tutorial's serving records to green's serving ingress
  expect(st.albRedirectHost).toBe(sb.scenario.green.platformDomain);
  for (const p of sb.scenario.profiles) expect(st.records[`*.${p.namespace}.${sb.scenario.subdomain}. CNAME`], `serving record of ${p.namespace}`).toBe(sb.scenario.green.servingHost);
  expect(st.records[`${sb.scenario.subdomain}. A`], 'the Cognito apex alias').toBe(sb.scenario.green.ingressHost);
}

/** the parts of the end state that must be the same however the run got there */
export function comparable(st: UpgradeEndState) {
  const { sideEffects: _s, recoveryPoints: _r, ...rest } = st;
  return rest;
}

/** `kfup run` of the upgrade playbook as a child process against the sandbox, killable */
export function upgradeCli(sb: Sandbox, args: string[]): KfupChild {
  return sandboxCli(sb, ['run'], args);
}

/** `kfup <command...> <the upgrade playbook> --env … --yes --state-dir … <args>` as a child process against the sandbox, killable */
export function sandboxCli(sb: Sandbox, command: string[], args: string[]): KfupChild {
  return kfupCli([...command, upgradePlaybook, '--env', sb.environmentFile, '--yes', '--state-dir', join(sb.dir, '.kfup'), ...args], sb.env);
}

export interface KfupChild {
  /** its exit code (null when killed) and its stdout and stderr as they came */
  done: Promise<{ code: number | null; out: string }>;
  /** SIGKILL */
  kill: () => void;
}

/** `kfup ARGS` as a child process with the sandbox's environment added, killable */
export function kfupCli(args: string[], env: Record<string, string> = {}, cwd?: string): KfupChild {
  const child = spawn(process.execPath, [kfupBin, ...args], { env: { ...process.env, ...env, NO_COLOR: '1' }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  // 'close', not 'exit': the output streams are drained by then
  return { done: new Promise((r) => child.on('close', (code) => r({ code, out }))), kill: () => child.kill('SIGKILL') };
}

/** waits until the child's run has a journal (a kill before that leaves nothing to resume) */
export async function runStarted(sb: Sandbox): Promise<void> {
  const runs = join(sb.dir, '.kfup', 'runs');
  for (let i = 0; i < 300 && !(existsSync(runs) && readdirSync(runs).some((d) => existsSync(join(runs, d, 'meta.json')))); i++) await new Promise((r) => setTimeout(r, 10));
}

/** every regular file under dir (entries that vanish meanwhile, another test's temp files, are skipped) */
export function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((f) => {
    const p = join(dir, f);
    try {
      const st = statSync(p);
      return st.isDirectory() ? filesUnder(p) : st.isFile() ? [p] : [];
    } catch {
      return [];
    }
  });
}
