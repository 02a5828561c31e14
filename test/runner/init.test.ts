// Issue 16, "kfup init": the file holds only variables (the playbook's targets read them); each
// value is a placeholder that fails validation, one error per variable saying what to put there,
// until replaced; --playbook works for any playbook, from the variables its templates use.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { builtinTasks } from '../../src/modules/index.js';
import { load } from '../../src/runner/index.js';
import { UserErrors } from '../../src/runner/errors.js';
import { environmentTemplate, initEnvironment, variableDocs, defaultPlaybook } from '../../src/init.js';
import { templateVariables } from '../../src/init-vars.js';
import { tempDir } from '../helpers/run.js';

async function loadErrors(playbook: string, env: string): Promise<UserErrors | undefined> {
  try {
    await load({ playbook, env, registry: builtinTasks });
    return undefined;
  } catch (e) {
    if (e instanceof UserErrors) return e;
    throw e;
  }
}

describe('kfup init for the upgrade playbook', () => {
  const file = join(tempDir(), 'new.yaml');
  writeFileSync(file, environmentTemplate('new', { registry: builtinTasks }));
  const env = parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
  const docs = variableDocs().flatMap((g) => g.vars);

  it('writes only vars: no targets block to override what the user edits', () => {
    expect(Object.keys(env)).toEqual(['vars']);
    expect(Object.keys(env.vars).sort()).toEqual(docs.map((d) => d.name).sort());
  });

  it('fails validation with one error per placeholder, each saying what to put there', async () => {
    const errors = (await loadErrors(defaultPlaybook(), file))!.errors;
    expect(errors).toHaveLength(docs.length);
    const region = errors.find((e) => e.message.includes('"region"'))!;
    expect(region.message).toMatch(/still has the placeholder kfup init wrote/);
    expect(region.hint).toMatch(/AWS region of both clusters.*e\.g\. us-west-2/);
    expect(region.pos?.file).toBe(file);
    expect(readFileSync(file, 'utf8').split('\n')[region.pos!.line - 1]).toMatch(/^ {2}region: /);
  });

  it('validates once every placeholder is replaced (here with the documented examples)', async () => {
    const filled = join(tempDir(), 'filled.yaml');
    writeFileSync(filled, stringify({ vars: Object.fromEntries(docs.map((d) => [d.name, d.example])) }));
    expect(await loadErrors(defaultPlaybook(), filled)).toBeUndefined();
  });
});

describe('kfup init --playbook FILE', () => {
  const dir = tempDir();
  const playbook = join(dir, 'mine.yaml');
  writeFileSync(
    playbook,
    stringify({
      name: 'mine',
      vars: { greeting: 'hello {{who}}', retries_default: 2 },
      targets: { aws: { region: '{{aws_region}}' } },
      tasks: [
        { name: 'Set a name', 'set-vars': { computed: '{{prefix}}-x' } },
        { name: 'Check', register: 'checked', when: '{{enabled}}', assert: { that: ['{{ne greeting computed}}', '{{gt (length items) 0}}', '{{#if flag}}{{inner}}{{/if}}'] } },
        { name: 'Each', loop: '{{items}}', assert: { that: ['{{ne item checked.status}}', '{{run.id}}', '{{env.HOME}}'] } },
      ],
    }),
  );

  it('finds every variable the templates use, less built-ins, its own vars, registers and set-vars', () => {
    expect(templateVariables('{{eq a.b c}} {{#if d}}{{e}}{{/if}} {{#each f}}{{g}}{{/each}} {{default h "x"}} {{@index}}')).toEqual(['a', 'c', 'd', 'e', 'f', 'h']);
    const text = environmentTemplate('dev', { playbook, registry: builtinTasks });
    const env = parse(text) as { vars: Record<string, string> };
    expect(Object.keys(env.vars).sort()).toEqual(['aws_region', 'enabled', 'flag', 'inner', 'items', 'prefix', 'who']);
    expect(text).toMatch(/# Used by task "Check", task "Each"\.\n {2}items: ['"]FILL IN: /);
    expect(text).toMatch(/# Used by the playbook's var "greeting"\.\n {2}who: /);
    expect(text).toMatch(/# retries_default: 2/); // the playbook's own default, to override
  });

  it('writes a file that fails until filled in, then validates', async () => {
    const file = initEnvironment(dir, 'dev', false, { playbook, registry: builtinTasks });
    const errors = (await loadErrors(playbook, file))!.errors;
    expect(errors.map((e) => /"(\w+)"/.exec(e.message)?.[1]).sort()).toEqual(['aws_region', 'enabled', 'flag', 'inner', 'items', 'prefix', 'who']);
    for (const e of errors) expect(e.hint).toMatch(/^replace it with the value of \w+ that (task "|targets|the playbook)/);
    writeFileSync(file, stringify({ vars: { aws_region: 'us-west-2', enabled: true, flag: false, inner: 'x', items: ['a'], prefix: 'p', who: 'me' } }));
    expect(await loadErrors(playbook, file)).toBeUndefined();
  });

  it('a playbook that needs nothing gets its defaults, commented, and an environment that validates', async () => {
    const example = join(import.meta.dirname, '..', '..', 'playbooks', 'examples', 'example.yaml');
    const file = initEnvironment(tempDir(), 'e', false, { playbook: example, registry: builtinTasks });
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^ {2}# environment_name: local$/m);
    expect(await loadErrors(example, file)).toBeUndefined();
  });
});
