import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { availableParallelism } from 'node:os';

// the fuzz grew template bombs, devices and 9 MB inputs: it runs with the long suite
const LONG = ['test/resilience/**', 'test/resilience-fast/fuzz.test.ts'];
// files that look at the process's own module cache (which SDK clients a run loaded) need a
// process of their own
const ISOLATED = ['test/modules/backup-snapshot-key.test.ts'];

// Test files in the order that finishes soonest on few cores: the long ones first, so that the
// last minute of the suite is not one slow file running alone. Vitest orders by the durations of
// the previous run, which a clean clone (CI) does not have; this list stands in for them. After
// that, vitest's own order (recorded durations, else larger files first).
/** the slowest files, slowest first (seconds alone on 2 cores, 2026-12-01) */
const SLOW = [
  'test/e2e/upgrade.test.ts', // 40: the upgrade in every mode, killed under faults, the next upgrade
  'test/kit/scaffold.test.ts', // 26
  'test/e2e/secrets-upgrade.test.ts', // 28: with the kill in the cut-over and its rollback
  'test/modules/backup-snapshot-resume.test.ts', // 18 (mostly waiting on jobs)
  'test/modules/velero-annotate.edges.test.ts', // 14
  'test/sandbox/retire-blue.test.ts', // 13
  'test/sandbox/terraform-stand-in-stages.test.ts', // 12
  'test/modules/terraform-apply.edges.test.ts', // 12
  'test/runner/state-s3.test.ts', // 12
  'test/cli/demo.test.ts', // 11
  'test/sandbox/kfup-against-controllers.test.ts', // 11
];

const rank = (spec: TestSpecification): number => {
  const i = SLOW.findIndex((f) => spec.moduleId.endsWith(f));
  return i === -1 ? SLOW.length : i;
};

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const order = new Map(base.map((f, i) => [f, i]));
    // projects stay in vitest's order; within one, the known slow files lead
    return [...base].sort((a, b) => (a.project.name !== b.project.name ? order.get(a)! - order.get(b)! : rank(a) - rank(b) || order.get(a)! - order.get(b)!));
  }
}

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Most test files wait on sockets and child processes (the sandbox, kfup, terraform, kubectl):
    // one file per core keeps them busy, where vitest's default (cores - 1) leaves one of two idle.
    // (A third worker on two cores cost more CPU, importing everything once more, than it saved;
    // npm test fills the idle moments with the type check and the linter instead: scripts/test.js.)
    maxWorkers: Math.max(2, availableParallelism()),
    // the long files first (SlowFirst above): a clean clone has no recorded durations
    sequence: { sequencer: SlowFirst },
    projects: [
      {
        extends: true,
        // Files share their worker's module cache: the AWS SDK, client-node and the engine are
        // imported once per worker, not once per file, which halves the suite's CPU time. Every
        // file starts its own sandbox and restores any environment variable it sets.
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: [...LONG, ...ISOLATED], isolate: false },
      },
      { extends: true, test: { name: 'isolated', include: ISOLATED, isolate: true } },
    ],
  },
});
