import { defineConfig } from 'vitest/config';
import { SpreadHeavySequencer } from './test/helpers/sequencer.js';

// Four projects: unit (pure, fast; test/unit/<folder> mirrors the source), integration (one real
// adapter at a time: SQLite file, aedes on port 0, Mosquitto; grouped by the part they exercise),
// bench-smoke (the benchmarks in smoke mode), e2e (whole processes, as a user meets them).
// All four share one pool of two workers. The heavy files (bench-smoke, e2e: each loads both cores)
// take a lock so that only one runs at a time (test/helpers/heavy-setup.ts), and the sequencer
// spreads them through the queue, so an integration file runs beside each heavy one instead of the
// heavy files running alone at the end with a core idle (wall time 794 s → see docs/testing.md).
export default defineConfig({
  test: {
    sequence: { sequencer: SpreadHeavySequencer },
    // Two files at a time (the default on a 2-core machine is one, and the integration files alone
    // took 6 min); of the heavy ones, one at a time.
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
          setupFiles: ['test/helpers/heavy-setup.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          // Whole processes on a 2-core machine: one heavy file at a time (the lock), beside light ones.
          setupFiles: ['test/helpers/heavy-setup.ts'],
        },
      },
    ],
  },
});
