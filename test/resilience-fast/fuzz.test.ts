// Malformed input, fast: a few hundred mutated playbooks and environment files loaded and
// dry-run in-process (as the CLI does, through formatError), and a score spawned through the
// built CLI. Each ends with exit 0, 1 or 2 and, for invalid input, a one-line "error: ..."
// headline: never a stack trace, an internal error or a hang. The long run is
// test/resilience/fuzz-long.test.ts (npm run test:resilience).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { caseArb, describeCase } from './mutations.js';
import { inProcess, pool, problem, spawned, writeCase } from './harness.js';
import { kfup, repoRoot } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'kfup-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SEED = Number(process.env.FUZZ_SEED ?? 20240601);
const counts = { inProcess: 0, spawned: 0, byCode: {} as Record<string, number> };
let n = 0;

describe('malformed playbooks and environment files', () => {
  it('in-process: 300 cases end in exit 0/1/2 with a headline, no internal error', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const file = writeCase(join(root, `c${n++}`), c);
        for (const o of await inProcess(file)) {
          counts.byCode[`${o.how} ${o.code}`] = (counts.byCode[`${o.how} ${o.code}`] ?? 0) + 1;
          const p = problem(o);
          if (p) throw new Error(`${p}\ncase: ${describeCase(c)}`);
        }
        counts.inProcess++;
      }),
      { numRuns: 300, seed: SEED, endOnFailure: true },
    );
    expect(counts.inProcess).toBe(300);
    // template bombs run to their budget (issue 14): a few hundred ms each on a busy machine
  }, 60_000);

  it('spawned CLI: 20 cases of validate and run --dry-run exit 0/1/2, no stack trace, no hang', async () => {
    // fc.sample: the same cases for a seed; run a few at a time, since each is two processes
    const cases = fc.sample(caseArb, { numRuns: 20, seed: SEED + 1 });
    const problems = (
      await pool(cases, 4, async (c) => {
        const found = (await spawned(writeCase(join(root, `s${n++}`), c), 10_000)).map(problem).filter(Boolean);
        counts.spawned++;
        return found.length ? `${found.join('\n')}\ncase: ${describeCase(c)}` : undefined;
      })
    ).filter(Boolean);
    expect(problems).toEqual([]);
    expect(counts.spawned).toBe(20);
    console.log(`fuzz (fast, seed ${SEED}): ${counts.inProcess} in-process cases, ${counts.spawned} spawned cases (x2 commands); outcomes ${JSON.stringify(counts.byCode)}`);
  }, 60_000);

  // files that are no text at all: each refused with exit 2 and a headline, at once (issue 14)
  it('a FIFO, a device, a directory or a huge file as the playbook or the environment: exit 2, never a hang', async () => {
    const kinds: [string, (p: string) => void][] = [
      ['fifo', (p) => execFileSync('mkfifo', [p])],
      ['/dev/zero', (p) => symlinkSync('/dev/zero', p)],
      ['/dev/urandom', (p) => symlinkSync('/dev/urandom', p)],
      ['directory', (p) => mkdirSync(p)],
      ['9 MB', (p) => writeFileSync(p, `name: x\n# ${'x'.repeat(9 * 1024 * 1024)}\n`)],
    ];
    for (const target of ['playbook', 'env'] as const) {
      for (const [kind, make] of kinds) {
        const file = writeCase(join(root, `special-${target}-${kind.replace(/\W/g, '')}`), { target, ops: [] });
        const victim = target === 'playbook' ? file : join(file, '..', 'environments', 'staging.yaml');
        rmSync(victim);
        make(victim);
        const [o] = await inProcess(file);
        expect(o.code, `${kind} as the ${target}`).toBe(2);
        expect(problem(o), `${kind} as the ${target}`).toBeUndefined();
        expect(o.text).toMatch(/^error: cannot read .*(not a regular file|larger than)/);
      }
    }
  }, 20_000);

  // the bugs the fuzzer found, kept as plain regressions
  it('a huge value is quoted shortened; a --var value with an unknown YAML tag prints no Node warning', async () => {
    const huge = writeCase(join(root, 'huge'), { target: 'playbook', ops: [{ op: 'huge-string', pick: 14, size: 200_000 }] });
    const [loaded] = await inProcess(huge);
    expect(loaded.code).toBe(2);
    expect(loaded.text.split('\n')[0].length).toBeLessThan(400);
    expect(loaded.text).toMatch(/\(200000 characters\)/);
    // a --var value is read as YAML: an unknown tag used to make the yaml library print a Node warning
    const r = await kfup(['validate', join(repoRoot, 'playbooks/examples/example.yaml'), '--env', 'staging', '--var', 'x=!!js/function a'], { timeoutMs: 10_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/YAMLWarning|\(node:\d+\)/);
  }, 15_000);
});

