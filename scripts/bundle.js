// Build step: the compiled CLI (dist/cli.js) and every library it imports are bundled into
// dist/bundle/, which bin/kfup.js runs. Node 20 has no compile cache, and a run that reaches a
// cluster and AWS otherwise resolves and compiles over two thousand small files of
// @kubernetes/client-node and the AWS SDK (about 0.4 s each); from a handful of bundled chunks
// the same code loads several times faster. Task types and SDK clients stay separate chunks
// (split at their dynamic imports), so `kfup validate` still loads none of them.
//
// The chunks sit in one directory two levels below the package root, like dist/runner, so that
// package-root.ts finds schemas/, templates/ and dist/validators/ from either.
import { rmSync } from 'node:fs';
import { basename } from 'node:path';
import { build } from 'esbuild';
import { packagePath } from '../dist/runner/load/package-root.js';
import { writeFileAtomic } from '../dist/runner/state/fs-atomic.js';

const outdir = packagePath('dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: [packagePath('dist', 'cli.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // the ES module builds of the AWS SDK and client-node, as Node itself would load them
  mainFields: ['module', 'main'],
  // whitespace and comments removed: client-node alone is 14 MB of source otherwise, and V8
  // parses all of it at load. Identifiers are not minified, so stack traces stay readable and
  // classes keep their names (keepNames would wrap every function, closures included, in a
  // naming call that costs each task time; the guard reads AWS command names tolerantly)
  minifyWhitespace: true,
  minifySyntax: true,
  // CommonJS dependencies call require() for Node built-ins; an ES module has none of its own
  banner: { js: "import { createRequire as kfupCreateRequire } from 'node:module'; const require = kfupCreateRequire(import.meta.url);" },
  // ajv is required at run time only when a schema changed since the build (validate.ts)
  external: ['ajv', 'ajv-formats'],
  // --debug prints stack traces at src/...ts positions: esbuild follows the compiled files' own
  // source maps (tsc writes them) back to the TypeScript, and bin/kfup.js turns maps on for --debug
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
});

// which packages each chunk holds, so that a test can tell what a command loaded
// (for instance that `kfup validate` loads neither the AWS SDK nor client-node)
const packageOf = (input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'kfup';
const packages = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  packages[basename(file)] = [...new Set(Object.keys(out.inputs).map(packageOf))].sort();
}
writeFileAtomic(packagePath('dist', 'bundle', 'packages.json'), JSON.stringify(packages, null, 1) + '\n');
