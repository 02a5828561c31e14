// `npm test`: the build (a no-op when dist/ is up to date, see build-inputs.js) and the type check,
// then the linter and the test suite side by side.
//
// The suite waits on sockets, timers and child processes often enough to leave part of the
// machine idle; the linter runs at the lowest priority (nice 19) and fills that idle time instead
// of adding its minute after the tests. Vitest's output streams as it comes; the linter's is held
// and printed after it, under its own heading, so that the two never interleave. The exit code is
// non-zero when any step fails.
//
// Arguments after `npm test --` go to vitest (`npm test -- test/cli` runs that folder's tests,
// still after the whole build, type check and lint).
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;
const bin = (rel) => join(root, 'node_modules', rel);
// POSIX `nice`, where there is one: the linter yields the CPU to the tests
const niceBin = ['/usr/bin/nice', '/bin/nice'].find((p) => existsSync(p));
const lowPriority = (file, args) => (niceBin ? [niceBin, ['-n', '19', file, ...args]] : [file, args]);
const seconds = (ms) => `${(ms / 1000).toFixed(0)} s`;

async function timed(name, file, args, options) {
  const start = Date.now();
  const result = await execa(file, args, { cwd: root, reject: false, ...options });
  return { name, ms: Date.now() - start, exitCode: result.exitCode, output: result.all };
}

function stop(step) {
  console.error(`npm test: ${step.name} failed (exit ${step.exitCode}); nothing was tested`);
  process.exit(step.exitCode || 1);
}

// the build and the type check come first: the CLI tests spawn dist/, and a type error is cheaper
// to read before the suite than after it
const build = await timed('the build', 'npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
if (build.exitCode !== 0) stop(build);
const types = await timed('the type check', 'npm', ['run', 'typecheck', '--silent'], { stdio: 'inherit' });
if (types.exitCode !== 0) stop(types);

const lint = timed('lint (eslint .)', ...lowPriority(node, [bin('eslint/bin/eslint.js'), '.']), { all: true });
const tests = await timed('tests (vitest)', node, [bin('vitest/vitest.mjs'), 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
const linted = await lint;

console.log(`\n── ${linted.name}: ${linted.exitCode === 0 ? 'no problems' : `failed (exit ${linted.exitCode})`}`);
if (linted.output?.trim()) console.log(linted.output.trimEnd());
const failed = tests.exitCode !== 0 || linted.exitCode !== 0;
console.log(`\nnpm test: ${failed ? 'FAILED' : 'passed'} (build ${seconds(build.ms)}, type check ${seconds(types.ms)}, tests ${seconds(tests.ms)}, lint ${seconds(linted.ms)} alongside)`);
process.exit(failed ? 1 : 0);
