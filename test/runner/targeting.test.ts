// Issue 16, "targeting": --start-at-task finds a task by id or name at any depth (inside blocks,
// parallel blocks and imports); the tasks it skips still provide what they registered, from the
// last run's journal, or by a read-only check of the skipped task; list-tasks shows ids, types,
// tags and nesting; --list-tags lists the tags.
import { beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadPlaybook } from '../../src/runner/load/playbook.js';
import { startTask } from '../../src/runner/engine/walker.js';
import { formatTags, formatTaskTree } from '../../src/runner/engine/task-list.js';
import { UserError } from '../../src/runner/errors.js';
import { world } from '../helpers/probe.js';
import { testTasks } from '../helpers/registry.js';
import { runTasks, tempDir } from '../helpers/run.js';

beforeEach(() => world.reset());

const nested = [
  { name: 'first', id: 'first', register: 'a', probe: { item: 'a' }, tags: [ 'setup' ] },
  {
    name: 'outer',
    tags: ['grp'],
    block: [
      { name: 'inner one', id: 'inner-1', probe: { item: 'i1' } },
      { name: 'both', parallel: [{ name: 'inner two', id: 'inner-2', probe: { item: 'b-{{a.outputs.value}}' } }, { name: 'inner three', probe: { item: 'i3' } }] },
    ],
  },
  { name: 'last', probe: { item: 'z' }, tags: ['never'] },
];

function pbFile(tasks: unknown[]): string {
  const f = join(tempDir(), 'playbook.yaml');
  writeFileSync(f, stringify({ name: 'targets', tasks }));
  return f;
}

describe('--start-at-task', () => {
  it('finds a task by id or name inside a block and a parallel block', () => {
    const pb = loadPlaybook(pbFile(nested), testTasks.names());
    expect(startTask(pb, 'inner-2').name).toBe('inner two');
    expect(startTask(pb, 'inner three').index).toBe(6);
  });

  it('an unknown id or name is refused with a did-you-mean from every depth', () => {
    const pb = loadPlaybook(pbFile(nested), testTasks.names());
    let err: unknown;
    try {
      startTask(pb, 'inner-22');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/no task named "inner-22", nor with that id/);
    expect((err as UserError).hint).toMatch(/inner-2/);
  });

  it('starting inside a block runs the target and what follows, not what precedes it', async () => {
    world.items.add('a');
    const r = await runTasks({ tasks: nested, startAt: 'inner-2' });
    expect(r.result.failed).toBe(false);
    const ran = r.reporter.ends().map((e) => e.task.name);
    expect(ran).toContain('inner two');
    expect(ran).toContain('inner three');
    expect(ran).not.toContain('inner one');
    expect(ran).not.toContain('first');
    expect(world.applies.has('i1')).toBe(false);
  });

  it("restores what the skipped tasks registered from the last run's journal", async () => {
    const first = await runTasks({ tasks: nested });
    expect(first.result.failed).toBe(false);
    expect(world.items.has('b-a-value')).toBe(true);
    world.reset(); // "a" is gone: only the journal can say what it registered
    const again = await runTasks({ tasks: nested, startAt: 'inner-2', dir: first.dir });
    expect(again.result.failed).toBe(false);
    expect(world.attempts.has('a')).toBe(false); // not checked again: the journal had it
    expect(world.items.has('b-a-value')).toBe(true);
  });

  it('with no earlier run, checks the skipped read-only task again for its outputs', async () => {
    world.items.add('a'); // its check plans no change: read-only here
    const r = await runTasks({ tasks: nested, startAt: 'inner-2' });
    expect(r.result.failed).toBe(false);
    expect(world.attempts.get('a')).toBe(1);
    expect(world.applies.has('a')).toBe(false);
    expect(world.items.has('b-a-value')).toBe(true);
  });

  it('a skipped task that would change something is not applied, and the task needing its output says so', async () => {
    const r = await runTasks({ tasks: nested, startAt: 'inner-2' });
    expect(world.applies.has('a')).toBe(false);
    expect(r.result.failed).toBe(true);
    expect(r.reporter.end('inner two').message).toMatch(/has no value: task "first" \(.*playbook\.yaml:\d+:\d+\) was skipped by --start-at-task/);
  });
});

describe('list-tasks and --list-tags', () => {
  it('shows ids, types, inherited tags and nesting, never [undefined]', () => {
    const out = formatTaskTree(loadPlaybook(pbFile(nested), testTasks.names()));
    expect(out).not.toMatch(/undefined/);
    expect(out).toMatch(/^ {4}1\. first \[probe\] {2}id: first {2}tags: setup {2}\(line \d+\)$/m);
    expect(out).toMatch(/^ {4}2\. outer \(block\) {2}tags: grp/m);
    expect(out).toMatch(/^ {7}3\. inner one \[probe\] {2}id: inner-1 {2}tags: grp/m);
    expect(out).toMatch(/^ {7}4\. both \(parallel block\)/m);
    expect(out).toMatch(/^ {10}5\. inner two \[probe\] {2}id: inner-2 {2}tags: grp/m);
  });

  it('shows an import and the imported tasks with their file', () => {
    const example = join(import.meta.dirname, '..', '..', 'playbooks', 'examples', 'reuse', 'playbook.yaml');
    const out = formatTaskTree(loadPlaybook(example, testTasks.names()));
    expect(out).toMatch(/2\. Check blue \(import tasks\/check-cluster\.yaml\) {2}id: check-blue {2}tags: blue/);
    expect(out).toMatch(/ {7}3\. Namespaces are listed \[assert\] {2}tags: blue {2}\(tasks\/check-cluster\.yaml:\d+\)/);
  });

  it('--list-tags lists every tag with the number of tasks it selects', () => {
    const out = formatTags(loadPlaybook(pbFile(nested), testTasks.names()));
    expect(out).toMatch(/tags: \[grp, never, setup\]/);
    expect(out).toMatch(/^ {2}grp {4}3 tasks$/m); // the leaves of the block, not the parallel block itself
    expect(out).toMatch(/^ {2}setup {2}1 task$/m);
  });
});
