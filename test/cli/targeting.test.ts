// Issue 16, "targeting", through the built CLI: list-tasks shows ids, types, tags and nesting
// (never "[undefined]"), and --list-tags works on list-tasks and on run (which then runs nothing).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { kfup } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

const examples = join(import.meta.dirname, '..', '..', 'playbooks', 'examples');

describe('kfup list-tasks and --list-tags', () => {
  it('list-tasks shows the nesting of the upgrade playbook without [undefined]', async () => {
    const r = await kfup(['list-tasks', join(examples, '..', 'blue-green-upgrade.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/undefined/);
    expect(r.stdout).toMatch(/\(parallel block\)|\(block\)/);
  });

  it('list-tasks shows imports, ids and inherited tags', async () => {
    const r = await kfup(['list-tasks', join(examples, 'reuse', 'playbook.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2\. Check blue \(import tasks\/check-cluster\.yaml\) {2}id: check-blue {2}tags: blue/);
    expect(r.stdout).toMatch(/^ {7}\s*4\. Each namespace is named \[assert\] {2}tags: blue/m);
  });

  it('list-tasks --list-tags and run --list-tags list the tags; run runs nothing', async () => {
    const listed = await kfup(['list-tasks', join(examples, 'example.yaml'), '--list-tags']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/tags: \[gate, preflight, report\]/);
    const dir = tempDir();
    const run = await kfup(['run', join(examples, 'example.yaml'), '--env', 'staging', '--list-tags', '--state-dir', join(dir, '.kfup')], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(listed.stdout);
  });
});
