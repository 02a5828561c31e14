// On a terminal kfup shows a live listr2 task list; this runs the CLI under a pseudo-terminal
// (util-linux `script`) and checks that every task, including parallel children and loops,
// settles and the recap follows. Skipped where `script` is not installed.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { kfupBin, repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('terminal output', () => {
  it.skipIf(!hasScript)('renders the task list and the recap on a terminal (needs util-linux script)', () => {
    const dir = tempDir('kfup-tty-');
    cpSync(join(repoRoot, 'playbooks/examples'), dir, { recursive: true, filter: (src) => !/[/\\](out|\.kfup)([/\\]|$)/.test(src) });
    const cmd = `stty cols 120 rows 50; ${JSON.stringify(process.execPath)} ${JSON.stringify(kfupBin)} run example.yaml --env staging --check; echo EXIT=$?`;
    const env = { ...process.env };
    delete env.CI;
    delete env.NO_COLOR;
    const out = execFileSync('script', ['-qec', cmd, '/dev/null'], { cwd: dir, env, timeout: 30_000 }).toString();
    expect(out).toContain('\u001b['); // colours and cursor control on a terminal
    const plain = stripVTControlCharacters(out);
    expect(plain).toMatch(/Backup name is set ok/);
    expect(plain).toMatch(/Check each profile name ok/);
    expect(plain).toMatch(/Write the maintenance notice would change/);
    expect(plain).toMatch(/RECAP \(check, run \S+, [^)]+\)\s+ok=8\s+would change=1/);
    expect(plain).toMatch(/EXIT=0/);
  });

  it.skipIf(!hasScript)('settles a group whose condition is known only after apply, and still prints the recap', () => {
    const dir = tempDir('kfup-tty-');
    writeFileSync(
      join(dir, 'p.yaml'),
      [
        'name: deferred group',
        'tasks:',
        '  - name: write a file',
        '    template: { content: "x", dest: out.txt }',
        '    register: t',
        '  - name: later reads',
        '    when: "{{t.outputs.backup}}"',
        '    parallel:',
        '      - { name: read one, assert: { that: [true] } }',
        '      - { name: read two, assert: { that: [true] } }',
        '  - name: last',
        '    assert: { that: [true] }',
        '',
      ].join('\n'),
    );
    const env = { ...process.env };
    delete env.CI;
    delete env.NO_COLOR;
    const cmd = `stty cols 120 rows 50; ${JSON.stringify(process.execPath)} ${JSON.stringify(kfupBin)} run p.yaml --check; echo EXIT=$?`;
    const out = execFileSync('script', ['-qec', cmd, '/dev/null'], { cwd: dir, env, timeout: 30_000 }).toString();
    const plain = stripVTControlCharacters(out);
    expect(plain).toMatch(/read one \(not run\)/);
    expect(plain).toMatch(/RECAP \(check/);
    expect(plain).toMatch(/EXIT=0/);
  });
});
