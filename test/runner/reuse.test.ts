// Issue 16, "reuse": `import:` of task files (static, validated with the importing file, errors
// located in the imported file), parameterised with `vars:`; environment files that `extends:`
// a base, with `kfup vars` naming the file of each value; cycles of either refused with the chain.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, runPlaybook } from '../../src/runner/index.js';
import { printVars } from '../../src/runner/report/vars-report.js';
import { UserError, UserErrors } from '../../src/runner/errors.js';
import { testTasks } from '../helpers/registry.js';
import { CollectingReporter, tempDir } from '../helpers/run.js';

const example = join(import.meta.dirname, '..', '..', 'playbooks', 'examples', 'reuse', 'playbook.yaml');

/** the errors a load throws, one UserError each */
async function loadErrors(playbook: string, env?: string): Promise<UserError[]> {
  try {
    await load({ playbook, registry: testTasks, env });
    return [];
  } catch (e) {
    if (e instanceof UserErrors) return e.errors;
    if (e instanceof UserError) return [e];
    throw e;
  }
}

function files(tree: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(tree)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('import: a task file, parameterised with vars', () => {
  it('the shipped example validates with each environment', async () => {
    expect(await loadErrors(example, 'staging')).toEqual([]);
    expect(await loadErrors(example, 'production')).toEqual([]);
  });

  it('runs the imported tasks once per import, each with its own vars, rendered in the importing scope', async () => {
    const reporter = new CollectingReporter();
    const r = await runPlaybook({ playbook: example, registry: testTasks, env: 'production', mode: 'run', yes: true, stateDir: join(tempDir(), '.kfup'), reporter });
    expect(r.failed).toBe(false);
    const items = reporter.ends().map((e) => e.task.name).filter((n) => n.startsWith('Each namespace is named (item='));
    // blue: base.yaml's two namespaces; green: production.yaml's three
    expect(items).toEqual([
      'Each namespace is named (item=kubeflow)',
      'Each namespace is named (item=kubeflow-user-example-com)',
      'Each namespace is named (item=kubeflow)',
      'Each namespace is named (item=kubeflow-user-example-com)',
      'Each namespace is named (item=team-a)',
    ]);
  });

  it('an error in an imported task names the imported file, line and column', async () => {
    const dir = files({
      'playbook.yaml': 'name: p\ntasks:\n  - import: tasks/bad.yaml\n',
      'tasks/bad.yaml': '- name: ok\n  assert:\n    that: ["{{true}}"]\n- name: bad\n  assert:\n    that: ["{{true}}"]\n    colour: red\n',
    });
    const errors = await loadErrors(join(dir, 'playbook.yaml'));
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/colour/);
    expect(errors[0].pos?.file).toMatch(/tasks\/bad\.yaml$/);
    expect(errors[0].pos?.line).toBe(7);
  });

  it('a template error in an imported task is located in the imported file; the import vars are visible', async () => {
    const dir = files({
      'playbook.yaml': 'name: p\ntasks:\n  - import: t.yaml\n    vars: { who: blue }\n',
      't.yaml': '- name: uses who\n  assert:\n    that: ["{{who}}"]\n- name: uses nobody\n  assert:\n    that: ["{{nobody_defines_this}}"]\n',
    });
    const errors = await loadErrors(join(dir, 'playbook.yaml'));
    expect(errors.map((e) => e.message).join('\n')).toMatch(/nobody_defines_this/);
    expect(errors.map((e) => e.message).join('\n')).not.toMatch(/"who"/);
    expect(errors[0].pos?.file).toMatch(/t\.yaml$/);
    expect(errors[0].pos?.line).toBe(6);
  });

  it('an import cycle is refused with the chain', async () => {
    const dir = files({
      'playbook.yaml': 'name: p\ntasks:\n  - import: a.yaml\n',
      'a.yaml': '- import: b.yaml\n',
      'b.yaml': '- import: a.yaml\n',
    });
    const errors = await loadErrors(join(dir, 'playbook.yaml'));
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/import cycle: .*a\.yaml → .*b\.yaml → .*a\.yaml/);
    expect(errors[0].pos?.file).toMatch(/b\.yaml$/);
  });

  it('a missing task file and vars on a plain task are errors with a location', async () => {
    const dir = files({ 'playbook.yaml': 'name: p\ntasks:\n  - import: nowhere.yaml\n  - name: t\n    vars: { a: 1 }\n    assert: { that: ["{{true}}"] }\n' });
    const errors = await loadErrors(join(dir, 'playbook.yaml'));
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/import of nowhere\.yaml: file not found/), expect.stringMatching(/vars belong to an import/)]);
    expect(errors[1].pos?.line).toBe(5);
  });
});

describe('environments: extends', () => {
  it('kfup vars names the file each value came from, through the chain', async () => {
    const out = await printVars({ playbook: example, registry: testTasks, env: 'production' });
    expect(out).toMatch(/environment_name\s+production\s+\(environment production\)/);
    expect(out).toMatch(/blue_namespaces\s+.*kubeflow-user-example-com.*\(environment production → base\.yaml\)/);
    expect(out).toMatch(/green_namespaces\s+.*team-a.*\(environment production\)/);
  });

  it('a chain of three: each level overrides the one it extends', async () => {
    const dir = files({
      'playbook.yaml': 'name: p\nvars: { a: pb, b: pb, c: pb }\ntasks:\n  - name: t\n    assert: { that: ["{{a}}"] }\n',
      'environments/prod.yaml': 'extends: mid.yaml\nvars: { a: prod }\n',
      'environments/mid.yaml': 'extends: ../shared/common.yaml\nvars: { a: mid, b: mid }\n',
      'shared/common.yaml': 'vars: { a: common, b: common, c: common }\n',
    });
    const out = await printVars({ playbook: join(dir, 'playbook.yaml'), registry: testTasks, env: 'prod' });
    expect(out).toMatch(/^a\s+prod\s+\(environment prod\)$/m);
    expect(out).toMatch(/^b\s+mid\s+\(environment prod → mid\.yaml\)$/m);
    expect(out).toMatch(/^c\s+common\s+\(environment prod → mid\.yaml → common\.yaml\)$/m);
  });

  it('a cycle is refused with the chain', async () => {
    const dir = files({
      'playbook.yaml': 'name: p\ntasks:\n  - name: t\n    assert: { that: ["{{true}}"] }\n',
      'environments/x.yaml': 'extends: y.yaml\n',
      'environments/y.yaml': 'extends: x.yaml\n',
    });
    const errors = await loadErrors(join(dir, 'playbook.yaml'), 'x');
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/cycle: .*x\.yaml → .*y\.yaml → .*x\.yaml/);
  });
});
