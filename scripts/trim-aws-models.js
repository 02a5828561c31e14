// Derives the AWS service models the sandbox ships (aws-models/<service>.json.gz) from the
// official botocore models in ../shared/fixtures/aws-models (see ../shared/README.md). Only the
// operations listed in aws-models/operations.json are kept, with every shape they reach and
// without documentation, so the package carries a few hundred kilobytes, not ten megabytes.
//
// The build runs this; when ../shared is absent (a user's checkout, an installed package) the
// committed copies stay as they are. test/sandbox/aws-models-trimmed.test.ts checks that the
// committed copies equal what this derives whenever ../shared is present.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { writeFileSync, renameSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const modelsDir = join(root, 'aws-models');
export const sharedModelsDir = join(root, '..', 'shared', 'fixtures', 'aws-models');

/** keys of operations, shapes and members that only document, and so are dropped */
const DOC_KEYS = new Set(['documentation', 'documentationUrl', 'deprecatedMessage', 'examples', 'deprecated', 'endpointdiscovery', 'staticContextParams', 'contextParam', 'httpChecksum', 'requestcompression', 'unsignedPayload', 'authtype', 'auth']);

const strip = (o) => Object.fromEntries(Object.entries(o).filter(([k]) => !DOC_KEYS.has(k)));

/** one service's model cut down to `operations` and the shapes they reach */
export function trimModel(model, operations, botocoreVersion) {
  const ops = {};
  const shapes = {};
  const visit = (name) => {
    if (shapes[name]) return;
    const s = model.shapes[name];
    if (!s) throw new Error(`shape ${name} is missing from the model`);
    const out = strip(s);
    shapes[name] = out;
    if (s.members) {
      out.members = Object.fromEntries(Object.entries(s.members).map(([k, m]) => [k, strip(m)]));
      for (const m of Object.values(s.members)) visit(m.shape);
    }
    if (s.member) {
      out.member = strip(s.member);
      visit(s.member.shape);
    }
    if (s.key) {
      out.key = strip(s.key);
      visit(s.key.shape);
    }
    if (s.value) {
      out.value = strip(s.value);
      visit(s.value.shape);
    }
  };
  for (const op of operations) {
    const o = model.operations[op];
    if (!o) throw new Error(`operation ${op} is missing from the model ${model.metadata.uid}`);
    ops[op] = strip(o);
    if (o.input) visit(o.input.shape);
    if (o.output) visit(o.output.shape);
    for (const e of o.errors ?? []) visit(e.shape);
  }
  const sorted = Object.fromEntries(Object.keys(shapes).sort().map((k) => [k, shapes[k]]));
  return { botocoreVersion, metadata: strip(model.metadata), operations: ops, shapes: sorted };
}

export function readOperations() {
  return JSON.parse(readFileSync(join(modelsDir, 'operations.json'), 'utf8')).services;
}

/** every trimmed model derived from ../shared, by the sandbox's service name */
export function deriveAll(shared = sharedModelsDir) {
  const version = readFileSync(join(shared, 'BOTOCORE_VERSION'), 'utf8').trim();
  const out = {};
  for (const [service, { model, operations }] of Object.entries(readOperations())) {
    const versions = readdirSync(join(shared, model)).sort();
    const file = join(shared, model, versions[versions.length - 1], 'service-2.json.gz');
    out[service] = trimModel(JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')), operations, version);
  }
  return out;
}

export const readTrimmed = (service) => JSON.parse(gunzipSync(readFileSync(join(modelsDir, `${service}.json.gz`))).toString('utf8'));

function writeAtomic(path, data) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!existsSync(join(sharedModelsDir, 'BOTOCORE_VERSION'))) {
    console.log('trim-aws-models: ../shared is absent; keeping the committed aws-models/');
  } else {
    let changed = 0;
    for (const [service, trimmed] of Object.entries(deriveAll())) {
      const path = join(modelsDir, `${service}.json.gz`);
      const text = JSON.stringify(trimmed);
      // rewritten only when the content differs, so a build leaves the tree clean
      if (existsSync(path) && gunzipSync(readFileSync(path)).toString('utf8') === text) continue;
      writeAtomic(path, gzipSync(text, { level: 9 }));
      changed++;
    }
    console.log(`trim-aws-models: ${changed} model(s) written to aws-models/`);
  }
}
