import { describe, expect, it } from 'vitest';
import { errorData, errorFrom } from '../../../../server/lanes/messages.js';

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
