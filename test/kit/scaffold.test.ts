// Adding a task type takes what the README's "Writing a task type" says and nothing more: the
// scaffolder writes one file, its schema, one registry line, a README section and one table
// test, into a copy of the project; the new type then type-checks and passes the conformance
// tester there.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

const NAME = 'probe-keys';

describe('adding a task type', () => {
  it('scaffolds a probe type: file, schema, one registry line, README section, table test; it type-checks and passes the tester', { timeout: 180_000 }, () => {
    const copy = tempDir('kfup-scaffold-');
    for (const part of ['src', 'schemas', 'scripts', 'templates', 'playbooks/sandbox', 'test/kit', 'test/helpers', 'package.json', 'tsconfig.json', 'vitest.config.ts', 'README.md']) {
      cpSync(join(repoRoot, part), join(copy, part), { recursive: true, filter: (f) => !f.includes('/src/modules/generated') });
    }
    symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'));
    const registryBefore = readFileSync(join(copy, 'src/modules/index.ts'), 'utf8').split('\n');
    const readmeBefore = readFileSync(join(copy, 'README.md'), 'utf8');

    const out = execFileSync(process.execPath, ['scripts/new-task-type.js', NAME], { cwd: copy, encoding: 'utf8' });
    expect(out).toContain(`added task type ${NAME}`);
    for (const f of [`src/modules/${NAME}.ts`, `schemas/tasks/${NAME}.schema.json`, `test/modules/${NAME}.test.ts`]) expect(existsSync(join(copy, f)), f).toBe(true);
    const registryAfter = readFileSync(join(copy, 'src/modules/index.ts'), 'utf8').split('\n');
    expect(registryAfter.filter((l) => !registryBefore.includes(l))).toEqual([`  '${NAME}': () => import('./${NAME}.js'),`]);
    expect(registryAfter.length).toBe(registryBefore.length + 1);
    const readmeAfter = readFileSync(join(copy, 'README.md'), 'utf8');
    expect(readmeAfter.startsWith(readmeBefore.slice(0, readmeBefore.indexOf('## The upgrade, step by step')))).toBe(true);
    expect(readmeAfter).toContain(`### ${NAME}\n`);
    // a second time is refused: nothing is overwritten
    expect(() => execFileSync(process.execPath, ['scripts/new-task-type.js', NAME], { cwd: copy, stdio: 'pipe' })).toThrow(/exists already/);

    // its types come from its schema; the new file type-checks against the kit
    execFileSync(process.execPath, ['scripts/gen-task-types.js'], { cwd: copy });
    writeFileSync(join(copy, 'tsconfig.scaffold.json'), JSON.stringify({ extends: './tsconfig.json', include: [`src/modules/${NAME}.ts`, `test/modules/${NAME}.test.ts`] }));
    execFileSync(process.execPath, [join(repoRoot, 'node_modules/tsgo/bin/tsc'), '-p', 'tsconfig.scaffold.json', '--noEmit'], { cwd: copy, encoding: 'utf8' });

    // and its table passes the conformance tester against the sandbox
    const vitest = execFileSync(process.execPath, [join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', `test/modules/${NAME}.test.ts`], {
      cwd: copy,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(vitest).toMatch(/Tests\s+3 passed/);
  });
});
