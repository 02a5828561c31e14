import { testTasks } from '../helpers/registry.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runTasks } from '../helpers/run.js';
import { world } from '../helpers/probe.js'; // registers the probe task type

beforeEach(() => world.reset());

describe('run mode', () => {
  it('checks, applies only what changed, and a second run reports ok', async () => {
    const tasks = [{ name: 'make a', probe: { item: 'a' } }, { name: 'make b', probe: { item: 'b' } }];
    const first = await runTasks({ tasks });
    expect(first.reporter.ends().map((e) => e.status)).toEqual(['changed', 'changed']);
    expect(first.result.counts.changed).toBe(2);
    const second = await runTasks({ tasks, dir: first.dir });
    expect(second.reporter.ends().map((e) => e.status)).toEqual(['ok', 'ok']);
    expect(world.applies.get('a')).toBe(1);
  });

  it('check mode reports would-change without applying, and deferred values known after apply', async () => {
    const r = await runTasks({
      mode: 'check',
      tasks: [
        { name: 'make a', probe: { item: 'a' }, register: 'a' },
        { name: 'use a', probe: { item: '{{a.outputs.value}}' } },
        { name: 'maybe', when: '{{a.outputs.value}}', probe: { item: 'c' } },
      ],
    });
    expect(r.reporter.end('make a').status).toBe('changed');
    expect(r.reporter.end('use a').status).toBe('deferred');
    expect(r.reporter.end('use a').notes.join()).toMatch(/known after apply/);
    expect(r.reporter.end('maybe').status).toBe('deferred');
    expect(world.items.size).toBe(0);
    expect(r.result.changesPending).toBe(true);
  });

  it('dry-run describes every task and touches nothing', async () => {
    const r = await runTasks({ mode: 'dry-run', tasks: [{ name: 'make a', probe: { item: 'a' } }] });
    expect(r.reporter.end('make a').status).toBe('planned');
    expect(r.reporter.end('make a').describe).toEqual(['ensure a']);
    expect(world.attempts.size).toBe(0);
  });

  it('passes registered outputs to later tasks', async () => {
    const r = await runTasks({
      tasks: [
        { name: 'first', probe: { item: 'a', output: 'from-a' }, register: 'first' },
        { name: 'second', probe: { item: '{{first.outputs.value}}-b' } },
        { name: 'status', assert: { that: ['{{first.changed}}', '{{eq first.outputs.value "from-a"}}'] } },
      ],
    });
    expect(r.result.failed).toBe(false);
    expect(world.items.has('from-a-b')).toBe(true);
  });

  it('skips a task whose when is false, and runs loops once per item', async () => {
    const r = await runTasks({
      vars: { profiles: ['p1', 'p2', 'p3'], enabled: false },
      tasks: [
        { name: 'off', when: '{{enabled}}', probe: { item: 'off' } },
        { name: 'each', loop: '{{profiles}}', probe: { item: 'ns-{{item}}' }, register: 'each' },
        { name: 'count', assert: { that: ['{{eq (length each.results) 3}}'] } },
      ],
    });
    expect(r.reporter.end('off').status).toBe('skipped');
    expect([...world.items].sort()).toEqual(['ns-p1', 'ns-p2', 'ns-p3']);
    expect(r.reporter.end('count').status).toBe('ok');
  });

  it('retries a failing task with its delay, then succeeds', async () => {
    const r = await runTasks({ tasks: [{ name: 'flaky', retries: 3, delay: '10ms', probe: { item: 'x', fail_times: 2 } }] });
    const end = r.reporter.end('flaky');
    expect(end.status).toBe('changed');
    expect(end.attempts).toBe(3);
  });

  it('stops at a failed task unless ignore_errors', async () => {
    const r = await runTasks({
      tasks: [
        { name: 'bad but ignored', ignore_errors: true, probe: { item: 'x', fail_times: 9 } },
        { name: 'bad', probe: { item: 'y', fail_times: 9 } },
        { name: 'never', probe: { item: 'z' } },
      ],
    });
    expect(r.reporter.end('bad but ignored').ignored).toBe(true);
    expect(r.reporter.end('bad').status).toBe('failed');
    expect(r.reporter.ends().some((e) => e.task.name === 'never')).toBe(false);
    expect(r.result.failed).toBe(true);
  });

  it('times a task out and says so', async () => {
    const r = await runTasks({ tasks: [{ name: 'slow', timeout: '50ms', probe: { item: 's', sleep_ms: 5000 } }] });
    const end = r.reporter.end('slow');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/timed out after 50ms/);
    expect(end.durationMs).toBeLessThan(2000);
  });

  it('runs a parallel block concurrently', async () => {
    const r = await runTasks({
      tasks: [{ name: 'both', parallel: [{ name: 'p', probe: { item: 'p', sleep_ms: 150 } }, { name: 'q', probe: { item: 'q', sleep_ms: 150 } }] }],
    });
    expect(r.result.failed).toBe(false);
    const [p, q] = world.started;
    // the second started before the first could have finished
    expect(Math.abs(p.at - q.at)).toBeLessThan(100);
  });

  it('selects tasks by tags, skip-tags and start-at-task', async () => {
    const tasks = [
      { name: 'one', tags: ['a'], probe: { item: '1' } },
      { name: 'two', tags: ['b'], probe: { item: '2' } },
      { name: 'three', tags: ['a', 'b'], probe: { item: '3' } },
      { name: 'four', tags: ['always'], probe: { item: '4' } },
    ];
    await runTasks({ tasks, tags: ['a'] });
    expect([...world.items].sort()).toEqual(['1', '3', '4']);
    world.reset();
    await runTasks({ tasks, skipTags: ['b'] });
    expect([...world.items].sort()).toEqual(['1', '4']);
    world.reset();
    await runTasks({ tasks, startAt: 'three' });
    expect([...world.items].sort()).toEqual(['3', '4']);
    await expect(runTasks({ tasks, startAt: 'thre' })).rejects.toThrow(/no task named "thre"/);
  });

  it('stops the task in flight on interrupt and records the run as interrupted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('interrupted by Ctrl-C')), 100);
    const r = await runTasks({ signal: controller.signal, tasks: [{ name: 'long', probe: { item: 'l', sleep_ms: 5000 } }, { name: 'after', probe: { item: 'after' } }] });
    expect(r.result.interrupted).toBe(true);
    expect(r.reporter.end('long').message).toMatch(/interrupted/);
    expect(world.items.has('after')).toBe(false);
    const meta = JSON.parse(readFileSync(join(r.stateDir, 'runs', r.result.runId, 'meta.json'), 'utf8')) as { status: string };
    expect(meta.status).toBe('interrupted');
  });
});

describe('journal and resume', () => {
  it('journals every task and resumes from the first incomplete one with the same run id', async () => {
    const tasks = [
      { name: 'first', probe: { item: 'a', output: 'A' }, register: 'first' },
      { name: 'second', probe: { item: 'b', fail_times: 1 } },
      { name: 'third', probe: { item: '{{first.outputs.value}}-c' } },
    ];
    const r1 = await runTasks({ tasks });
    expect(r1.reporter.end('second').status).toBe('failed');
    const runDir = join(r1.stateDir, 'runs', r1.result.runId);
    const lines = readFileSync(join(runDir, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string; name?: string; status?: string });
    expect(lines.filter((l) => l.t === 'task-end').map((l) => [l.name, l.status])).toEqual([['first', 'changed'], ['second', 'failed']]);
    expect(lines.find((l) => l.t === 'persist')).toMatchObject({ key: '1', k: 'created', v: 'a' });

    const r2 = await runTasks({ tasks, dir: r1.dir, resume: 'last' });
    expect(r2.result.runId).toBe(r1.result.runId);
    expect(r2.reporter.end('first').notes.join()).toMatch(/before the resume/);
    expect(world.attempts.get('a')).toBe(1); // not checked again
    expect(r2.reporter.end('second').status).toBe('changed');
    expect(world.items.has('A-c')).toBe(true); // the restored registered output was used
    const meta = JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as unknown;
    expect(meta).toMatchObject({ status: 'completed', resumes: 1 });
    expect(readdirSync(join(r1.stateDir, 'runs'))).toHaveLength(1);
  });

  it('finds completed tasks again when the playbook was edited before the resume', async () => {
    const tasks: unknown[] = [
      { name: 'first', probe: { item: 'a', output: 'A' }, register: 'first' },
      { name: 'second', probe: { item: 'b', fail_times: 1 } },
    ];
    const r1 = await runTasks({ tasks });
    expect(r1.reporter.end('second').status).toBe('failed');
    // the fix: a check added in front shifts every task's position
    const edited = [{ name: 'a new check', assert: { that: [true] } }, ...tasks, { name: 'third', probe: { item: '{{first.outputs.value}}-c' } }];
    const r2 = await runTasks({ tasks: edited, dir: r1.dir, resume: 'last', force: true, notice: () => {} });
    expect(r2.reporter.end('first').notes.join()).toMatch(/before the resume/);
    expect(world.attempts.get('a')).toBe(1);
    expect(r2.reporter.end('a new check').status).toBe('ok');
    expect(r2.reporter.end('second').status).toBe('changed');
    expect(world.items.has('A-c')).toBe(true);
  });

  it('releases the lock on exit so the next run can start', async () => {
    const r1 = await runTasks({ tasks: [{ name: 'x', probe: { item: 'x' } }] });
    expect(existsSync(join(r1.stateDir, 'locks'))).toBe(true);
    expect(readdirSync(join(r1.stateDir, 'locks'))).toHaveLength(0);
  });
});

describe('rollback', () => {
  it('reverts the applied tasks of a run, newest first, with a check mode that changes nothing', async () => {
    const { rollbackRun } = await import('../../src/runner/engine/rollback.js');
    const { CollectingReporter } = await import('../helpers/run.js');
    const r = await runTasks({ tasks: [{ name: 'make a', probe: { item: 'a' } }, { name: 'make b', probe: { item: 'b' } }, { name: 'check', assert: { that: [true] } }] });
    expect([...world.items].sort()).toEqual(['a', 'b']);

    const check = new CollectingReporter();
    const planned = await rollbackRun({ registry: testTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'check', reporter: check });
    expect(planned.changesPending).toBe(true);
    expect(check.ends().map((e) => e.task.name)).toEqual(['revert: make b', 'revert: make a']);
    expect(world.items.size).toBe(2);

    const done = await rollbackRun({ registry: testTasks, runId: 'last', playbook: r.playbook, stateDir: r.stateDir, mode: 'run', reporter: new CollectingReporter(), yes: true });
    expect(done.failed).toBe(false);
    expect(world.items.size).toBe(0);
    const again = new CollectingReporter();
    await rollbackRun({ registry: testTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: again, yes: true });
    expect(again.ends().map((e) => e.status)).toEqual(['ok', 'ok']);
  });
});

describe('blocks', () => {
  it('runs a block in order, and blocks inside a parallel block as concurrent branches', async () => {
    const r = await runTasks({
      tasks: [
        {
          name: 'branches',
          parallel: [
            { name: 'left', block: [{ name: 'l1', probe: { item: 'l1', sleep_ms: 100 } }, { name: 'l2', probe: { item: 'l2' } }] },
            { name: 'right', block: [{ name: 'r1', probe: { item: 'r1', sleep_ms: 100 } }, { name: 'r2', probe: { item: 'r2' } }] },
          ],
        },
      ],
    });
    expect(r.result.failed).toBe(false);
    const at = Object.fromEntries(world.started.map((s) => [s.item, s.at]));
    expect(at.l2 - at.l1).toBeGreaterThanOrEqual(90); // in order within a branch
    expect(Math.abs(at.r1 - at.l1)).toBeLessThan(80); // branches side by side
    expect(r.reporter.end('branches').status).toBe('changed');
  });

  it('skips a whole block when its condition is false', async () => {
    const r = await runTasks({ vars: { on: false }, tasks: [{ name: 'grp', when: '{{on}}', block: [{ name: 'inner', probe: { item: 'i' } }] }] });
    expect(r.reporter.end('grp').status).toBe('skipped');
    expect(world.items.size).toBe(0);
  });
});

describe('secret parameters', () => {
  it('redacts parameters a task type marks secret, even written in plain text', async () => {
    const { withTasks } = await import('../../src/modules/index.js');
    const { defineTask } = await import('../../src/modules/kit/index.js');
    const secretive = defineTask<{ token: string; label: string }, { echoed: string }>({
      name: 'secretive',
      schema: { type: 'object', properties: { token: { type: 'string', 'x-kfup-secret': true }, keys: { type: 'array', items: { type: 'string', 'x-kfup-secret': true } }, label: { type: 'string' } }, 'x-kfup-outputs': { echoed: { type: 'string' } } },
      describe: () => [],
      check(p) {
        return Promise.resolve({ changes: [{ action: 'update', target: p.label, summary: `set token ${p.token}`, before: 'old', after: p.token }], outputs: { echoed: p.token } });
      },
      apply(p) {
        return Promise.resolve({ echoed: p.token });
      },
    });
    const r = await runTasks({ registry: withTasks(secretive), diff: true, tasks: [{ name: 's', secretive: { token: 'PLAINTEXT-TOKEN-9x', keys: ['KEY-ONE-77'], label: 'visible-label' } }] });
    const { readFileSync } = await import('node:fs');
    const journal = readFileSync(join(r.stateDir, 'runs', r.result.runId, 'journal.ndjson'), 'utf8');
    const events = JSON.stringify(r.reporter.events);
    for (const text of [journal, events]) {
      expect(text).not.toContain('PLAINTEXT-TOKEN-9x');
      expect(text).not.toContain('KEY-ONE-77');
      expect(text).toContain('visible-label');
    }
  });
});
