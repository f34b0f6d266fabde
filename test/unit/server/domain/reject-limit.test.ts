import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REJECT_LIMITS,
  overLimitReason,
  overLimitReasonKey,
  type RejectTally,
  replaceReasonPart,
  tallyReject,
} from '../../../../server/domain/reject-limit.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** 2026-11-25 10:00 in Shanghai: the fake now. */
const T0 = Date.parse('2026-11-25T10:00:00+08:00');
const LIMITS = { keepPerDevice: 3, windowMs: HOUR };

/** `n` unreadable messages one minute apart from T0 (or `at`), each decided on the last tally. */
function run(n: number, start: RejectTally | null = null, at = T0) {
  let tally = start;
  const decisions: Array<{ keep: boolean; overLimit: boolean }> = [];
  for (let i = 0; i < n; i++) {
    const d = tallyReject('d1', tally, LIMITS, at + i * MIN);
    tally = d.tally;
    decisions.push({ keep: d.keep, overLimit: d.overLimit });
  }
  return { tally: tally as RejectTally, decisions };
}

describe('the named defaults', () => {
  it('when the defaults are read, then they are the documented ones (100 per device per hour, 50,000 rows)', () => {
    expect(DEFAULT_REJECT_LIMITS).toEqual({ keepPerDevice: 100, windowMs: HOUR, maxRows: 50_000 });
  });
});

describe('keeping the first ones, counting the rest', () => {
  it('when a device sends its first unreadable messages, then the first keepPerDevice are kept and the rest only counted, the first of them over the limit', () => {
    const { tally, decisions } = run(6);
    expect(decisions).toEqual([
      { keep: true, overLimit: false },
      { keep: true, overLimit: false },
      { keep: true, overLimit: false },
      { keep: false, overLimit: true },
      { keep: false, overLimit: false },
      { keep: false, overLimit: false },
    ]);
    expect(tally).toEqual({
      deviceId: 'd1',
      since: T0,
      total: 6,
      counted: 3,
      windowStart: T0,
      keptInWindow: 3,
      countedInWindow: 3,
      lastAt: T0 + 5 * MIN,
    });
  });

  it.each<[string, number, boolean]>([
    ['one minute before the window ends', HOUR - MIN, false],
    ['the moment the window ends', HOUR, true],
    ['a day later', 24 * HOUR, true],
    ['the clock stepped back', -MIN, true],
  ])('when the next one comes %s, then it is kept: %s', (_, offset, kept) => {
    const { tally } = run(4);
    const d = tallyReject('d1', tally, LIMITS, T0 + offset);
    expect(d.keep).toBe(kept);
    expect(d.tally.total).toBe(5);
    // The count never restarts: "since" is the first one ever.
    expect(d.tally.since).toBe(T0);
    if (kept) expect(d.tally).toMatchObject({ windowStart: T0 + offset, keptInWindow: 1, countedInWindow: 0 });
  });

  it('when a new window fills up again, then its first message past the limit is over the limit once more', () => {
    const first = run(5);
    const second = run(5, first.tally, T0 + 2 * HOUR);
    expect(second.decisions.map((d) => d.overLimit)).toEqual([false, false, false, true, false]);
    expect(second.tally).toMatchObject({ total: 10, counted: 4, since: T0 });
  });
});

describe('the reason on the device alert', () => {
  it('when a device is over its limit, then the reason says how many since when, Chinese first, and starts with its key', () => {
    const { tally } = run(48);
    const reason = overLimitReason(tally, LIMITS);
    expect(reason.startsWith(overLimitReasonKey('d1'))).toBe(true);
    expect(reason).toContain('共 48 条');
    expect(reason).toContain('device d1 sent 48 unreadable messages since 2026-11-25T02:00:00.000Z');
    expect(reason).toContain('only the first 3 per 1 h are kept');
  });

  it.each<[string | null, string]>([
    [null, 'K 9'],
    ['offline', 'K 9; offline'],
    ['K 3; offline', 'K 9; offline'],
    ['unreadable message: bad JSON; K 3', 'K 9; unreadable message: bad JSON'],
  ])('when the reason is %j, then the count part is replaced and put first: %j', (reason, expected) => {
    expect(replaceReasonPart(reason, 'K ', 'K 9', '; ')).toBe(expected);
  });
});
