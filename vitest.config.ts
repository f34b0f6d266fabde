import { defineConfig } from 'vitest/config';

// Four projects: unit (pure, fast; test/unit/<folder> mirrors the source), integration (one real
// adapter at a time: SQLite file, aedes on port 0, Mosquitto; grouped by the part they exercise),
// bench-smoke (the benchmarks in smoke mode), e2e (whole processes, as a user meets them).
export default defineConfig({
  test: {
    // Two files at a time where a project allows it (unit, integration; bench-smoke and e2e run one
    // at a time): the default on a 2-core machine is one, and the integration files alone took 6 min.
    maxWorkers: 2,
    projects: [
      {
        // Pure, but some compute a lot (a 60-day plan of 200 households): 5 s was too short on a
        // machine loaded by other work (seen at a load of 15 on 2 cores).
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 },
      },
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
          // The benchmarks in their seconds-long smoke mode, one file at a time (each loads the machine).
          name: 'bench-smoke',
          include: ['test/bench-smoke/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
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
