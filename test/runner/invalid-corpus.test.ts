// The invalid-playbook corpus: each file under test/fixtures/invalid/ states in its header the
// message it must produce (# expect:), where (# at: line:col, in # at-file: when not the playbook
// itself), the hint (# hint:) and any CLI arguments (# args:). Every case must be a user error
// with exit code 2 and a location, never an internal error.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { builtinTasks } from '../../src/modules/index.js';
import type { TaskRegistry } from '../../src/runner/types.js';
import { describe, expect, it } from 'vitest';
import { load } from '../../src/runner/index.js';
import { UserError, UserErrors } from '../../src/runner/errors.js';
import { formatError } from '../../src/cli-errors.js';

const dir = resolve(import.meta.dirname, '../fixtures/invalid');
const cases = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

function header(text: string, key: string): string | undefined {
  return new RegExp(`^# ${key}: (.*)$`, 'm').exec(text)?.[1]?.trim();
}

function argsToRequest(file: string, args: string) {
  const req: { playbook: string; env?: string; varsFiles?: string[]; vars?: string[]; registry: TaskRegistry } = { playbook: file, registry: builtinTasks };
  const parts = args.split(/\s+/).filter(Boolean);
  for (let i = 0; i < parts.length; i += 2) {
    if (parts[i] === '--env') req.env = parts[i + 1];
    if (parts[i] === '--var') (req.vars ??= []).push(parts[i + 1]);
    if (parts[i] === '--vars-file') (req.varsFiles ??= []).push(parts[i + 1]);
  }
  return req;
}

describe('invalid playbook corpus', () => {
  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const name of cases) {
    it(name, async () => {
      const file = join(dir, name);
      const text = readFileSync(file, 'utf8');
      const expected = header(text, 'expect')!;
      expect(expected, 'the fixture states its expected message').toBeTruthy();
      let caught: unknown;
      try {
        await load(argsToRequest(file, header(text, 'args') ?? ''));
      } catch (e) {
        caught = e;
      }
      expect(caught, 'loading must fail').toBeDefined();
      expect(caught instanceof UserError || caught instanceof UserErrors, `a user error, not ${String(caught)}`).toBe(true);
      const errors = caught instanceof UserErrors ? caught.errors : [caught as UserError];
      const match = errors.find((e) => e.message.includes(expected));
      expect(match, `one error says "${expected}"; got: ${errors.map((e) => e.message).join(' | ')}`).toBeDefined();
      const at = header(text, 'at');
      if (at) {
        const [line, col] = at.split(':').map(Number);
        const atFile = header(text, 'at-file');
        expect(match!.pos, 'the error has a location').toBeDefined();
        expect(match!.pos!.file.endsWith(atFile ?? name)).toBe(true);
        expect({ line: match!.pos!.line, col: match!.pos!.col }).toEqual({ line, col });
      }
      const hint = header(text, 'hint');
      if (hint) expect(match!.hint ?? '').toContain(hint);
      const printed = formatError(caught, false);
      expect(printed.code).toBe(2);
      expect(printed.text).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack frames
      if (at) expect(printed.text).toMatch(/\^/); // a caret under the column
    });
  }
});
