import { describe, expect, it } from 'vitest';
import {
  createLoginThrottle,
  LOGIN_LIMITS,
  lockedOutMessage,
  type LoginAttempt,
} from '../../../../server/api/login-throttle.js';

// The lockout rule (issue 15, point 6): failures counted per username and address, per address,
// and per username across addresses, each in a 15-minute window. Time is passed in.

const T0 = Date.parse('2026-12-01T09:00:00+08:00');

type Each = string | ((i: number) => string);
const at = (x: Each, i: number) => (typeof x === 'string' ? x : x(i));

/** `n` failed attempts; each must be let through (counted). */
function fail(throttle: ReturnType<typeof createLoginThrottle>, n: number, name: Each, address: Each): void {
  for (let i = 0; i < n; i++) {
    const attempt = throttle.begin(at(name, i), at(address, i), T0);
    expect(typeof attempt, `attempt ${i} of ${at(name, i)} at ${at(address, i)}`).toBe('object');
  }
}

describe('the login throttle', () => {
  it('when a name fails 5 times at one address, then it is refused there for 15 minutes and let through at another address', () => {
    const throttle = createLoginThrottle();
    fail(throttle, LOGIN_LIMITS.perUserAtAddress, 'admin', '10.0.0.1');
    expect(throttle.begin('admin', '10.0.0.1', T0 + 60_000)).toBe(14 * 60);
    expect(throttle.begin('ADMIN', '10.0.0.1', T0 + 60_000)).toBe(14 * 60);
    expect(typeof throttle.begin('admin', '10.0.0.2', T0 + 60_000)).toBe('object');
    // Other names at the same address are not locked.
    expect(typeof throttle.begin('staff', '10.0.0.1', T0 + 60_000)).toBe('object');
    // The window forgives.
    expect(typeof throttle.begin('admin', '10.0.0.1', T0 + LOGIN_LIMITS.windowMs)).toBe('object');
  });

  it('when an address fails 20 times with different names, then every name is refused there and not elsewhere', () => {
    const throttle = createLoginThrottle();
    fail(throttle, LOGIN_LIMITS.perAddress, (i) => `guess-${i}`, '10.0.0.1');
    expect(throttle.begin('admin', '10.0.0.1', T0)).toBe(15 * 60);
    expect(typeof throttle.begin('admin', '10.0.0.2', T0)).toBe('object');
  });

  it('when one name fails 100 times from 20 addresses, then it is refused from every address, and other names are not', () => {
    const throttle = createLoginThrottle();
    const per = LOGIN_LIMITS.perUserAtAddress;
    fail(throttle, LOGIN_LIMITS.perUserEverywhere, 'admin', (i) => `10.1.0.${Math.floor(i / per)}`);
    expect(throttle.begin('admin', '10.2.0.1', T0 + 1000)).toBe(15 * 60 - 1);
    expect(typeof throttle.begin('staff', '10.2.0.1', T0 + 1000)).toBe('object');
  });

  it('when a login succeeds after 4 failures at one address, then that address starts afresh but failures elsewhere still count', () => {
    const throttle = createLoginThrottle();
    fail(throttle, 4, 'admin', '10.0.0.1');
    fail(throttle, 4, 'admin', '10.0.0.2');
    (throttle.begin('admin', '10.0.0.1', T0) as LoginAttempt).succeeded();
    fail(throttle, 5, 'admin', '10.0.0.1');
    fail(throttle, 1, 'admin', '10.0.0.2');
    expect(throttle.begin('admin', '10.0.0.2', T0)).toBeGreaterThan(0);
  });

  it('when an attempt is undone (nothing was checked), then it counts for nothing', () => {
    const throttle = createLoginThrottle();
    for (let i = 0; i < 50; i++) (throttle.begin('admin', '10.0.0.1', T0) as LoginAttempt).undo();
    fail(throttle, LOGIN_LIMITS.perUserAtAddress, 'admin', '10.0.0.1');
  });

  it.each([
    [15 * 60, '请 15 分钟后再试', 'try again in 15 minutes'],
    [14 * 60 + 1, '请 15 分钟后再试', 'try again in 15 minutes'],
    [840, '请 14 分钟后再试', 'try again in 14 minutes'],
    [1, '请 1 分钟后再试', 'try again in 1 minute'],
  ])('when the wait is %i s, then the message says "%s" / "%s"', (sec, zh, en) => {
    const text = lockedOutMessage(sec);
    expect(text).toContain(zh);
    expect(text.endsWith(en)).toBe(true);
    expect(text.indexOf(zh)).toBeLessThan(text.indexOf(' / '));
  });
});
