import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the fuzz grew template bombs, devices and 9 MB files this round: it runs with the long suite
    exclude: ['test/resilience/**', 'test/resilience-fast/fuzz.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
