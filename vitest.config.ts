import { defineConfig } from 'vitest/config';

// the fuzz grew template bombs, devices and 9 MB inputs: it runs with the long suite
const LONG = ['test/resilience/**', 'test/resilience-fast/fuzz.test.ts'];
// files that look at the process's own module cache (which SDK clients a run loaded) need a
// process of their own
const ISOLATED = ['test/modules/backup-snapshot-key.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Most test files wait on sockets and child processes (the sandbox, kfup, terraform, kubectl):
    // three files at a time keep two cores busy, where vitest's default (cores - 1) runs one.
    maxWorkers: 3,
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
