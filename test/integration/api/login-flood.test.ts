import { describe, expect, it } from 'vitest';
import { connectDevice } from '../../../device-sim/device.js';
import { LOGIN_LIMITS } from '../../../server/api/login-throttle.js';
import { PASSWORD_HASHING, passwordHashPool } from '../../../server/app/passwords.js';
import { expectError, makeCast, TEST_USER_PASSWORD, type InjectResponse } from '../../helpers/api.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// Logins sent all at once (issue 12): the throttle counts an attempt before its hash, hashing
// goes through a bounded pool whose full queue answers 503 at once, and a press's PUBACK is not
// held up by the hashing (scrypt and the WAL sync share libuv's thread pool). Through
// app.inject() against the whole system; the press over real MQTT on loopback.

function system(): Promise<TestSystem> {
  return startTestSystem({ scheduler: false });
}

/** A login from `address` (app.inject's remote address: the throttle's key). */
function loginFrom(s: TestSystem, address: string, username: string, password: string): Promise<InjectResponse> {
  return s.app.inject({ method: 'POST', url: '/api/session', remoteAddress: address, payload: { username, password } });
}

function statuses(responses: InjectResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
  return counts;
}

/** Waits (turn by turn of the event loop, bounded) until `ready()`; fails if it never is. */
async function until(ready: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000 && !ready(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!ready()) throw new Error(`never: ${what}`);
}

describe('logins at once', () => {
  it('when 50 wrong passwords for one user start at once, then only the limit are checked and the rest are 429 before any hashing', async () => {
    const s = await system();
    const cast = await makeCast(s);
    const before = passwordHashPool.stats().started;
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => loginFrom(s, '10.1.0.1', cast.users.staffA.username, `guess ${i}`)),
    );
    expect(statuses(responses)).toEqual({
      401: LOGIN_LIMITS.perUserAtAddress,
      429: 50 - LOGIN_LIMITS.perUserAtAddress,
    });
    expect(passwordHashPool.stats().started - before).toBe(LOGIN_LIMITS.perUserAtAddress);
    for (const r of responses.filter((x) => x.statusCode === 429)) {
      expectError(r, 429, 'RIBBON_ERR_RATE_LIMITED');
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    }
    // The right password is refused too now from this address, not from another (issue 15).
    expect((await loginFrom(s, '10.1.0.1', cast.users.staffA.username, TEST_USER_PASSWORD)).statusCode).toBe(429);
    expect((await loginFrom(s, '10.1.0.2', cast.users.staffA.username, TEST_USER_PASSWORD)).statusCode).toBe(200);
  });

  it('when an address has 15 failures and 50 more logins with any names start at once, then only 5 more are checked and the rest are 429', async () => {
    const s = await system();
    const first = LOGIN_LIMITS.perAddress - 5;
    // Fewer at once than the hashing pool holds (its full queue answers 503 and is not counted).
    expect(first).toBeLessThanOrEqual(PASSWORD_HASHING.concurrency + PASSWORD_HASHING.queueLimit);
    const earlier = await Promise.all(
      Array.from({ length: first }, (_, i) => loginFrom(s, '10.2.0.1', `someone-${i}`, 'guess')),
    );
    expect(statuses(earlier)).toEqual({ 401: first });
    const before = passwordHashPool.stats().started;
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => loginFrom(s, '10.2.0.1', `nobody-${i}`, 'guess')),
    );
    expect(statuses(responses)).toEqual({ 401: 5, 429: 45 });
    expect(passwordHashPool.stats().started - before).toBe(5);
  });

  it('when a user logs in more times than the address limit, then every login succeeds (a success is not an attempt held against the address)', async () => {
    const s = await system();
    const cast = await makeCast(s);
    for (let i = 0; i <= LOGIN_LIMITS.perAddress; i++)
      expect((await loginFrom(s, '10.3.0.1', cast.users.volunteerA.username, TEST_USER_PASSWORD)).statusCode).toBe(200);
    // And a success forgives the name's failures, as before: 4 failures, a success, 4 more, a success.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < LOGIN_LIMITS.perUserAtAddress - 1; i++)
        expect((await loginFrom(s, '10.3.0.2', cast.users.staffA.username, `guess ${i}`)).statusCode).toBe(401);
      expect((await loginFrom(s, '10.3.0.2', cast.users.staffA.username, TEST_USER_PASSWORD)).statusCode).toBe(200);
    }
  });

  it('when the hashing queue is full, then a login answers 503 with retry-after at once, is not counted, and later logins are checked again', async () => {
    const s = await system();
    const cast = await makeCast(s);
    const capacity = PASSWORD_HASHING.concurrency + PASSWORD_HASHING.queueLimit;
    const n = capacity + 10;
    const finishedBefore = passwordHashPool.stats().finished;
    /** How many hashes had finished when each answer came: 0 for an answer given at once. */
    const finishedAtAnswer: number[] = [];
    const responses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        loginFrom(s, `10.4.0.${i + 1}`, `nobody-${i}`, 'guess').then((r) => {
          finishedAtAnswer[i] = passwordHashPool.stats().finished - finishedBefore;
          return r;
        }),
      ),
    );
    expect(statuses(responses)).toEqual({ 401: capacity, 503: n - capacity });
    responses.forEach((r, i) => {
      if (r.statusCode !== 503) return;
      const error = expectError(r, 503, 'RIBBON_ERR_BUSY');
      expect(error.message).toMatch(/busy/);
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(finishedAtAnswer[i], 'a 503 waits for no hash').toBe(0);
    });
    // Logged once, not once a refusal.
    const lines = s.logs.lines.filter((l) => l.msg === 'logins refused: hashing is busy');
    expect(lines).toHaveLength(1);
    // A refused address was not charged: with the queue free again it logs in.
    const refusedAt = responses.findIndex((r) => r.statusCode === 503);
    const ok = await loginFrom(s, `10.4.0.${refusedAt + 1}`, cast.users.staffA.username, TEST_USER_PASSWORD);
    expect(ok.statusCode).toBe(200);
  });
});

describe('a press during a login flood', () => {
  it("when 100 logins arrive at once, then a red press's PUBACK still comes within 1 s while they are hashed", async () => {
    const s = await system();
    const d = s.provision();
    const button = await connectDevice({ url: s.mqttUrl, id: d.id, secret: d.secret });
    // One login first, so nothing is left to compute once (a cache would make the flood look light).
    expect((await loginFrom(s, '10.5.0.1', 'nobody', 'guess')).statusCode).toBe(401);
    await button.press('blue');
    const startedBefore = passwordHashPool.stats().started;
    const flood = Promise.all(
      Array.from({ length: 100 }, (_, i) => loginFrom(s, `10.6.${i >> 8}.${(i & 255) + 1}`, `nobody-${i}`, 'guess')),
    );
    await until(() => passwordHashPool.stats().started > startedBefore, 'hashing began');
    const t0 = performance.now();
    await button.press('red');
    const pubackMs = performance.now() - t0;
    // Before the pool (issue 12) all 100 scrypts held libuv's four threads: about 7 s here.
    expect(pubackMs).toBeLessThan(1000);
    expect(passwordHashPool.stats().running).toBeGreaterThan(0);
    await flood;
    await button.close();
  });
});
