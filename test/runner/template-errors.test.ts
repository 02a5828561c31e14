// Issue 16, "errors": a template syntax error is reported whole (Handlebars' expectation, not a
// cut-off "Parse error on line 1:"), at the file:line:col of the mistake, with a hint for the
// usual mistakes; a missing variable is one error listing the tasks that use it.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from '../../src/runner/index.js';
import { UserError, UserErrors } from '../../src/runner/errors.js';
import Handlebars from 'handlebars';
import { parseErrorOf } from '../../src/runner/template/parse-error.js';
import { renderString, TemplateError } from '../../src/runner/template/template.js';
import { testTasks } from '../helpers/registry.js';
import { tempDir } from '../helpers/run.js';

async function errorsOf(yaml: string): Promise<{ errors: UserError[]; file: string }> {
  const file = join(tempDir(), 'playbook.yaml');
  writeFileSync(file, yaml);
  try {
    await load({ playbook: file, registry: testTasks });
    return { errors: [], file };
  } catch (e) {
    if (e instanceof UserErrors) return { errors: e.errors, file };
    throw e;
  }
}

function syntaxError(source: string): TemplateError {
  try {
    renderString(source, { a: 1, b: 2 });
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error(`no error for ${source}`);
}

describe('template syntax errors', () => {
  it('{{a == b}}: the whole Handlebars detail, the offset of "=", and the eq hint', () => {
    const e = syntaxError('{{a == b}}');
    expect(e.message).toMatch(/template error in "\{\{a == b\}\}" at character 5: found "=" where Handlebars expects /);
    expect(e.message).toMatch(/got 'EQUALS'/);
    expect(e.offset).toBe(4);
    expect(e.hint).toMatch(/\{\{eq a b\}\}/);
  });

  it.each([
    ['{{#if a}}yes', /closed with \{\{\/if\}\}/],
    ['{{a && b}}', /\{\{and a b\}\}/],
    ['{{a}', /close each \{\{ with \}\}/],
    ['{{concat {{a}} b}}', /do not nest/],
  ])('%s gets a hint for the usual mistake', (source, hint) => {
    expect(syntaxError(source).hint).toMatch(hint);
  });

  it('finds the offset again past the 20 characters of the excerpt and across lines', () => {
    const source = 'first line is long enough to be cut\nand then {{x == y}}';
    let raw = '';
    try {
      Handlebars.parse(source);
    } catch (e) {
      raw = (e as Error).message;
    }
    expect(raw).toMatch(/^Parse error on line 2:\n\.\.\./); // Handlebars' own, cut excerpt
    expect(parseErrorOf(raw, source)?.offset).toBe(source.indexOf('== y'));
    expect(parseErrorOf('some other error', source)).toBeUndefined();
  });

  it('is located at the file:line:col of the mistake in a task parameter', async () => {
    const { errors, file } = await errorsOf('name: p\ntasks:\n  - name: t\n    probe: { item: "x-{{a == b}}" }\n');
    expect(errors).toHaveLength(1);
    expect(errors[0].pos).toEqual({ file, line: 4, col: 27 });
    expect(errors[0].hint).toMatch(/eq a b/);
  });
});

describe('a missing variable', () => {
  it('is one error listing every task that uses it, at the first use', async () => {
    const tasks = ['one', 'two', 'three'].map((n) => `  - name: ${n}\n    probe: { item: "{{missing_value}}" }\n`).join('');
    const { errors } = await errorsOf(`name: p\ntasks:\n${tasks}  - name: other\n    probe: { item: "{{other_missing}}" }\n`);
    expect(errors.map((e) => e.message)).toEqual([
      'undefined variable "missing_value", used by 3 tasks: "one" (line 4), "two" (line 6), "three" (line 8)',
      expect.stringMatching(/^task "other": undefined variable "other_missing"/),
    ]);
    expect(errors[0].pos?.line).toBe(4);
  });
});
