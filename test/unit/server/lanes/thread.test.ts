import { describe, expect, it } from 'vitest';
import { errorData, errorFrom } from '../../../../server/lanes/messages.js';
import { withoutPreloads } from '../../../../server/lanes/thread.js';

describe('the core thread’s flags', () => {
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

describe('an error across the threads', () => {
  it('when a failed listen crosses, then its code, syscall and port come with it (start-failure.ts names the port)', () => {
    const err = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:1883'), {
      code: 'EADDRINUSE',
      syscall: 'listen',
      port: 1883,
    });
    const again = errorFrom(structuredClone(errorData(err))) as Error & {
      code?: string;
      syscall?: string;
      port?: number;
    };
    expect(again).toBeInstanceOf(Error);
    expect([again.message, again.code, again.syscall, again.port]).toEqual([err.message, 'EADDRINUSE', 'listen', 1883]);
  });

  it('when something not an Error is thrown, then it crosses as its text', () => {
    expect(errorFrom(errorData('disk gone')).message).toBe('disk gone');
  });
});
