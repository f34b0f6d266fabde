import { defineConfig } from 'vitest/config';

// The fault tests (`npm run test:powercut`, …): each boots qemu guests under software emulation,
// one guest at a time on the machine (test/fault/guest/lock.ts), so one file at a time and long
// bounds. Not part of `npm test` (vitest.config.ts's projects do not include test/fault).
export default defineConfig({
  test: {
    include: ['test/fault/**/*.test.ts'],
    fileParallelism: false,
    // Each test boots the guest again and again: ~60-90 s a boot under emulation on a loaded machine.
    testTimeout: 1_200_000,
    // beforeAll waits for the machine's guest lock while another engineer's guest runs.
    hookTimeout: 1_800_000,
  },
});
