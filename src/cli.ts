// Argument parsing and exit codes; everything else is the runner's.
//   0 success, 1 a task failed, 2 invalid input;
//   with --check --detailed-exitcode: 0 no changes, 2 changes pending, 1 error (as terraform plan);
//   130 interrupted.
import { Command, Option } from 'commander';
import { formatError } from './cli-errors.js';
import { exit } from './exit.js';
import type { Reporter } from './runner/report/events.js';
import type { Mode } from './runner/types.js';

let debug = process.argv.includes('--debug');

// The AWS SDK warns on every start under Node 20 that its releases after January 2027 will need
// Node 22. kfup's lock file pins the SDK it was tested with, so the warning is noise in a run's
// output; set the variable to false to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function fail(err: unknown): Promise<never> {
  const { text, code } = formatError(err, debug);
  process.stderr.write(text + '\n');
  return exit(code);
}

const collect = (v: string, prev: string[] = []) => [...prev, v];
const commaList = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

function varOptions(cmd: Command): Command {
  return cmd
    .option('-e, --env <name|file>', 'environment: environments/NAME.yaml beside the playbook, or a path to a .yaml file')
    .option('--vars-file <file>', 'a YAML file of variables (repeatable, later files win)', collect)
    .option('--var <key=value>', 'one variable (repeatable, wins over everything else)', collect);
}

interface RunFlags {
  env?: string;
  varsFile?: string[];
  var?: string[];
  dryRun?: boolean;
  check?: boolean;
  diff?: boolean;
  tags?: string[];
  skipTags?: string[];
  startAtTask?: string;
  yes?: boolean;
  output: 'text' | 'json';
  format?: 'markdown';
  detailedExitcode?: boolean;
  resume?: string;
  breakLock?: boolean;
  stateDir?: string;
  verbose?: boolean;
  report?: string;
}

function interruptible(): AbortController {
  const controller = new AbortController();
  let count = 0;
  process.on('SIGINT', () => {
    count++;
    if (count === 1) {
      process.stderr.write('\nkfup: stopping after the current request (Ctrl-C again to exit now; AWS jobs already started keep running)\n');
      controller.abort(new Error('interrupted by Ctrl-C'));
    } else {
      process.stderr.write('kfup: exiting now\n');
      process.exit(130);
    }
  });
  process.on('SIGTERM', () => controller.abort(new Error('terminated')));
  return controller;
}

/** the built-in task types, handed to the runner (which knows none by name) */
export const builtinRegistry = async () => (await import('./modules/index.js')).builtinTasks;

async function runCommand(playbook: string, flags: RunFlags): Promise<number> {
  if (flags.dryRun && flags.check) throw new (await import('./runner/errors.js')).UserError('--dry-run and --check are different modes; pass one of them', { hint: '--dry-run touches nothing; --check reads the live systems' });
  const mode: Mode = flags.dryRun ? 'dry-run' : flags.check ? 'check' : 'run';
  if (flags.format === 'markdown' && mode === 'run') throw new (await import('./runner/errors.js')).UserError('--format markdown writes a plan: use it with --check or --dry-run');
  if (flags.detailedExitcode && mode !== 'check') throw new (await import('./runner/errors.js')).UserError('--detailed-exitcode goes with --check');
  const { runPlaybook } = await import('./runner/index.js');
  const controller = interruptible();
  let reporter: Reporter | undefined;
  if (flags.report) {
    // the terminal's reporter as usual, and the HTML report written from the same events at the end
    const { makeReporter } = await import('./runner/report/index.js');
    const { HtmlReportWriter, TeeReporter } = await import('./runner/report/html-reporter.js');
    reporter = new TeeReporter(await makeReporter({ output: flags.output, format: flags.format, diff: flags.diff ?? false, verbose: flags.verbose }), new HtmlReportWriter(flags.report));
  }
  const r = await runPlaybook({
    reporter,
    playbook,
    registry: await builtinRegistry(),
    env: flags.env,
    varsFiles: flags.varsFile,
    vars: flags.var,
    mode,
    diff: flags.diff,
    yes: flags.yes,
    tags: flags.tags,
    skipTags: flags.skipTags,
    startAt: flags.startAtTask,
    output: flags.output,
    format: flags.format,
    resume: flags.resume,
    breakLock: flags.breakLock,
    stateDir: flags.stateDir,
    verbose: flags.verbose,
    signal: controller.signal,
  });
  if (r.interrupted) return 130;
  if (r.invalid) return 2;
  if (r.failed) return 1;
  if (flags.detailedExitcode) return r.changesPending ? 2 : 0;
  return 0;
}

export function buildProgram(): Command {
  const program = new Command('kfup')
    .description('Blue/green upgrades of Kubeflow on AWS as validated, resumable YAML playbooks')
    .version('0.1.0')
    .option('--debug', 'show stack traces for internal errors')
    .showHelpAfterError('(run `kfup --help` for usage)')
    .configureOutput({ outputError: (s, write) => write(s) });
  program.exitOverride((e) => {
    // commander's own usage errors are invalid input: exit 2
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') process.exit(0);
    process.exit(2);
  });

  varOptions(
    program
      .command('run')
      .description('run a playbook: check each task, then apply only what check planned')
      .argument('<playbook>', 'the playbook YAML file'),
  )
    .option('--dry-run', 'touch nothing: validate and show what each task would do')
    .option('--check', 'read the live systems, read-only, and report what would change')
    .option('--diff', 'show before and after for every change')
    .option('-t, --tags <tags>', 'only tasks with these tags (comma-separated)', commaList)
    .option('--skip-tags <tags>', 'skip tasks with these tags (comma-separated)', commaList)
    .option('--start-at-task <name>', 'start at the task with this name or id')
    .option('-y, --yes', 'approve every pause gate (needed without a terminal)')
    .addOption(new Option('-o, --output <kind>', 'text, or json for NDJSON events').choices(['text', 'json']).default('text'))
    .addOption(new Option('--format <kind>', 'markdown: write the plan for review (with --dry-run or --check)').choices(['markdown']))
    .option('--detailed-exitcode', 'with --check: exit 0 no changes, 2 changes pending, 1 error')
    .option('--resume <run-id>', 'continue an interrupted run ("last" for the latest of this playbook and environment)')
    .option('--break-lock', 'remove a stale lock left by a run that died')
    .option('--state-dir <dir>', 'where runs, journals and locks are kept', '.kfup')
    .option('-v, --verbose', 'print each task\'s log lines')
    .option('--report <file>', 'also write the run (or the --check plan) as a self-contained HTML report')
    .action(async (playbook: string, flags: RunFlags) => {
      await exit(await runCommand(playbook, flags));
    });

  varOptions(program.command('validate').description('validate a playbook (envelope, task types, parameters, templates) without running anything').argument('<playbook>')).action(
    async (playbook: string, flags: RunFlags) => {
      const { load } = await import('./runner/index.js');
      const { pb } = await load({ playbook, env: flags.env, varsFiles: flags.varsFile, vars: flags.var, registry: await builtinRegistry() });
      process.stdout.write(`${playbook}: valid (${pb.name}, ${countTasks(pb.tasks)} tasks)\n`);
    },
  );

  program
    .command('list-tasks')
    .description('list the tasks of a playbook with their types and tags')
    .argument('<playbook>')
    .action(async (playbook: string) => {
      const { loadPlaybook } = await import('./runner/load/playbook.js');
      const { listTasks } = await import('./runner/index.js');
      const pb = loadPlaybook(playbook, (await builtinRegistry()).names());
      process.stdout.write(`playbook: ${pb.name}\n`);
      for (const t of listTasks(pb)) {
        process.stdout.write(`  ${String(t.index).padStart(3)}. ${t.name}${t.parallel ? ' (parallel block)' : ` [${t.type}]`}${t.tags.length ? `  tags: ${t.tags.join(',')}` : ''}  (line ${t.line})\n`);
      }
    });

  program
    .command('modules')
    .description('the task types, with a one-line description and their parameters')
    .argument('[type]', 'show one task type in full')
    .action(async (type?: string) => {
      const { describeModules } = await import('./runner/report/module-docs.js');
      process.stdout.write(describeModules(await builtinRegistry(), type));
    });

  program
    .command('schema')
    .description('print the combined JSON Schema (playbook envelope and every task type) for editors')
    .action(async () => {
      const { combinedSchema } = await import('./runner/load/combined-schema.js');
      process.stdout.write(JSON.stringify(combinedSchema(await builtinRegistry()), null, 2) + '\n');
    });

  varOptions(program.command('vars').description('print the merged variables with where each comes from (secrets redacted)').argument('<playbook>'))
    .addOption(new Option('-o, --output <kind>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (playbook: string, flags: RunFlags) => {
      const { printVars } = await import('./runner/report/vars-report.js');
      process.stdout.write(await printVars({ playbook, env: flags.env, varsFiles: flags.varsFile, vars: flags.var, registry: await builtinRegistry() }, flags.output));
    });

  program
    .command('runs')
    .description('list runs recorded under the state directory, newest first')
    .option('--state-dir <dir>', 'where runs are kept', '.kfup')
    .action(async (flags: { stateDir: string }) => {
      const { formatRuns } = await import('./runner/report/runs-report.js');
      process.stdout.write(formatRuns(flags.stateDir));
    });

  for (const extra of extraCommands) extra(program);
  return program;
}

/** commands contributed by other parts of kfup (sandbox, demo, rollback, init) */
export const extraCommands: ((program: Command) => void)[] = [];

function countTasks(tasks: { parallel?: unknown[] }[]): number {
  return tasks.reduce((n, t) => n + (Array.isArray(t.parallel) ? countTasks(t.parallel as { parallel?: unknown[] }[]) : 1), 0);
}

export async function main(argv = process.argv): Promise<void> {
  debug = argv.includes('--debug');
  const { registerExtraCommands } = await import('./cli-extra.js');
  registerExtraCommands(extraCommands);
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    await fail(e);
  }
}

await main();
