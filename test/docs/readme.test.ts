// The README stays true: every task type is documented, the variables reference equals the
// data kfup init uses, and every environment shipped with the upgrade playbook validates.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli.js';
import { builtinTasks } from '../../src/modules/index.js';
import { variableDocs, variablesMarkdown, environmentTemplate } from '../../src/init.js';
import { load } from '../../src/runner/index.js';
import { sandboxEnvironment } from '../../src/sandbox/environment.js';
import { makeScenario } from '../../src/sandbox/scenario.js';
import { tempDir } from '../helpers/run.js';
import { writeFileSync } from 'node:fs';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const playbook = join(repoRoot, 'playbooks/blue-green-upgrade.yaml');

describe('README', () => {
  it('documents every task type with an example', () => {
    for (const t of builtinTasks.names()) {
      const section = readme.split(`\n### ${t}\n`)[1];
      expect(section, `README has a "### ${t}" section`).toBeDefined();
      expect(section.split('\n### ')[0]).toMatch(new RegExp('```yaml[\\s\\S]*' + t.replace('-', '\\-') + ':'));
    }
  });

  it('has the variables reference generated from playbooks/variables.yaml', () => {
    const block = /<!-- variables:start[^>]*-->\n([\s\S]*?)\n<!-- variables:end -->/.exec(readme)?.[1];
    expect(block).toBe(variablesMarkdown());
  });

  it('names every variable the sandbox sets', () => {
    const documented = new Set(variableDocs().flatMap((g) => g.vars.map((v) => v.name)));
    const sandbox = Object.keys(sandboxEnvironment(makeScenario(), { dir: '/x', kubeconfigPath: '/x/k' }));
    expect(sandbox.filter((n) => !documented.has(n))).toEqual([]);
  });
});

describe('environments of the upgrade playbook', () => {
  for (const env of ['sandbox', 'sandbox-second', 'staging', 'production']) {
    it(`${env} validates`, async () => {
      await expect(load({ playbook, env, registry: builtinTasks })).resolves.toBeDefined();
    });
  }

  it('a file written by kfup init fails until its placeholders are replaced (issue 16; test/runner/init.test.ts)', async () => {
    const file = join(tempDir(), 'new.yaml');
    writeFileSync(file, environmentTemplate('new'));
    await expect(load({ playbook, env: file, registry: builtinTasks })).rejects.toThrow(/still has the placeholder kfup init wrote/);
  });
});
