// The playbook-control task types: assert, pause and set-vars, through the real runner.
import { describe, expect, it } from 'vitest';
import { runTasks } from '../helpers/run.js';

describe('assert', () => {
  it('passes with its success message, and fails naming the conditions that were false', async () => {
    const ok = await runTasks({ vars: { n: 2 }, tasks: [{ name: 'a', assert: { that: ['{{eq n 2}}', true], success_msg: 'n is {{n}}' } }] });
    expect(ok.reporter.end('a').status).toBe('ok');
    expect(ok.reporter.end('a').notes).toEqual(['n is 2']);
    const bad = await runTasks({ vars: { n: 3 }, tasks: [{ name: 'a', assert: { that: ['{{eq n 2}}', '{{gt n 1}}'], fail_msg: 'n must be 2' } }] });
    expect(bad.reporter.end('a').status).toBe('failed');
    expect(bad.reporter.end('a').message).toBe('n must be 2: {{eq n 2}}');
    expect(bad.result.failed).toBe(true);
  });

  it('is known after apply in check mode when a condition needs a value only apply gives', async () => {
    // the probe type's `value` output is known only once it has created its item
    const r = await runTasks({ mode: 'check', tasks: [{ name: 'p', probe: { item: 'control-later' }, register: 'p' }, { name: 'a', assert: { that: ['{{p.outputs.value}}'] } }] });
    expect(r.reporter.end('a').status).toBe('deferred');
  });

  it("refuses, at validation, a set-vars output that does not exist (its outputs are its values, known before the run)", async () => {
    const r = await runTasks({ mode: 'check', tasks: [{ name: 's', 'set-vars': { x: 1 }, register: 's' }, { name: 'a', assert: { that: ['{{s.outputs.later}}'] } }] }).catch((e: unknown) => e);
    expect(String((r as Error).message)).toMatch(/undefined variable "s\.outputs\.later"/);
  });
});

describe('pause', () => {
  it('fails without a terminal unless --yes, and is ok once approved', async () => {
    const no = await runTasks({ yes: false, tasks: [{ name: 'gate', pause: { prompt: 'Go?' } }] });
    expect(no.reporter.end('gate').status).toBe('failed');
    expect(no.reporter.end('gate').message).toBe('approval needed and there is no terminal to ask: Go?');
    const yes = await runTasks({ yes: true, tasks: [{ name: 'gate', pause: { prompt: 'Go?' } }] });
    expect(yes.reporter.end('gate').status).toBe('ok');
  });

  it('only reports its question in check and dry-run', async () => {
    for (const mode of ['check', 'dry-run'] as const) {
      const r = await runTasks({ mode, yes: false, tasks: [{ name: 'gate', pause: { prompt: 'Go?' } }] });
      const end = r.reporter.end('gate');
      expect([...end.notes, ...(end.describe ?? [])].join()).toMatch(/ask: Go\?/);
      expect(end.status).not.toBe('failed');
    }
  });
});

describe('set-vars', () => {
  it('sets variables for later tasks, keeping their types, in every mode', async () => {
    for (const mode of ['dry-run', 'check', 'run'] as const) {
      const r = await runTasks({
        mode,
        vars: { base: 'kf' },
        tasks: [
          { name: 'set', 'set-vars': { name: '{{base}}-upgrade', count: 3, list: ['a', 'b'] } },
          { name: 'use', assert: { that: ['{{eq name "kf-upgrade"}}', '{{eq count 3}}', '{{eq (length list) 2}}'] } },
        ],
      });
      expect(r.reporter.end('use').status, mode).toBe(mode === 'dry-run' ? 'planned' : 'ok');
      expect(r.result.failed).toBe(false);
    }
  });
});
