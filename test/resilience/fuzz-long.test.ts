// Malformed input, long: thousands of mutated playbooks and environment files, loaded and
// dry-run in-process, and a thousand spawned through the built CLI (`kfup validate` and
// `kfup run --dry-run` each). Every case ends with exit 0, 1 or 2 and, for invalid input, an
// "error: ..." headline of one bounded line: no stack trace, internal error, Node warning or hang.
//   npm run test:resilience                      (FUZZ_SEED, FUZZ_IN_PROCESS, FUZZ_SPAWNED to vary)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { caseArb, describeCase } from '../resilience-fast/mutations.js';
import { inProcess, pool, problem, spawned, writeCase } from '../resilience-fast/harness.js';

const root = mkdtempSync(join(tmpdir(), 'kfup-fuzz-long-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const IN_PROCESS = Number(process.env.FUZZ_IN_PROCESS ?? 5000);
const SPAWNED = Number(process.env.FUZZ_SPAWNED ?? 1000);

describe(`malformed input, long run (seed ${SEED}: rerun a failure with FUZZ_SEED=${SEED})`, () => {
  it(`${IN_PROCESS} cases in-process`, async () => {
    const outcomes: Record<string, number> = {};
    const problems: string[] = [];
    let n = 0;
    for (const c of fc.sample(caseArb, { numRuns: IN_PROCESS, seed: SEED })) {
      const dir = join(root, `c${n++}`);
      for (const o of await inProcess(writeCase(dir, c))) {
        outcomes[`${o.how} ${o.code}`] = (outcomes[`${o.how} ${o.code}`] ?? 0) + 1;
        const p = problem(o);
        if (p && problems.length < 20) problems.push(`${p}\ncase: ${describeCase(c)}`);
      }
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`fuzz (long, seed ${SEED}): ${n} in-process cases; outcomes ${JSON.stringify(outcomes)}`);
    expect(problems).toEqual([]);
  });

  it(`${SPAWNED} cases through the built CLI`, async () => {
    const cases = fc.sample(caseArb, { numRuns: SPAWNED, seed: SEED + 1 });
    const outcomes: Record<string, number> = {};
    const problems = (
      await pool(cases, 4, async (c, i) => {
        const dir = join(root, `s${i}`);
        const found: string[] = [];
        for (const o of await spawned(writeCase(dir, c), 30_000)) {
          outcomes[`${o.how} ${o.code}`] = (outcomes[`${o.how} ${o.code}`] ?? 0) + 1;
          const p = problem(o);
          if (p) found.push(p);
        }
        rmSync(dir, { recursive: true, force: true });
        return found.length ? `${found.join('\n')}\ncase: ${describeCase(c)}` : undefined;
      })
    ).filter(Boolean);
    console.log(`fuzz (long, seed ${SEED + 1}): ${cases.length} spawned cases (x2 commands); outcomes ${JSON.stringify(outcomes)}`);
    expect(problems.slice(0, 20)).toEqual([]);
  });
});
