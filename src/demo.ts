// `kfup demo`: the main job on the embedded default. Starts the sandbox in-process, runs the
// blue/green upgrade playbook against it with the sandbox environment and live progress, then
// shows what changed (objects restored on green, traffic switched) and stops the sandbox.
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { packagePath } from './runner/load/package-root.js';

function onPath(bin: string): boolean {
  try {
    execFileSync(bin, ['version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export interface DemoOptions {
  profiles: number;
  keep?: boolean;
  output?: 'text' | 'json';
}

export async function demo(opts: DemoOptions): Promise<number> {
  const { startSandbox } = await import('./sandbox/index.js');
  const { runPlaybook } = await import('./runner/index.js');
  const { builtinTasks } = await import('./modules/index.js');
  const { summarizeUpgrade } = await import('./sandbox/summary.js');
  const out = (s: string) => void process.stdout.write(s);
  const sb = await startSandbox({
    profiles: opts.profiles,
    // long enough to watch the progress, short enough to finish well under a minute
    timing: { backupJobMs: 3000, dnsChangeMs: 1500, veleroPhaseMs: 1200, veleroSyncMs: 800 },
  });
  const restoreEnv = sb.applyEnv();
  const controller = new AbortController();
  // Ctrl-C (or SIGTERM) stops the run, which then ends and stops the sandbox as usual; a second
  // one does not wait for that: the sandbox's temporary directory is removed and kfup exits
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) return controller.abort(new Error(signal === 'SIGINT' ? 'interrupted by Ctrl-C' : `interrupted by ${signal}`));
    sb.removeDirNow();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // and whatever way the process exits before the sandbox stopped, its directory goes with it
  const onExit = () => sb.removeDirNow();
  process.once('exit', onExit);
  try {
    const terraform = onPath('terraform');
    out(`kfup demo: sandbox with ${opts.profiles} profiles on blue, a fresh green cluster, and an emulated AWS account\n`);
    out(`  state and files: ${sb.dir}\n`);
    // the playbook's terraform-apply task has if_missing: skip, and says so itself
    if (!terraform) out('  terraform is not on PATH: the step that deploys green is skipped (it says so)\n');
    out('\n');
    const result = await runPlaybook({
      registry: builtinTasks,
      playbook: packagePath('playbooks', 'blue-green-upgrade.yaml'),
      env: sb.environmentFile,
      mode: 'run',
      yes: true,
      output: opts.output ?? 'text',
      stateDir: join(sb.dir, '.kfup'),
      signal: controller.signal,
    });
    if (opts.output !== 'json') out('\n' + (await summarizeUpgrade(sb)) + '\n');
    if (opts.keep) {
      out(`\nThe sandbox keeps running (Ctrl-C to stop). Roll back with:\n  npx kfup rollback ${result.runId} --state-dir ${join(sb.dir, '.kfup')}\n`);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await new Promise<void>((r) => {
        process.once('SIGINT', () => r());
        process.once('SIGTERM', () => r());
      });
    }
    return result.interrupted ? 130 : result.failed ? 1 : 0;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    restoreEnv();
    await sb.stop();
    process.removeListener('exit', onExit);
  }
}
