// Build step: every schema kfup ships is compiled to a standalone validator (ajv's generated
// code) under dist/validators/, so that `kfup validate` does not spend its start-up compiling
// JSON Schemas. At run time a validator is used only when the schema it was built from is
// unchanged (same hash); otherwise the schema is compiled as before.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { writeFileAtomic } from '../dist/runner/state/fs-atomic.js';
import { packagePath } from '../dist/runner/load/package-root.js';
import { ajvOptions, schemaHash } from '../dist/runner/load/schema-key.js';

const standaloneCode = standaloneModule.default ?? standaloneModule;
const out = packagePath('dist', 'validators');
mkdirSync(out, { recursive: true });
const index = {};
const add = (key, file) => {
  const schema = JSON.parse(readFileSync(file, 'utf8'));
  const ajv = new Ajv({ ...ajvOptions, code: { source: true, esm: false } });
  const validate = ajv.compile(schema);
  const name = key.replace(/[^A-Za-z0-9_.-]/g, '_') + '.cjs';
  writeFileAtomic(packagePath('dist', 'validators', name), standaloneCode(ajv, validate));
  index[key] = { file: name, hash: schemaHash(schema) };
};
add('file:playbook.schema.json', packagePath('schemas', 'playbook.schema.json'));
add('file:environment.schema.json', packagePath('schemas', 'environment.schema.json'));
for (const f of readdirSync(packagePath('schemas', 'tasks')).filter((f) => f.endsWith('.schema.json'))) {
  add(`task:${f.replace(/\.schema\.json$/, '')}`, packagePath('schemas', 'tasks', f));
}
writeFileAtomic(packagePath('dist', 'validators', 'index.json'), JSON.stringify(index, null, 2) + '\n');
