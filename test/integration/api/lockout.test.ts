import { describe, expect, it } from 'vitest';
import { LOGIN_LIMITS } from '../../../server/api/login-throttle.js';
import { expectError, type InjectResponse } from '../../helpers/api.js';
import { ManualClock } from '../../helpers/clock.js';
import { startTestSystem, TEST_ADMIN_PASSWORD, type TestSystem } from '../../helpers/system.js';

// A lockout a passer-by cannot use (issue 15, point 6): wrong passwords typed at a shared wall
// lock that name at that wall only. Through app.inject() against the whole system, the caller's
// address set per request (the throttle's key); a manual clock.

const T0 = Date.parse('2026-12-01T09:00:00+08:00');
const WALL = '10.20.0.7';
const OFFICE = '10.20.0.8';

function loginFrom(s: TestSystem, address: string, username: string, password: string): Promise<InjectResponse> {
  return s.app.inject({ method: 'POST', url: '/api/session', remoteAddress: address, payload: { username, password } });
}

describe('lockout per name and address', () => {
  it('when someone types 5 wrong admin passwords at the wall, then the admin is refused at the wall, told to wait in minutes, and still logs in from the office', async () => {
    const clock = new ManualClock(T0);
    const s = await startTestSystem({ scheduler: false, clock });
    for (let i = 0; i < LOGIN_LIMITS.perUserAtAddress; i++)
      expectError(await loginFrom(s, WALL, 'admin', `guess ${i}`), 401, 'RIBBON_ERR_BAD_CREDENTIALS');
    clock.ms = T0 + 60_000;
    const refused = await loginFrom(s, WALL, 'admin', TEST_ADMIN_PASSWORD);
    const error = expectError(refused, 429, 'RIBBON_ERR_RATE_LIMITED');
    expect(refused.headers['retry-after']).toBe(String(14 * 60));
    expect(error.message).toBe('尝试次数过多，请 14 分钟后再试 / too many attempts; try again in 14 minutes');
    expect(error.message).not.toMatch(/秒|second/);

    const office = await loginFrom(s, OFFICE, 'admin', TEST_ADMIN_PASSWORD);
    expect(office.statusCode, office.body).toBe(200);
    // The office's success does not forgive the wall's guesses.
    expect((await loginFrom(s, WALL, 'admin', TEST_ADMIN_PASSWORD)).statusCode).toBe(429);
    // Fifteen minutes after the first guess, the wall may try again.
    clock.ms = T0 + LOGIN_LIMITS.windowMs;
    expect((await loginFrom(s, WALL, 'admin', TEST_ADMIN_PASSWORD)).statusCode).toBe(200);
  });
});
