// Runs one fuzz case: writes the mutated seed into its own directory, then either loads and
// dry-runs it in-process (load() + runPlaybook + formatError, as the CLI does) or spawns the
// built CLI (`kfup validate` and `kfup run --dry-run`), and judges the outcome.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, runPlaybook } from '../../src/runner/index.js';
import { builtinTasks } from '../../src/modules/index.js';
import { formatError } from '../../src/cli-errors.js';
import type { Reporter } from '../../src/runner/report/events.js';
import { kfup, repoRoot } from '../helpers/cli.js';
import { applyCase, BAD_BYTES, type Case } from './mutations.js';

const exampleDir = join(repoRoot, 'playbooks/examples');
export const seed = {
  playbook: readFileSync(join(exampleDir, 'example.yaml'), 'utf8'),
  env: readFileSync(join(exampleDir, 'environments/staging.yaml'), 'utf8'),
};

/** the text as UTF-8, with the bad-bytes marker written as bytes that are not UTF-8 */
const bytes = (text: string): Buffer => Buffer.concat(text.split(BAD_BYTES).flatMap((part, i) => (i ? [Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(part)] : [Buffer.from(part)])));

/** the example playbook's directory with one file mutated; returns the playbook path */
export function writeCase(dir: string, c: Case): string {
  mkdirSync(join(dir, 'environments'), { recursive: true });
  copyFileSync(join(exampleDir, 'notice.md.hbs'), join(dir, 'notice.md.hbs'));
  writeFileSync(join(dir, 'example.yaml'), bytes(c.target === 'playbook' ? applyCase(seed.playbook, c) : seed.playbook));
  writeFileSync(join(dir, 'environments/staging.yaml'), bytes(c.target === 'env' ? applyCase(seed.env, c) : seed.env));
  return join(dir, 'example.yaml');
}

export interface Outcome {
  how: string;
  code: number;
  /** what the user sees on stderr */
  text: string;
}

const silent: Reporter = { handle() {} };

/** validate, then dry-run, in-process: the exit code and text the CLI would produce */
export async function inProcess(playbook: string): Promise<Outcome[]> {
  const out: Outcome[] = [];
  try {
    await load({ playbook, env: 'staging', registry: builtinTasks });
    out.push({ how: 'load', code: 0, text: '' });
  } catch (e) {
    const { text, code } = formatError(e, false);
    out.push({ how: 'load', code, text });
    return out; // the CLI's dry-run would stop at the same error
  }
  try {
    const r = await runPlaybook({ playbook, registry: builtinTasks, env: 'staging', mode: 'dry-run', reporter: silent, stateDir: join(playbook, '..', '.kfup') });
    out.push({ how: 'dry-run', code: r.interrupted ? 130 : r.invalid ? 2 : r.failed ? 1 : 0, text: '' });
  } catch (e) {
    const { text, code } = formatError(e, false);
    out.push({ how: 'dry-run', code, text });
  }
  return out;
}

/** `kfup validate` and `kfup run --dry-run` of the case, as a user runs them */
export async function spawned(playbook: string, timeoutMs = 20_000): Promise<Outcome[]> {
  const cwd = join(playbook, '..');
  const out: Outcome[] = [];
  for (const args of [['validate', playbook, '--env', 'staging'], ['run', playbook, '--env', 'staging', '--dry-run']]) {
    const t0 = Date.now();
    const r = await kfup(args, { cwd, timeoutMs });
    const hung = Date.now() - t0 >= timeoutMs - 100;
    out.push({ how: `kfup ${args[0]}${args.includes('--dry-run') ? ' --dry-run' : ''}`, code: hung ? -1 : r.code, text: hung ? `hung for ${timeoutMs} ms` : r.stderr });
  }
  return out;
}

const STACK = /^\s+at .+[\w)]:\d+:\d+\)?$/m;

/** what is wrong with an outcome, or undefined when it is what a user should see */
export function problem(o: Outcome): string | undefined {
  if (o.code === -1) return `${o.how}: ${o.text}`;
  if (![0, 1, 2].includes(o.code)) return `${o.how}: exit code ${o.code}`;
  if (STACK.test(o.text)) return `${o.how}: a stack trace:\n${o.text.slice(0, 1500)}`;
  if (/internal error/.test(o.text)) return `${o.how}: ${o.text.split('\n')[0].slice(0, 500)}`;
  if (/^\(node:\d+\) /m.test(o.text)) return `${o.how}: a Node warning on stderr: ${o.text.split('\n').find((l) => l.startsWith('(node:'))?.slice(0, 300)}`;
  const head = o.text.split('\n')[0];
  if (head.length > 1000) return `${o.how}: a headline of ${head.length} characters: ${head.slice(0, 200)}...`;
  if (o.code === 2) {
    const first = o.text.split('\n')[0];
    if (!/^error: \S/.test(first)) return `${o.how}: exit 2 without an "error: ..." headline: ${JSON.stringify(o.text.slice(0, 300))}`;
  }
  return undefined;
}

/** runs fn over items, `limit` at a time (spawned cases: the CPU, not the cases, is the limit) */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}
