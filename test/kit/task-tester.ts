// The conformance tester, in the spirit of ESLint's RuleTester: a task type gives it a table of
// cases against the sandbox, and the tester asserts for every case what every task type owes:
//
//   valid cases (each one `it`):
//     1. dry-run sends no request and spawns no process; the task is planned (or deferred);
//     2. check sends no mutating request, and plans `expect` (default: changes);
//     3. run ends as `expect` says (default changed), then a second check plans nothing and sends
//        no mutating request (idempotent);
//     4. for a task type with `revert`: rollback --check sends no mutating request, rollback
//        succeeds, and the case's `state(sb)` reads the same as before the run (revert restores);
//        a reversible type's case must give `state`, unless it says `revert: false` (why in `why`);
//     5. the case's own `after` assertions.
//   invalid cases (each one `it`): the task is refused as invalid input (exit 2) with the
//     file:line:col of the fault, and a message matching `error`. By default validation refuses
//     it (`kfup validate`); `at: 'check'` for faults only a live read can find (still exit 2).
//
// Usage, one file per task type (test/modules/<type>.test.ts):
//
//   taskTester({
//     type: 'velero-backup',
//     sandbox: { profiles: 3 },                      // SandboxOptions for this file's sandbox
//     valid: [{ name: 'backs up the profiles', params: { cluster: 'blue', name: 'kf-1' },
//               after: ({ sb, run }) => expect(...) }],
//     invalid: [{ name: 'a name that is no DNS label', params: { cluster: 'blue', name: 'Bad_Name' }, error: /must match pattern/ }],
//   });
//
// `params` may be a function of the sandbox (names it seeded). `tasks` adds tasks before the one
// under test (their names must differ from `task`). Each case runs in a fresh directory.
import { describe, expect, it } from 'vitest';
import { builtinTasks } from '../../src/modules/index.js';
import { load } from '../../src/runner/index.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import { UserError, UserErrors } from '../../src/runner/errors.js';
import type { TaskStatus } from '../../src/runner/report/events.js';
import type { Sandbox, SandboxOptions } from '../../src/sandbox/index.js';
import type { TaskRegistry, Targets } from '../../src/runner/types.js';
import { CollectingReporter, runTasks, tempDir, type TaskRun } from '../helpers/run.js';
import { sandboxTargets, useSandbox } from '../helpers/sandbox.js';
import { countSpawns, spawned } from './spawns.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

type OrFn<T> = T | ((sb: Sandbox) => T);

export interface ValidCase {
  name: string;
  params: OrFn<Record<string, unknown>>;
  /** tasks that run before the one under test (e.g. one that registers what it uses) */
  tasks?: OrFn<unknown[]>;
  vars?: Record<string, unknown>;
  /** what the first run ends as: 'changed' (default), or 'ok' / 'skipped' for a case with nothing to do */
  expect?: Extract<TaskStatus, 'changed' | 'ok' | 'skipped'>;
  /** the live state this task changes, read from the sandbox: a revert must bring it back */
  state?: (sb: Sandbox) => unknown;
  /** false: this case is not reverted by the tester (say why) */
  revert?: false;
  why?: string;
  /** runs before the case (seed what it needs) */
  setup?: (sb: Sandbox) => void | Promise<void>;
  /** the case's own assertions, after the run and the second check */
  after?: (c: { sb: Sandbox; run: TaskRun; check: TaskRun }) => void | Promise<void>;
  timeoutMs?: number;
}

export interface InvalidCase {
  name: string;
  params: OrFn<Record<string, unknown>>;
  tasks?: OrFn<unknown[]>;
  vars?: Record<string, unknown>;
  error: RegExp;
  /** where the fault is found: validation (default) or a check against the live systems */
  at?: 'validate' | 'check';
}

export interface TesterOptions {
  type: string;
  sandbox?: SandboxOptions;
  targets?: (sb: Sandbox) => Targets;
  registry?: TaskRegistry;
  valid: ValidCase[];
  invalid?: InvalidCase[];
}

const TASK = 'task under test';
const get = <T>(v: OrFn<T> | undefined, sb: Sandbox): T | undefined => (typeof v === 'function' ? (v as (sb: Sandbox) => T)(sb) : v);

export function taskTester(o: TesterOptions): void {
  const registry = o.registry ?? builtinTasks;
  let sb!: Sandbox;
  useSandbox(o.sandbox ?? {}, (s) => (sb = s));
  countSpawns();

  const playbookTasks = (c: ValidCase | InvalidCase) => [...(get(c.tasks, sb) ?? []), { name: TASK, [o.type]: get(c.params, sb), register: 'result' }];
  const targets = () => (o.targets ?? sandboxTargets)(sb);

  describe(`${o.type} (conformance)`, () => {
    for (const c of o.valid) {
      it(c.name, { timeout: c.timeoutMs ?? 60_000 }, async () => {
        await c.setup?.(sb);
        const base = { tasks: playbookTasks(c), vars: c.vars, targets: targets(), registry };

        // 1. dry-run: nothing sent, nothing started
        let mark = sb.requestLog.mark();
        const spawnMark = spawned.length;
        const dry = await runTasks({ ...base, mode: 'dry-run' });
        expect(['planned', 'deferred'], endMessage(dry)).toContain(dry.reporter.end(TASK).status);
        expect(sb.requestLog.since(mark), 'dry-run sends no request').toEqual([]);
        expect(spawned.slice(spawnMark), 'dry-run starts no process').toEqual([]);

        // 2. check: reads only
        const before = c.state?.(sb);
        mark = sb.requestLog.mark();
        const planned = await runTasks({ ...base, mode: 'check', diff: true });
        expect(mutations(sb, mark), 'check sends no mutating request').toEqual([]);
        const want = c.expect ?? 'changed';
        expect(planned.reporter.end(TASK).status, endMessage(planned)).toBe(want === 'changed' ? 'changed' : want);

        // 3. run, then check again: nothing left to do
        const dir = tempDir();
        const run = await runTasks({ ...base, dir, mode: 'run' });
        expect(run.reporter.end(TASK).status, endMessage(run)).toBe(want);
        mark = sb.requestLog.mark();
        const check = await runTasks({ ...base, dir, mode: 'check', diff: true });
        const again = check.reporter.end(TASK);
        expect(['ok', 'skipped'], `a second check plans nothing: ${JSON.stringify(again.changes)} ${again.message ?? ''}`).toContain(again.status);
        expect(mutations(sb, mark), 'the second check sends no mutating request').toEqual([]);

        await c.after?.({ sb, run, check });

        // 4. revert restores what was there before
        const type = await registry.load(o.type);
        if (type.revert && c.revert !== false && want === 'changed') {
          expect(c.state, `${o.type} is reversible: give the case "${c.name}" a state(sb) to compare, or revert: false with a why`).toBeDefined();
          mark = sb.requestLog.mark();
          const rc = new CollectingReporter();
          await rollbackRun({ registry, runId: run.result.runId, stateDir: run.stateDir, mode: 'check', reporter: rc });
          expect(mutations(sb, mark), 'rollback --check sends no mutating request').toEqual([]);
          const rr = new CollectingReporter();
          const back = await rollbackRun({ registry, runId: run.result.runId, stateDir: run.stateDir, mode: 'run', reporter: rr, yes: true });
          expect(back.failed, rr.ends().map((e) => `${e.task.name}: ${e.status} ${e.message ?? ''}`).join('\n')).toBe(false);
          const after = c.state!(sb);
          expect(after, 'revert brings back the state seen before the run').toEqual(before);
        }
      });
    }

    for (const c of o.invalid ?? []) {
      it(`refuses: ${c.name}`, async () => {
        if ((c.at ?? 'validate') === 'validate') {
          const dir = tempDir();
          const playbook = join(dir, 'playbook.yaml');
          writeFileSync(playbook, stringify({ name: 'invalid case', targets: targets(), vars: c.vars, tasks: playbookTasks(c) }));
          let caught: unknown;
          try {
            await load({ playbook, registry });
          } catch (e) {
            caught = e;
          }
          expect(caught instanceof UserErrors || caught instanceof UserError, `validation refuses it (got ${String(caught)})`).toBe(true);
          const errors = caught instanceof UserErrors ? caught.errors : [caught as UserError];
          const match = errors.find((e) => c.error.test(e.message));
          expect(match, `an error matching ${c.error}; got: ${errors.map((e) => e.message).join(' | ')}`).toBeDefined();
          expect(match!.exitCode, 'invalid input exits 2').toBe(2);
          expect(match!.pos?.file).toBe(playbook);
          expect(match!.pos?.line, 'the error points at a line').toBeGreaterThan(0);
        } else {
          const mark = sb.requestLog.mark();
          const r = await runTasks({ tasks: playbookTasks(c), vars: c.vars, targets: targets(), registry, mode: 'check' });
          const end = r.reporter.end(TASK);
          expect(end.status).toBe('failed');
          expect(end.message ?? '').toMatch(c.error);
          expect(r.result.invalid, 'invalid input exits 2').toBe(true);
          expect(end.where ?? '', 'the failure points at file:line:col').toMatch(/:\d+:\d+$/);
          expect(mutations(sb, mark)).toEqual([]);
        }
      });
    }
  });
}

const mutations = (sb: Sandbox, mark: number) => sb.requestLog.since(mark).filter((e) => e.mutating).map((e) => `${e.target} ${e.service} ${e.operation}`);
const endMessage = (r: TaskRun) => {
  const e = r.reporter.end(TASK);
  return `${e.status}: ${e.message ?? ''} ${e.hint ?? ''} ${e.where ?? ''}`;
};
