// `npm run build` is skipped when nothing it reads has changed since the last build: `npm ci`
// builds (through `prepare`), and `npm test` builds again before the CLI tests spawn dist/, which
// after a fresh install repeated half a minute of work for the same bytes. As make and `tsc -b`
// do, the build records what it was made from, and a later build with the same inputs is a no-op.
//
//   node scripts/build-inputs.js check    exit 0 and say so when dist/ is up to date, 1 otherwise
//   node scripts/build-inputs.js forget   before building: an interrupted build is never taken for done
//   node scripts/build-inputs.js record   after a successful build: remember its inputs
//
// The inputs are every file the build steps read (sources, task schemas, build scripts, the
// trimmed AWS models and, when present, the official ones they come from), the installed
// dependencies as package-lock.json pins them, the compiler settings and the Node version.
// Removing dist/ forces a whole build.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// nothing from dist/ is imported: on a fresh clone there is none yet
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packagePath = (...parts) => join(root, ...parts);
const stampFile = packagePath('dist', '.build-inputs');
// outputs the build writes inside its input folders, left out so that building does not change the inputs
const outputs = new Set(['src/modules/generated', 'schemas/kfup.schema.json', 'schemas/kfup.tasks.schema.json']);
/** the scripts the build runs (package.json's "build"), this one included */
const buildScripts = ['build-inputs.js', 'gen-task-types.js', 'trim-aws-models.js', 'write-schema.js', 'compile-schemas.js', 'bundle.js'];
/** what the last build must have left for the CLI to run */
const products = ['dist/bundle/cli.js', 'dist/validators/index.json', 'schemas/kfup.schema.json', 'src/modules/generated'];

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = join(dir, e.name);
      if (outputs.has(relative(root, p))) return [];
      return e.isDirectory() ? files(p) : [p];
    })
    .sort();
}

function digest() {
  const h = createHash('sha256');
  h.update(`node ${process.version}\n`);
  const own = [
    ...['src', 'schemas', 'aws-models'].flatMap((d) => files(join(root, d))),
    ...buildScripts.map((f) => join(root, 'scripts', f)),
    ...['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'].map((f) => join(root, f)),
  ];
  for (const f of own) h.update(`${relative(root, f)}\0`).update(readFileSync(f)).update('\0');
  // the official models are large and never edited by hand: their names, sizes and times suffice
  for (const f of files(join(root, '..', 'shared', 'fixtures', 'aws-models'))) {
    const s = statSync(f);
    h.update(`shared:${relative(root, f)} ${s.size} ${s.mtimeMs}\0`);
  }
  return h.digest('hex');
}

const command = process.argv[2];
if (command === 'check') {
  const fresh = existsSync(stampFile) && products.every((p) => existsSync(packagePath(p))) && readFileSync(stampFile, 'utf8').trim() === digest();
  if (fresh) console.log('build: dist/ is up to date (its inputs are unchanged since the last build; remove dist/ to force one)');
  process.exit(fresh ? 0 : 1);
} else if (command === 'forget') {
  rmSync(stampFile, { force: true });
} else if (command === 'record') {
  // written whole or not at all: a half-written record must not pass for a build
  const tmp = `${stampFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${digest()}\n`);
  renameSync(tmp, stampFile);
} else {
  console.error('usage: node scripts/build-inputs.js check|forget|record');
  process.exit(2);
}
