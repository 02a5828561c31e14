// template through the conformance tester (test/kit/task-tester.ts): a Handlebars file or inline
// content rendered to a local file. The tester asserts the invariants (dry-run starts nothing,
// check sends nothing, run then check plans nothing); the cases check the files written.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTasks, tempDir } from '../helpers/run.js';
import { taskTester } from '../kit/task-tester.js';

const TASK = 'task under test';
/** a directory of its own per case, by absolute path (each phase of a case runs in its own playbook directory) */
let dir = '';
const fresh = (files: Record<string, string> = {}) => () => {
  dir = tempDir('kfup-template-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
};
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

taskTester({
  type: 'template',
  valid: [
    {
      name: 'writes inline content to a new file',
      setup: fresh(),
      params: () => ({ content: 'window: Saturday 02:00 UTC\n', dest: join(dir, 'notice.md') }),
      after: ({ run }) => {
        expect(run.reporter.end(TASK).changes).toMatchObject([{ action: 'create', summary: 'write 2 lines' }]);
        expect(read('notice.md')).toBe('window: Saturday 02:00 UTC\n');
      },
    },
    {
      name: 'renders a template file with its vars over an existing file, keeping the old one as .bak',
      setup: fresh({ 'notice.md.hbs': 'Maintenance: {{window}}\n', 'notice.md': 'old text\n' }),
      params: () => ({ src: join(dir, 'notice.md.hbs'), dest: join(dir, 'notice.md'), vars: { window: 'Saturday 02:00 UTC' } }),
      after: ({ run }) => {
        expect(run.reporter.end(TASK).changes).toMatchObject([{ action: 'update', before: 'old text\n', after: 'Maintenance: Saturday 02:00 UTC\n' }]);
        expect(read('notice.md')).toBe('Maintenance: Saturday 02:00 UTC\n');
        expect(read('notice.md.bak')).toBe('old text\n');
      },
    },
    {
      name: 'backup: false replaces without a .bak, and sets the file mode',
      setup: fresh({ 'creds.env': 'A=1\n' }),
      params: () => ({ content: 'A=2\n', dest: join(dir, 'creds.env'), backup: false, mode: '0600' }),
      after: () => {
        expect(read('creds.env')).toBe('A=2\n');
        expect(existsSync(join(dir, 'creds.env.bak'))).toBe(false);
        expect(statSync(join(dir, 'creds.env')).mode & 0o777).toBe(0o600);
      },
    },
    {
      name: 'a file that already holds the content is ok',
      setup: fresh({ 'same.txt': 'same\n' }),
      params: () => ({ content: 'same\n', dest: join(dir, 'same.txt') }),
      expect: 'ok',
    },
  ],
  invalid: [
    { name: 'neither src nor content', params: { dest: 'out.txt' }, error: /src|content|oneOf|one of/ },
    { name: 'a mode that is not octal', params: { content: 'x', dest: 'out.txt', mode: 'rw-------' }, error: /mode/ },
    { name: 'a parameter template does not have', params: { content: 'x', dest: 'out.txt', owner: 'root' }, error: /owner/ },
    {
      name: 'a reference to an output template does not declare',
      params: { content: 'x', dest: 'b.txt' },
      tasks: [{ name: 'first', template: { content: 'x', dest: 'a.txt' }, register: 'first' }, { name: 'uses it', assert: { that: ['{{first.outputs.paht}}'] } }],
      error: /undefined variable "first\.outputs\.paht"/,
    },
  ],
});

describe('template: the file mode', () => {
  // ctx.writeFile applies `mode` with a backup too (issue 14), so a second check plans nothing
  it('mode is set when the previous content is kept as .bak (the default)', async () => {
    const here = tempDir('kfup-template-');
    writeFileSync(join(here, 'creds.env'), 'A=1\n');
    const r = await runTasks({ dir: here, tasks: [{ name: 'render', template: { content: 'A=2\n', dest: 'creds.env', mode: '0600' } }] });
    expect(r.reporter.end('render').status).toBe('changed');
    expect(statSync(join(here, 'creds.env')).mode & 0o777).toBe(0o600);
  });
});
