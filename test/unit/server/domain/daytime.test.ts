import { describe, expect, it } from 'vitest';
import { addDaytime, type DaytimeWindow } from '../../../../server/domain/daytime.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const HOUR_SEC = 3_600;

const SHANGHAI = 'Asia/Shanghai';
const NEW_YORK = 'America/New_York';

/** The default policy's window (docs/design.md §3: "4 h in the daytime"). */
const DAY: DaytimeWindow = { start: '08:00', end: '20:00' };

/** Shows the answer as UTC ISO, so a failure reads as two times. */
function due(from: string, seconds: number, window: DaytimeWindow = DAY, timeZone: string = SHANGHAI): string {
  return iso(addDaytime(at(from), seconds, window, timeZone));
}

describe('addDaytime: Shanghai, 08:00–20:00', () => {
  it.each<[string, string, number, string]>([
    // The header's own example: 1 h today, 3 h tomorrow morning.
    [
      'a yellow press at 19:00 with 4 h to wait',
      '2026-11-25T19:00:00+08:00',
      4 * HOUR_SEC,
      '2026-11-26T11:00:00+08:00',
    ],
    [
      'a press at 10:00 (all inside the window)',
      '2026-11-25T10:00:00+08:00',
      4 * HOUR_SEC,
      '2026-11-25T14:00:00+08:00',
    ],
    [
      'a press at 06:00 (before the window: the clock starts at 08:00)',
      '2026-11-25T06:00:00+08:00',
      4 * HOUR_SEC,
      '2026-11-25T12:00:00+08:00',
    ],
    ['a press just after midnight', '2026-11-25T00:30:00+08:00', 4 * HOUR_SEC, '2026-11-25T12:00:00+08:00'],
    ['a press exactly at the window start', '2026-11-25T08:00:00+08:00', 4 * HOUR_SEC, '2026-11-25T12:00:00+08:00'],
    [
      'a press exactly at the window end (none left today)',
      '2026-11-25T20:00:00+08:00',
      4 * HOUR_SEC,
      '2026-11-26T12:00:00+08:00',
    ],
    ['a press at 23:30 (after the window)', '2026-11-25T23:30:00+08:00', 4 * HOUR_SEC, '2026-11-26T12:00:00+08:00'],
    [
      'a wait that ends exactly at the window end',
      '2026-11-25T16:00:00+08:00',
      4 * HOUR_SEC,
      '2026-11-25T20:00:00+08:00',
    ],
    [
      'a wait one second longer than what is left today',
      '2026-11-25T16:00:00+08:00',
      4 * HOUR_SEC + 1,
      '2026-11-26T08:00:01+08:00',
    ],
    [
      'exactly one whole window from its start',
      '2026-11-25T08:00:00+08:00',
      12 * HOUR_SEC,
      '2026-11-25T20:00:00+08:00',
    ],
    [
      'milliseconds before the end (they carry over)',
      '2026-11-25T19:59:59.500+08:00',
      4 * HOUR_SEC,
      '2026-11-26T11:59:59.500+08:00',
    ],
    ['the shortest wait (1 s) inside the window', '2026-11-25T10:00:00+08:00', 1, '2026-11-25T10:00:01+08:00'],
    // Multi-day: 1 h Wed + 12 h Thu + 12 h Fri + 5 h Sat.
    [
      '30 h from 19:00 on a Wednesday (four days)',
      '2026-11-25T19:00:00+08:00',
      30 * HOUR_SEC,
      '2026-11-28T13:00:00+08:00',
    ],
    [
      'the policy maximum (7 days = 14 whole windows) from 08:00',
      '2026-11-25T08:00:00+08:00',
      7 * 24 * HOUR_SEC,
      '2026-12-08T20:00:00+08:00',
    ],
    ['across the end of a month and a year', '2026-12-31T19:00:00+08:00', 4 * HOUR_SEC, '2027-01-01T11:00:00+08:00'],
    ['across 29 February', '2028-02-28T19:00:00+08:00', 13 * HOUR_SEC + 3 * HOUR_SEC, '2028-03-01T11:00:00+08:00'],
  ])('when %s, then the due time is fixed', (_name, from, seconds, expected) => {
    expect(due(from, seconds)).toBe(iso(at(expected)));
  });

  it('when no time of the window is left, then the time before the window does not count', () => {
    // 06:00 → 12:00 and 08:00 → 12:00 are the same due: waiting before 08:00 is not daytime.
    expect(due('2026-11-25T06:00:00+08:00', 4 * HOUR_SEC)).toBe(due('2026-11-25T08:00:00+08:00', 4 * HOUR_SEC));
  });

  it.each<[string, string, number]>([
    ['09:00', '17:00', 8],
    ['08:00', '20:00', 12],
    ['00:00', '23:59', 23 + 59 / 60],
  ])(
    'when a day of waiting (%s–%s) starts at the window start, then it ends at the window end',
    (start, end, hours) => {
      const from = `2026-11-25T${start}:00+08:00`;
      expect(due(from, Math.round(hours * HOUR_SEC), { start, end })).toBe(iso(at(`2026-11-25T${end}:00+08:00`)));
    },
  );
});

describe('addDaytime: other windows', () => {
  it.each<[string, DaytimeWindow, string, number, string]>([
    [
      'a short window (09:30–11:45) over three days',
      { start: '09:30', end: '11:45' },
      '2026-11-25T19:00:00+08:00',
      4 * HOUR_SEC,
      '2026-11-27T11:15:00+08:00',
    ],
    [
      'the widest window, a press at its last minute',
      { start: '00:00', end: '23:59' },
      '2026-11-25T23:59:00+08:00',
      HOUR_SEC,
      '2026-11-26T01:00:00+08:00',
    ],
    [
      'the widest window, a press at midnight',
      { start: '00:00', end: '23:59' },
      '2026-11-25T00:00:00+08:00',
      HOUR_SEC,
      '2026-11-25T01:00:00+08:00',
    ],
    [
      'a one-minute window',
      { start: '12:00', end: '12:01' },
      '2026-11-25T12:00:30+08:00',
      90,
      '2026-11-26T12:01:00+08:00',
    ],
  ])('when %s, then the due time is fixed', (_name, window, from, seconds, expected) => {
    expect(due(from, seconds, window)).toBe(iso(at(expected)));
  });
});

describe('addDaytime: America/New_York across DST changes (elapsed daytime, local window)', () => {
  it.each<[string, DaytimeWindow, string, number, string]>([
    // 2026-03-08 02:00 EST → 03:00 EDT. The window stays 08:00–20:00 on the wall.
    [
      '19:00 EST the evening before spring-forward, 4 h',
      DAY,
      '2026-03-07T19:00:00-05:00',
      4 * HOUR_SEC,
      '2026-03-08T11:00:00-04:00',
    ],
    // A window that holds the change has one real hour less: 01:00 EST → 05:00 EDT is 3 h.
    [
      'a 01:00–05:00 window on spring-forward day, 3 h (all of it)',
      { start: '01:00', end: '05:00' },
      '2026-03-08T01:00:00-05:00',
      3 * HOUR_SEC,
      '2026-03-08T05:00:00-04:00',
    ],
    [
      'a 01:00–05:00 window on spring-forward day, 4 h (one more hour the next day)',
      { start: '01:00', end: '05:00' },
      '2026-03-08T01:00:00-05:00',
      4 * HOUR_SEC,
      '2026-03-09T02:00:00-04:00',
    ],
    // A window start in the gap (02:30 does not exist) is read as 03:30 EDT.
    [
      'a window starting in the spring-forward gap',
      { start: '02:30', end: '06:00' },
      '2026-03-08T00:00:00-05:00',
      HOUR_SEC,
      '2026-03-08T04:30:00-04:00',
    ],
    // 2026-11-01 02:00 EDT → 01:00 EST: a 00:00–04:00 window holds 5 real hours that day.
    [
      '19:00 EDT the evening before fall-back, 4 h',
      DAY,
      '2026-10-31T19:00:00-04:00',
      4 * HOUR_SEC,
      '2026-11-01T11:00:00-05:00',
    ],
    [
      'a 00:00–04:00 window on fall-back day, 4 h (ends at 03:00 EST)',
      { start: '00:00', end: '04:00' },
      '2026-11-01T00:00:00-04:00',
      4 * HOUR_SEC,
      '2026-11-01T03:00:00-05:00',
    ],
    [
      'a 00:00–04:00 window on fall-back day, 5 h (all of it)',
      { start: '00:00', end: '04:00' },
      '2026-11-01T00:00:00-04:00',
      5 * HOUR_SEC,
      '2026-11-01T04:00:00-05:00',
    ],
    [
      'a 00:00–04:00 window on fall-back day, 6 h (one more hour the next day)',
      { start: '00:00', end: '04:00' },
      '2026-11-01T00:00:00-04:00',
      6 * HOUR_SEC,
      '2026-11-02T01:00:00-05:00',
    ],
    [
      'a week of 08:00–20:00 from before spring-forward',
      DAY,
      '2026-03-05T08:00:00-05:00',
      7 * 12 * HOUR_SEC,
      '2026-03-11T20:00:00-04:00',
    ],
  ])('when %s, then the due time is fixed', (_name, window, from, seconds, expected) => {
    expect(due(from, seconds, window, NEW_YORK)).toBe(iso(at(expected)));
  });

  it('when the same instant is read in two zones, then each uses its own window', () => {
    // 2026-11-25 19:00 in Shanghai is 06:00 in New York: before the New York window.
    const from = '2026-11-25T19:00:00+08:00';
    expect(due(from, HOUR_SEC, DAY, SHANGHAI)).toBe(iso(at('2026-11-25T20:00:00+08:00')));
    expect(due(from, HOUR_SEC, DAY, NEW_YORK)).toBe(iso(at('2026-11-25T09:00:00-05:00')));
  });
});

describe('addDaytime: refusals', () => {
  it.each<[string, DaytimeWindow]>([
    ['an empty window (start = end)', { start: '08:00', end: '08:00' }],
    ['an overnight window (start after end)', { start: '20:00', end: '08:00' }],
    ['an end at midnight written 00:00', { start: '08:00', end: '00:00' }],
    ['a start without a leading zero', { start: '8:00', end: '20:00' }],
    ['an end at 24:00', { start: '08:00', end: '24:00' }],
    ['minutes out of range', { start: '08:00', end: '20:60' }],
    ['seconds in the time', { start: '08:00:00', end: '20:00' }],
    ['an empty start', { start: '', end: '20:00' }],
    ['a word', { start: 'morning', end: 'evening' }],
  ])('when the window is %s, then a RangeError is thrown', (_name, window) => {
    expect(() => addDaytime(at('2026-11-25T10:00:00+08:00'), HOUR_SEC, window, SHANGHAI)).toThrow(RangeError);
  });

  it('when the wait needs more than 400 days of windows, then a RangeError is thrown', () => {
    const oneMinute = { start: '12:00', end: '12:01' };
    expect(() => addDaytime(at('2026-11-25T10:00:00+08:00'), 401 * 60, oneMinute, SHANGHAI)).toThrow(RangeError);
  });

  it('when the wait needs exactly 400 days of windows, then it is answered', () => {
    const oneMinute = { start: '12:00', end: '12:01' };
    expect(due('2026-11-25T10:00:00+08:00', 400 * 60, oneMinute)).toBe(iso(at('2027-12-29T12:01:00+08:00')));
  });
});
