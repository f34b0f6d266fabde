import { defineConfig } from 'vitest/config';

// Three projects: unit (pure, fast), integration (one real adapter at a time: SQLite file,
// aedes on port 0, Mosquitto), e2e (whole processes, as a user meets them).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          // Whole processes on a 2-core machine: one file at a time keeps timings honest.
          fileParallelism: false,
        },
      },
    ],
  },
});
