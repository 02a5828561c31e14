// The one walker: validate and run agree (a block's `when`), validate knows each task type's
// declared outputs, non-retryable failures are not retried, and an interrupted rollback is
// continued through the same runner.
import { beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { withTasks } from '../../src/modules/index.js';
import { defineTask, TaskError } from '../../src/modules/kit/index.js';
import { load } from '../../src/runner/index.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import { UserErrors } from '../../src/runner/errors.js';
import { world } from '../helpers/probe.js';
import { testTasks } from '../helpers/registry.js';
import { CollectingReporter, runTasks, tempDir } from '../helpers/run.js';

beforeEach(() => world.reset());

async function validate(doc: Record<string, unknown>): Promise<UserErrors | undefined> {
  const playbook = join(tempDir(), 'playbook.yaml');
  writeFileSync(playbook, stringify({ name: 'walker test', ...doc }));
  try {
    await load({ playbook, registry: testTasks });
    return undefined;
  } catch (e) {
    if (e instanceof UserErrors) return e;
    throw e;
  }
}

describe("validate and run agree on a block's when", () => {
  const block = (on: boolean) => ({ vars: { on }, tasks: [{ name: 'grp', when: '{{on}}', block: [{ name: 'inner', probe: { item: '{{not_defined_here}}' } }] }] });

  it('a block whose condition is false is skipped by both, so what is inside is not validated', async () => {
    expect(await validate(block(false))).toBeUndefined();
    const r = await runTasks({ ...block(false) });
    expect(r.reporter.end('grp').status).toBe('skipped');
    expect(r.result.failed).toBe(false);
  });

  it('a block whose condition is true is validated inside, at the line of the fault', async () => {
    const errors = await validate(block(true));
    expect(errors?.errors.map((e) => e.message)).toEqual([expect.stringMatching(/undefined variable "not_defined_here"/)]);
    expect(errors?.errors[0].pos?.line).toBeGreaterThan(1);
  });
});

describe('declared outputs', () => {
  it('a reference to an output the task type does not declare fails validation, with did-you-mean and its place', async () => {
    const errors = await validate({
      tasks: [
        { name: 'first', probe: { item: 'a' }, register: 'first' },
        { name: 'second', probe: { item: '{{first.outputs.valeu}}' } },
      ],
    });
    const e = errors?.errors[0];
    expect(e?.message).toMatch(/undefined variable "first\.outputs\.valeu"/);
    expect(e?.hint).toMatch(/did you mean "first\.outputs\.value"/);
    expect(e?.pos).toMatchObject({ line: 9, col: 13 });
  });

  it('declared outputs are known after apply in check, and real in run', async () => {
    const tasks = [
      { name: 'first', probe: { item: 'b' }, register: 'first' },
      { name: 'second', probe: { item: 'c-{{first.outputs.value}}' } },
    ];
    const check = await runTasks({ tasks, mode: 'check' });
    expect(check.reporter.end('second').status).toBe('deferred');
    const run = await runTasks({ tasks });
    expect(run.reporter.end('second').status).toBe('changed');
    expect(world.items.has('c-b-value')).toBe(true);
  });
});

describe('retries', () => {
  const failing = (retryable: boolean | 'guard') =>
    defineTask<{ n: string }, Record<string, never>>({
      name: 'failing',
      schema: { type: 'object', properties: { n: { type: 'string' } } },
      describe: () => [],
      check(p, ctx) {
        world.attempts.set(p.n, (world.attempts.get(p.n) ?? 0) + 1);
        // a write in check mode is refused by the guard
        if (retryable === 'guard') ctx.writeFile(join(tempDir(), 'x'), 'x');
        return Promise.reject(new TaskError('it failed', { retryable: retryable === true }));
      },
      apply() {
        return Promise.resolve({});
      },
    });

  it('a guard error is never retried, whatever retries says', async () => {
    const r = await runTasks({ registry: withTasks(failing('guard')), mode: 'check', tasks: [{ name: 'f', failing: { n: 'g' }, retries: 2, delay: '10ms' }] });
    const end = r.reporter.end('f');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/check never writes files/);
    expect(end.attempts).toBe(1);
    expect(world.attempts.get('g')).toBe(1);
  });

  it('a TaskError not marked retryable is not retried; one marked retryable is', async () => {
    const once = await runTasks({ registry: withTasks(failing(false)), tasks: [{ name: 'f', failing: { n: 'final' }, retries: 2, delay: '10ms' }] });
    expect(once.reporter.end('f').attempts).toBe(1);
    const thrice = await runTasks({ registry: withTasks(failing(true)), tasks: [{ name: 'f', failing: { n: 'passing' }, retries: 2, delay: '10ms' }] });
    expect(thrice.reporter.end('f').attempts).toBe(3);
  });
});

describe('rollback through the runner', () => {
  it('a rollback that failed half-way is continued by the next one: same rollback run, finished steps kept', async () => {
    const run = await runTasks({ tasks: [{ name: 'one', probe: { item: 'r1' } }, { name: 'two', probe: { item: 'r2' } }] });
    expect([...world.items].sort()).toEqual(['r1', 'r2']);
    // newest first: two is reverted, then reverting one fails
    world.failReverts.add('r1');
    const first = new CollectingReporter();
    const a = await rollbackRun({ registry: testTasks, runId: run.result.runId, stateDir: run.stateDir, mode: 'run', reporter: first, yes: true });
    expect(a.failed).toBe(true);
    expect([...world.items]).toEqual(['r1']);
    const second = new CollectingReporter();
    const b = await rollbackRun({ registry: testTasks, runId: run.result.runId, stateDir: run.stateDir, mode: 'run', reporter: second, yes: true });
    expect(b.failed).toBe(false);
    expect(b.runId).toBe(a.runId);
    expect(b.resumedFrom).toBe(a.runId);
    expect(second.end('revert: two').notes.join(' ')).toMatch(/before the resume/);
    expect(second.end('revert: one').status).toBe('changed');
    expect(world.items.size).toBe(0);
  });

  it('a revert step gets the retries of the task it reverts', async () => {
    const run = await runTasks({ tasks: [{ name: 'one', probe: { item: 'r3' }, retries: 1, delay: '10ms' }] });
    world.failReverts.add('r3');
    const rep = new CollectingReporter();
    const r = await rollbackRun({ registry: testTasks, runId: run.result.runId, stateDir: run.stateDir, mode: 'run', reporter: rep, yes: true });
    expect(r.failed).toBe(false);
    expect(rep.end('revert: one').attempts).toBe(2);
    expect(world.items.size).toBe(0);
  });
});
