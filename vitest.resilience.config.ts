// The long resilience suite (npm run test:resilience): thousands of fuzz cases through the built
// CLI and the slower fault, kill-and-resume and secrets runs. Not part of npm test.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/resilience/**/*.test.ts', 'test/resilience-fast/fuzz.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 120_000,
  },
});
