import { describe, expect, it } from 'vitest';
import { withoutPreloads } from '../../../server/worker-thread.js';

describe('a worker thread’s flags', () => {
  it.each([
    [['--import', 'tsx'], []],
    [['--import=tsx', '--enable-source-maps'], ['--enable-source-maps']],
    [
      ['--import', 'tsx', '--import', './test/helpers/lane-controls.ts', '--max-old-space-size=512'],
      ['--max-old-space-size=512'],
    ],
    [['-r', 'x.cjs', '--require=y.cjs', '--loader', 'l.mjs', '--cpu-prof'], ['--cpu-prof']],
    [[], []],
  ])('when the process runs with %j, then the thread gets %j (no preloads)', (given, kept) => {
    expect(withoutPreloads(given)).toEqual(kept);
  });
});
