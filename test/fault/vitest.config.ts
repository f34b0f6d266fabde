import { defineConfig } from 'vitest/config';

// The fault tests (`npm run test:powercut`, …): each boots qemu guests under software emulation,
// one guest at a time on the machine (test/fault/guest/lock.ts), so one file at a time and long
// bounds. Not part of `npm test` (vitest.config.ts's projects do not include test/fault).
export default defineConfig({
  test: {
    include: ['test/fault/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    // beforeAll waits for the machine's guest lock while another engineer's guest runs.
    hookTimeout: 1_800_000,
  },
});
