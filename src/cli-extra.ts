// Commands beyond running playbooks (rollback, sandbox, demo, init), each loading its code only
// when used so that `kfup validate` stays fast.
import { Option, type Command } from 'commander';
import { exit } from './exit.js';

// Each example injects what it says (test/cli/sandbox-faults.test.ts starts the sandbox with each
// one and checks the fault happened); transport faults take a rate and optionally a side.
const FAULT_EXAMPLES = `
Fault examples (--faults, comma-separated; the same --seed replays the same faults):
  throttle:0.1          10% of AWS and Kubernetes requests are throttled (ThrottlingException, 429)
  aws/error503:0.05     5% of AWS requests answer 503 Service Unavailable
  kube/conflict:0.05    5% of Kubernetes writes answer 409 Conflict
  green/drop:0.02       2% of requests to the green cluster lose their connection
  backup-fail:efs       AWS Backup jobs of EFS file systems end FAILED (also rds, fsx, s3, part of an ARN, or *)
  velero-partial:*      every Velero backup ends PartiallyFailed (or name one backup)
  dns-slow:5000         Route 53 changes stay PENDING for 5000 ms
`;

export function registerExtraCommands(into: ((program: Command) => void)[]): void {
  into.push((program) => {
    program
      .command('rollback')
      .description('fail back: revert every applied reversible task of a run, newest first')
      .argument('<run-id>', 'the run to roll back, or "last": the last run of PLAYBOOK and --env that changed something reversible')
      .argument('[playbook]', 'the playbook (needed for "last"; its .kfup/ holds the runs)')
      .option('-e, --env <name|file>', 'the environment the run used (for "last")')
      .option('--vars-file <file>', 'a vars file the run used that was not recorded (secrets)', (v: string, p: string[] = []) => [...p, v])
      .option('--var <key=value>', 'a --var the run used that was not recorded (secrets)', (v: string, p: string[] = []) => [...p, v])
      .option('--dry-run', 'list what would be reverted, touching nothing')
      .option('--check', 'read the live systems and show what reverting would change')
      .option('--diff', 'show before and after for every change')
      .option('-y, --yes', 'approve without asking (needed without a terminal)')
      .addOption(new Option('-o, --output <kind>', 'text or json').choices(['text', 'json']).default('text'))
      .option('--break-lock', 'roll back even though the run may still be going (another machine), and take its lock')
      .option('--state-dir <dir>', 'where runs are kept (default: .kfup beside the playbook, or $KFUP_STATE_DIR)')
      .action(async (runId: string, playbook: string | undefined, flags: { env?: string; varsFile?: string[]; var?: string[]; dryRun?: boolean; check?: boolean; diff?: boolean; yes?: boolean; output: 'text' | 'json'; stateDir?: string; breakLock?: boolean }) => {
        const { rollbackRun } = await import('./runner/engine/rollback.js');
        const controller = new AbortController();
        process.once('SIGINT', () => controller.abort(new Error('interrupted by Ctrl-C')));
        const { builtinTasks } = await import('./modules/index.js');
        const r = await rollbackRun({
          runId,
          playbook,
          env: flags.env,
          varsFiles: flags.varsFile,
          vars: flags.var,
          registry: builtinTasks,
          stateDir: flags.stateDir,
          mode: flags.dryRun ? 'dry-run' : flags.check ? 'check' : 'run',
          diff: flags.diff,
          yes: flags.yes,
          output: flags.output,
          breakLock: flags.breakLock,
          signal: controller.signal,
        });
        await exit(r.interrupted ? 130 : r.failed ? 1 : 0);
      });

    program
      .command('report')
      .description('write a recorded run as one self-contained HTML file: timeline, statuses, changes with diffs, notes')
      .argument('<run-id>', 'the run, or "last"')
      .argument('[playbook]', 'the playbook the run belongs to (its runs are in .kfup/ beside it)')
      .option('-e, --env <name|file>', 'the environment (its runs are in S3 when it sets state.s3)')
      .option('--output <file>', 'where to write it (default kfup-report-RUN-ID.html)')
      .option('--state-dir <dir>', 'where runs are kept (default: .kfup beside the playbook, or $KFUP_STATE_DIR)')
      .action(async (runId: string, playbook: string | undefined, flags: { output?: string; env?: string; stateDir?: string }) => {
        const { writeRunReport } = await import('./runner/report/report-command.js');
        const { builtinTasks } = await import('./modules/index.js');
        // the runs as `kfup runs` finds them; a shared S3 state is pulled first
        const { openRunsOf } = await import('./runner/index.js');
        const backend = await openRunsOf(playbook, flags.env, flags.stateDir);
        await backend.pull((l) => process.stderr.write(l + '\n'));
        const written = writeRunReport({ runId, stateDir: backend.dir, output: flags.output, taskTypes: builtinTasks.names() });
        process.stdout.write(`wrote ${written}\n`);
      });

    program
      .command('demo')
      .description('the blue/green upgrade playbook against an in-process sandbox, with live progress')
      .option('--profiles <n>', 'user profiles on blue', '5')
      .option('--keep', 'keep the sandbox running afterwards (to look around, or to try kfup rollback)')
      .addOption(new Option('-o, --output <kind>', 'text or json').choices(['text', 'json']).default('text'))
      .action(async (flags: { profiles: string; keep?: boolean; output: 'text' | 'json' }) => {
        const n = Number(flags.profiles);
        if (!Number.isInteger(n) || n < 1 || n > 1000) {
          const { UserError } = await import('./runner/errors.js');
          throw new UserError(`--profiles must be a whole number from 1 to 1000, not "${flags.profiles}"`);
        }
        const { demo } = await import('./demo.js');
        await exit(await demo({ profiles: n, keep: flags.keep, output: flags.output }));
      });

    program
      .command('init')
      .description('scaffold an environment file for a playbook (default: the upgrade playbook): its variables, documented, each a placeholder to replace')
      .argument('<dir>', 'where to write it (e.g. playbooks/environments)')
      .option('--name <name>', 'the environment name (the file is DIR/NAME.yaml)', 'production')
      .option('--playbook <file>', 'the playbook the environment is for (its variables, documented by a variables.yaml beside it if there is one)')
      .option('--force', 'replace an existing file (kept as .bak)')
      .action(async (dir: string, flags: { name: string; force?: boolean; playbook?: string }) => {
        const { initEnvironment, defaultPlaybook } = await import('./init.js');
        const registry = (await import('./modules/index.js')).builtinTasks;
        const file = initEnvironment(dir, flags.name, flags.force, { playbook: flags.playbook, registry });
        const path = await import('node:path');
        process.stdout.write(`wrote ${file}\nreplace each FILL IN value, then: npx kfup validate ${flags.playbook ?? (path.relative(process.cwd(), defaultPlaybook()) || defaultPlaybook())} --env ${file}\n`);
      });

    const sandbox = program.command('sandbox').description('an emulated AWS account and two Kubeflow clusters on 127.0.0.1, for rehearsals');
    sandbox
      .command('up')
      .description('start the sandbox in the foreground; writes DIR/kubeconfig, DIR/env and DIR/environment.yaml')
      .option('--dir <dir>', 'where to write the kubeconfig, env and environment files', '.kfup/sandbox')
      .option('--profiles <n>', 'user profiles on blue', '3')
      .option('--notebooks <n>', 'notebooks per profile', '2')
      .option('--latency <ms>', 'added to every request', '0')
      .option('--faults <spec>', 'inject faults: comma-separated, as in the examples below')
      .option('--seed <n>', 'seed for fault injection', '1')
      .option('--strict', 'refuse AWS requests that break the official service models, as AWS does (the default)')
      .option('--lenient', 'for experiments: accept AWS requests without checking them against the service models')
      .option('--third-cluster', 'a third cluster (context sandbox-third) for a second upgrade after the first: environment-second.yaml')
      .option('--trust-policy-quota <chars>', "IAM's role trust policy length quota, white space not counted (AWS: 2,048, raisable to 4,096)", '2048')
      .option('--velero-default-volumes-to-fs-backup <bool>', "Velero's server default for backing volumes up with the file system uploader (true: as EKS Blueprints installs Velero; Velero's own default is false)", 'true')
      .option('--ack-deletion-policy <policy>', "the ACK SageMaker controllers' default deletion policy: delete (ACK's default) or retain", 'delete')
      .addHelpText('after', FAULT_EXAMPLES)
      .addHelpText(
        'after',
        `
Option examples:
  kfup sandbox up                                   # strict, 3 profiles, AWS's and EKS Blueprints' defaults
  kfup sandbox up --trust-policy-quota 1024         # rehearse irsa-trust against a tighter IAM quota
  kfup sandbox up --velero-default-volumes-to-fs-backup false   # Velero as its own default installs it
  kfup sandbox up --ack-deletion-policy retain      # ACK controllers that keep SageMaker resources by default
  kfup sandbox up --third-cluster                   # rehearse two upgrades in a row (blue -> green -> third)`,
      )
      .action(async (flags: import('./sandbox/cli.js').SandboxUpFlags) => {
        const { sandboxUp } = await import('./sandbox/cli.js');
        await sandboxUp(flags);
      });
  });
}
