#!/usr/bin/env node
// `npm run new-task-type -- NAME`: adds a task type the way the README's "Writing a task type"
// says, and nothing more: its file (src/modules/NAME.ts), its schema (schemas/tasks/NAME.schema.json),
// one line in the registry (src/modules/index.ts), a README section, and one table test
// (test/modules/NAME.test.ts). The starting point is a small working task type (it keeps keys of
// a Kubernetes ConfigMap at the given values, reversibly) that passes the conformance tester;
// rewrite its insides for the new job. Existing files are never overwritten.
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const name = process.argv[2];
if (!name || !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) {
  process.stderr.write('usage: npm run new-task-type -- NAME   (lower-case words joined by "-", e.g. configmap-keys)\n');
  process.exit(2);
}
const pascal = name.replace(/(^|-)([a-z0-9])/g, (_, __, c) => c.toUpperCase());
const files = {
  module: join(root, 'src', 'modules', `${name}.ts`),
  schema: join(root, 'schemas', 'tasks', `${name}.schema.json`),
  test: join(root, 'test', 'modules', `${name}.test.ts`),
  registry: join(root, 'src', 'modules', 'index.ts'),
  readme: join(root, 'README.md'),
};
for (const f of [files.module, files.schema, files.test]) {
  if (existsSync(f)) {
    process.stderr.write(`${f} exists already: choose another name\n`);
    process.exit(2);
  }
}
const registry = readFileSync(files.registry, 'utf8');
if (registry.includes(`'${name}':`)) {
  process.stderr.write(`${name} is in the registry already\n`);
  process.exit(2);
}

const write = (file, text) => {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
};

const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: name,
  description: `Keeps keys of a Kubernetes ConfigMap at the given values (the starting point of ${name}: describe what it does here).`,
  type: 'object',
  additionalProperties: false,
  required: ['cluster', 'namespace', 'config_map', 'data'],
  properties: {
    cluster: { type: 'string', minLength: 1, description: 'A key of targets.clusters.' },
    namespace: { type: 'string', minLength: 1, description: 'The namespace of the ConfigMap.' },
    config_map: { type: 'string', minLength: 1, description: 'The ConfigMap (it must exist).' },
    data: { type: 'object', minProperties: 1, additionalProperties: { type: 'string' }, description: 'The keys to set and their values; other keys are left alone.' },
  },
  'x-kfup-outputs': {
    changed_keys: { type: 'array', items: { type: 'string' }, description: 'The keys whose value was (or would be) changed.' },
  },
  examples: [{ cluster: 'green', namespace: 'kubeflow', config_map: 'settings', data: { mode: 'upgrade' } }],
};

const module = `// ${name}: keeps keys of a ConfigMap at the given values (scaffolded by scripts/new-task-type.js;
// replace this with what ${name} does). check reads, apply writes exactly the plan, and revert
// puts back the values the run replaced.
import { defineTask, getOrUndefined, TaskError } from './kit/index.js';
import type { ${pascal}Outputs, ${pascal}Params } from './generated/${name}.js';

/** the values before the change, by key (null: the key was absent) */
type Replaced = Record<string, string | null>;

export default defineTask<${pascal}Params, ${pascal}Outputs, Replaced, { replaced: Replaced }, Replaced>({
  name: '${name}',
  messages: { missing: 'ConfigMap {{namespace}}/{{name}} does not exist on {{cluster}}' },
  describe: (p) => [\`set \${Object.keys(p.data).join(', ')} in ConfigMap \${p.namespace}/\${p.config_map} on \${p.cluster}\`],

  async check(p, ctx) {
    const kube = ctx.kube(p.cluster);
    const cm = await getOrUndefined(() => kube.core.readNamespacedConfigMap({ name: p.config_map, namespace: p.namespace }), ctx.signal);
    if (!cm) throw this.error('missing', { namespace: p.namespace, name: p.config_map, cluster: p.cluster });
    const replaced: Replaced = {};
    for (const [k, v] of Object.entries(p.data)) if (cm.data?.[k] !== v) replaced[k] = cm.data?.[k] ?? null;
    const keys = Object.keys(replaced);
    if (!keys.length) return { changes: [], outputs: { changed_keys: [] } };
    return {
      changes: [{ action: 'update', target: \`configmap \${p.namespace}/\${p.config_map}\`, summary: \`set \${keys.join(', ')}\`, before: replaced, after: Object.fromEntries(keys.map((k) => [k, p.data[k]])) }],
      outputs: { changed_keys: keys },
      data: replaced,
    };
  },

  async apply(p, ctx, plan) {
    const replaced = plan.data ?? {};
    // journaled before writing: a rollback can put the values back even if the write is cut off
    ctx.persist('replaced', replaced);
    const patch = { data: Object.fromEntries(Object.keys(replaced).map((k) => [k, p.data[k]])) };
    await ctx.kube(p.cluster).core.patchNamespacedConfigMap({ name: p.config_map, namespace: p.namespace, body: patch }, ctx.kube(p.cluster).patchAs.merge);
    return { changed_keys: Object.keys(replaced) };
  },

  revert: {
    async check(record, ctx) {
      const p = record.params;
      const replaced = record.persisted.replaced ?? {};
      const cm = await getOrUndefined(() => ctx.kube(p.cluster).core.readNamespacedConfigMap({ name: p.config_map, namespace: p.namespace }), ctx.signal);
      if (!cm) return { changes: [], notes: [\`ConfigMap \${p.namespace}/\${p.config_map} is gone: nothing to put back\`] };
      const back: Replaced = {};
      for (const [k, old] of Object.entries(replaced)) if ((cm.data?.[k] ?? null) !== old) back[k] = old;
      const keys = Object.keys(back);
      if (!keys.length) return { changes: [] };
      return { changes: [{ action: 'update', target: \`configmap \${p.namespace}/\${p.config_map}\`, summary: \`put back \${keys.join(', ')}\`, after: back }], data: back };
    },
    async apply(record, ctx, plan) {
      const p = record.params;
      if (!plan.data) throw new TaskError('internal error: a revert plan without its data');
      await ctx.kube(p.cluster).core.patchNamespacedConfigMap({ name: p.config_map, namespace: p.namespace, body: { data: plan.data } }, ctx.kube(p.cluster).patchAs.merge);
    },
  },
});
`;

const test = `// ${name}: its conformance table against the sandbox (test/kit/task-tester.ts asserts the
// invariants every task type owes; the cases add what is particular to ${name}).
import { expect } from 'vitest';
import { taskTester } from '../kit/task-tester.js';

const NS = 'kubeflow';
const CM = '${name}-test';
let n = 0;

taskTester({
  type: '${name}',
  valid: [
    {
      name: 'sets a key, then has nothing to do; rollback puts the old value back',
      setup: (sb) => {
        sb.clusters.green.server.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: \`\${CM}-\${++n}\`, namespace: NS }, data: { mode: 'normal', other: 'kept' } });
      },
      params: () => ({ cluster: 'green', namespace: NS, config_map: \`\${CM}-\${n}\`, data: { mode: 'upgrade' } }),
      state: (sb) => sb.clusters.green.server.store.get('v1', 'ConfigMap', \`\${CM}-\${n}\`, NS)?.data,
      after: ({ sb }) => expect(sb.clusters.green.server.store.get('v1', 'ConfigMap', \`\${CM}-\${n}\`, NS)?.data).toEqual({ mode: 'upgrade', other: 'kept' }),
    },
  ],
  invalid: [
    { name: 'no keys to set', params: { cluster: 'green', namespace: NS, config_map: CM, data: {} }, error: /data/ },
    { name: 'a value that is not text', params: { cluster: 'green', namespace: NS, config_map: CM, data: { a: 1 } }, error: /data/ },
  ],
});
`;

const readmeSection = `### ${name}

${schema.description}

\`\`\`yaml
- name: An example ${name} task
  ${name}: ${JSON.stringify(schema.examples[0]).replace(/"([a-z_]+)":/g, '$1: ').replace(/,/g, ', ')}
\`\`\`

| parameter | required | meaning |
| --- | --- | --- |
${Object.entries(schema.properties).map(([k, p]) => `| \`${k}\` | ${schema.required.includes(k) ? 'yes' : 'no'} | ${p.description} |`).join('\n')}

`;

// one line in the registry, after the last built-in
const listStart = registry.indexOf('const builtins');
const listEnd = listStart < 0 ? -1 : registry.indexOf('\n};\n', listStart);
if (listEnd < 0) {
  process.stderr.write('cannot find the end of the built-in list in src/modules/index.ts\n');
  process.exit(1);
}
const readme = readFileSync(files.readme, 'utf8');
const at = readme.indexOf('\n## The upgrade, step by step');
if (at < 0) {
  process.stderr.write('cannot find where the task types end in README.md\n');
  process.exit(1);
}
write(files.schema, JSON.stringify(schema, null, 2) + '\n');
write(files.module, module);
write(files.test, test);
write(files.registry, `${registry.slice(0, listEnd)}\n  '${name}': () => import('./${name}.js'),${registry.slice(listEnd)}`);
write(files.readme, readme.slice(0, at + 1) + readmeSection + readme.slice(at + 1));
process.stdout.write(
  [
    `added task type ${name}:`,
    `  src/modules/${name}.ts          the task type (defineTask)`,
    `  schemas/tasks/${name}.schema.json  its parameters, docs, examples and declared outputs`,
    `  src/modules/index.ts            one line in the registry`,
    `  README.md                       its section under "Task types"`,
    `  test/modules/${name}.test.ts    its conformance table`,
    `next: npm run gen (types from the schema), then npx vitest run test/modules/${name}.test.ts`,
    '',
  ].join('\n'),
);
