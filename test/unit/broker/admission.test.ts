import { describe, expect, it } from 'vitest';
import { createBoundedLog, createLoginBudgets, createPendingSockets } from '../../../broker/admission.js';

const T0 = 1_764_028_800_000; // a fake `now`; only differences matter
const LIMITS = { connectBurst: 3, connectRatePerSec: 1, failedLoginBurst: 2, failedLoginRatePerSec: 1 };

/** `g` is a CONNECT with good credentials, `b` one with bad credentials, all from one address at T0. */
function run(attempts: string): string[] {
  const budgets = createLoginBudgets(LIMITS);
  return [...attempts].map((a) => budgets.judge('203.0.113.7', a === 'g', T0));
}

describe('createLoginBudgets: good and failed logins are budgeted apart', () => {
  it.each([
    ['ggg', ['connect', 'connect', 'connect']],
    ['gggg', ['connect', 'connect', 'connect', 'over-rate']],
    ['bb', ['refuse', 'refuse']],
    ['bbbb', ['refuse', 'refuse', 'refuse-quietly', 'refuse-quietly']],
    // A flood of bad credentials spends none of the good budget…
    [`${'b'.repeat(300)}ggg`, [...run('bb'), ...Array(298).fill('refuse-quietly'), 'connect', 'connect', 'connect']],
    // …and good logins spend none of the failed-login budget.
    ['gggbb', ['connect', 'connect', 'connect', 'refuse', 'refuse']],
    ['gbgbgbg', ['connect', 'refuse', 'connect', 'refuse', 'connect', 'refuse-quietly', 'over-rate']],
  ])('when one address sends %j, then the verdicts are %j', (attempts, verdicts) => {
    expect(run(attempts)).toEqual(verdicts);
  });

  it('when an address has used its failed-login budget, then another address still has its own', () => {
    const budgets = createLoginBudgets(LIMITS);
    for (let i = 0; i < 10; i++) budgets.judge('10.0.0.1', false, T0);
    expect(budgets.judge('10.0.0.1', false, T0)).toBe('refuse-quietly');
    expect(budgets.judge('10.0.0.2', false, T0)).toBe('refuse');
  });

  it.each([
    // [ms after the failed-login budget emptied, verdict of the next bad CONNECT]
    [0, 'refuse-quietly'],
    [999, 'refuse-quietly'],
    [1000, 'refuse'],
  ])('when %i ms pass after the failed-login budget emptied, then the next bad CONNECT is %s', (elapsed, verdict) => {
    const budgets = createLoginBudgets(LIMITS);
    budgets.judge('a', false, T0);
    budgets.judge('a', false, T0);
    expect(budgets.judge('a', false, T0 + elapsed)).toBe(verdict);
  });
});

describe('createPendingSockets: sockets count against their address from accept', () => {
  it.each([
    // [sockets opened, limit, accepted]
    [1, 3, [true]],
    [3, 3, [true, true, true]],
    [5, 3, [true, true, true, false, false]],
    [2, 1, [true, false]],
  ])('when an address opens %i sockets with a limit of %i, then the opens are %j', (n, limit, accepted) => {
    const pending = createPendingSockets(limit);
    expect(Array.from({ length: n }, () => pending.open('a'))).toEqual(accepted);
    expect(pending.count('a')).toBe(Math.min(n, limit));
  });

  it('when a counted socket is released, then its address may open one more, and an idle address is forgotten', () => {
    const pending = createPendingSockets(2);
    expect([pending.open('a'), pending.open('a'), pending.open('a')]).toEqual([true, true, false]);
    expect(pending.open('b')).toBe(true);
    pending.release('a');
    expect(pending.open('a')).toBe(true);
    expect(pending.open('a')).toBe(false);
    pending.release('b');
    expect(pending.addresses).toBe(1);
    pending.release('a');
    pending.release('a');
    expect(pending.addresses).toBe(0);
  });
});

describe('createBoundedLog: refusals logged at a bounded rate', () => {
  function logger() {
    const lines: Array<{ fields: { n: number; suppressed?: number }; msg: string }> = [];
    const log = createBoundedLog<{ n: number }>((fields, msg) => lines.push({ fields, msg }), { burst: 2, perSec: 1 });
    return { lines, log };
  }

  it('when a flood of one kind arrives at once, then only the burst is written', () => {
    const { lines, log } = logger();
    const written = Array.from({ length: 500 }, (_, n) => log.warn('flood', { n }, 'refused', T0));
    expect(written.filter(Boolean)).toHaveLength(2);
    expect(lines.map((l) => l.fields.n)).toEqual([0, 1]);
  });

  it('when lines were left out or skipped, then the next written line of that kind counts them', () => {
    const { lines, log } = logger();
    for (let n = 0; n < 5; n++) log.warn('flood', { n }, 'refused', T0);
    log.skip('flood');
    log.warn('other', { n: 99 }, 'another kind', T0);
    log.warn('flood', { n: 5 }, 'refused', T0 + 1000);
    expect(lines.map((l) => l.fields)).toEqual([{ n: 0 }, { n: 1 }, { n: 99 }, { n: 5, suppressed: 4 }]);
  });
});
