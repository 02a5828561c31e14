// Argument parsing and exit codes; everything else is the runner's.
//   0 success, 1 a task failed, 2 invalid input;
//   with --check --detailed-exitcode: 0 no changes, 2 changes pending, 1 error (as terraform plan);
//   130 interrupted.
import { Command, Option } from 'commander';
import { errorEvents, formatError } from './cli-errors.js';
import { exit } from './exit.js';
import type { Reporter } from './runner/report/events.js';
import type { Mode } from './runner/types.js';

let debug = process.argv.includes('--debug');
// under --detailed-exitcode, 2 means "changes pending": every error, invalid input included, is 1
// (as terraform plan -detailed-exitcode)
let detailed = process.argv.includes('--detailed-exitcode');
// with --output json, errors (validation results included) are JSON events on stdout too
let jsonOutput = false;
const wantsJson = (argv: string[]): boolean => argv.some((a, i) => a === '--output=json' || a === '-ojson' || ((a === '--output' || a === '-o') && argv[i + 1] === 'json'));

// The AWS SDK warns on every start under Node 20 that its releases after January 2027 will need
// Node 22. kfup's lock file pins the SDK it was tested with, so the warning is noise in a run's
// output; set the variable to false to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function fail(err: unknown): Promise<never> {
  const { text, code } = formatError(err, debug);
  process.stderr.write(text + '\n');
  if (jsonOutput) writeJsonLines(errorEvents(err, exitCode(code)));
  return exit(exitCode(code));
}

/** the exit code, with invalid input (2) read as an error (1) under --detailed-exitcode */
const exitCode = (code: number): number => (detailed && code === 2 ? 1 : code);

function writeJsonLines(events: unknown[]): void {
  for (const e of events) process.stdout.write(JSON.stringify(e) + '\n');
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
  listTags?: boolean;
  yes?: boolean;
  output: 'text' | 'json';
  format?: 'markdown';
  detailedExitcode?: boolean;
  resume?: string;
  force?: boolean;
  breakLock?: boolean;
  stateDir?: string;
  verbose?: boolean;
  report?: string;
}

let stdoutClosed = false;

/** resolves once everything written to `stream` so far has reached the OS; a failed write (the reader went away) counts as a closed output */
const flushed = (stream: NodeJS.WriteStream): Promise<void> =>
  new Promise((resolve) => {
    // once the output is known closed, stream.write is a no-op that calls nothing back
    if (stdoutClosed || stream.destroyed || !stream.writable) return resolve();
    stream.write('', (e?: Error | null) => {
      const code = e && 'code' in e ? String(e.code) : undefined;
      if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') stdoutClosed = true;
      resolve();
    });
  });

function interruptible(): AbortController {
  const controller = new AbortController();
  // `kfup run … | head`: once the reader is gone, the run stops as on Ctrl-C (the journal is
  // finished, the lock released) and kfup ends quietly with 141 (128 + SIGPIPE), like a shell tool
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
      stream.write = () => true;
      if (!stdoutClosed) {
        stdoutClosed = true;
        controller.abort(new Error('the output was closed'));
      }
    });
  }
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

/** list-tasks, and --list-tags of list-tasks and run: read the playbook, run nothing */
async function listCommand(playbook: string, tags: boolean): Promise<string> {
  const { loadPlaybook } = await import('./runner/load/playbook.js');
  const { formatTaskTree, formatTags } = await import('./runner/engine/task-list.js');
  const pb = loadPlaybook(playbook, (await builtinRegistry()).names());
  return tags ? formatTags(pb) : formatTaskTree(pb);
}

async function runCommand(playbook: string, flags: RunFlags): Promise<number> {
  if (flags.listTags) {
    process.stdout.write(await listCommand(playbook, true));
    return 0;
  }
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
    force: flags.force,
    breakLock: flags.breakLock,
    stateDir: flags.stateDir,
    verbose: flags.verbose,
    signal: controller.signal,
  });
  // what the run printed may still sit in Node's buffer of a pipe (a fast run outpaces its
  // reader): a reader that went away shows only when that buffer is written out
  await flushed(process.stdout);
  if (stdoutClosed) return 141;
  if (r.interrupted) return 130;
  if (r.invalid) return flags.detailedExitcode ? 1 : 2;
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
    process.exit(exitCode(2));
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
    .option('--start-at-task <name>', 'start at the task with this id or name (at any depth); earlier registered outputs come from the last run')
    .option('--list-tags', 'list the tags the tasks use, and run nothing')
    .option('-y, --yes', 'approve every pause gate (needed without a terminal)')
    .addOption(new Option('-o, --output <kind>', 'text, or json for NDJSON events').choices(['text', 'json']).default('text'))
    .addOption(new Option('--format <kind>', 'markdown: write the plan for review (with --dry-run or --check)').choices(['markdown']))
    .option('--detailed-exitcode', 'with --check: exit 0 no changes, 2 changes pending, 1 error')
    .option('--resume <run-id>', 'continue an interrupted run ("last" for the latest of this playbook and environment)')
    .option('--force', 'with --resume: continue even though the playbook, environment, variables or kfup version differ')
    .option('--break-lock', 'remove the lock of a run you are sure is gone (e.g. it ran on another machine)')
    .option('--state-dir <dir>', 'where runs, journals and locks are kept (default: .kfup beside the playbook, or $KFUP_STATE_DIR)')
    .option('-v, --verbose', 'print each task\'s log lines')
    .option('--report <file>', 'also write the run (or the --check plan) as a self-contained HTML report')
    .action(async (playbook: string, flags: RunFlags) => {
      await exit(await runCommand(playbook, flags));
    });

  varOptions(program.command('validate').description('validate a playbook (envelope, task types, parameters, templates) without running anything').argument('<playbook>'))
    .addOption(new Option('-o, --output <kind>', 'text, or json for NDJSON events (problems as `error` events)').choices(['text', 'json']).default('text'))
    .action(async (playbook: string, flags: RunFlags) => {
      const { load } = await import('./runner/index.js');
      const { pb } = await load({ playbook, env: flags.env, varsFiles: flags.varsFile, vars: flags.var, registry: await builtinRegistry() });
      const tasks = countTasks(pb.tasks);
      if (flags.output === 'json') writeJsonLines([{ type: 'valid', playbook: pb.name, file: playbook, tasks }, { type: 'exit', code: 0 }]);
      else process.stdout.write(`${playbook}: valid (${pb.name}, ${tasks} tasks)\n`);
    });

  program
    .command('list-tasks')
    .description('list the tasks of a playbook with their ids, types, tags and nesting')
    .argument('<playbook>')
    .option('--list-tags', 'list the tags the tasks use instead')
    .action(async (playbook: string, flags: { listTags?: boolean }) => {
      process.stdout.write(await listCommand(playbook, flags.listTags ?? false));
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
    .description('list runs recorded for a playbook (in .kfup beside it), newest first, and which can be rolled back')
    .argument('[playbook]', 'the playbook whose runs to list')
    .option('-e, --env <name|file>', 'the environment (its runs are in S3 when it sets state.s3)')
    .option('--state-dir <dir>', 'where runs are kept (default: .kfup beside the playbook, or $KFUP_STATE_DIR)')
    .action(async (playbook: string | undefined, flags: { env?: string; stateDir?: string }) => {
      const { formatRuns } = await import('./runner/report/runs-report.js');
      const { openRunsOf } = await import('./runner/index.js');
      const backend = await openRunsOf(playbook, flags.env, flags.stateDir);
      await backend.pull((l) => process.stderr.write(l + '\n'));
      process.stdout.write(formatRuns(backend.dir, backend.where));
      // programs a kfup killed with -9 left running: on stderr, beside the runs they belong to
      const { warnStrays } = await import('./runner/engine/children.js');
      warnStrays(backend.dir, (l) => process.stderr.write(l + '\n'));
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
  detailed = argv.includes('--detailed-exitcode');
  jsonOutput = wantsJson(argv);
  const { registerExtraCommands } = await import('./cli-extra.js');
  registerExtraCommands(extraCommands);
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    await fail(e);
  }
}

await main();
