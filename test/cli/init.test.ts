import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { kfup } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';
import { variableDocs } from '../../src/init.js';

describe('kfup init', () => {
  it('writes an environment file with every variable, documented, and never overwrites without --force', async () => {
    const dir = tempDir('kfup-init-');
    const r = await kfup(['init', dir, '--name', 'staging']);
    expect(r.code).toBe(0);
    const file = join(dir, 'staging.yaml');
    const text = readFileSync(file, 'utf8');
    const env = parse(text) as { vars: Record<string, unknown>; targets?: unknown };
    const names = variableDocs().flatMap((g) => g.vars.map((v) => v.name));
    expect(Object.keys(env.vars).sort()).toEqual([...names].sort());
    for (const g of variableDocs()) for (const v of g.vars) expect(text).toContain(`# Where to find it: ${v.where}`);
    // only variables: the playbook's targets read them (issue 16: a literal targets block overrode them)
    expect(env.targets).toBeUndefined();

    const again = await kfup(['init', dir, '--name', 'staging']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    expect(again.stderr).toMatch(/--force/);

    const forced = await kfup(['init', dir, '--name', 'staging', '--force']);
    expect(forced.code).toBe(0);
    expect(existsSync(`${file}.bak`)).toBe(true);
  });
});
