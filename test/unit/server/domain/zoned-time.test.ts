import { describe, expect, it } from 'vitest';
import {
  localDateTime,
  addDays,
  isValidTimeZone,
  localDate,
  localParts,
  parseLocalDate,
  parseTimeOfDay,
  startOfLocalDay,
  zonedTimeToEpoch,
  type Disambiguation,
  type LocalParts,
  type WallTime,
} from '../../../../server/domain/zoned-time.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const MIN = 60_000;

const SHANGHAI = 'Asia/Shanghai';
const NEW_YORK = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const SANTIAGO = 'America/Santiago';

/** "2026-03-08 02:30" → wall-clock fields. */
function wall(text: string): WallTime {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/.exec(text);
  if (m === null) throw new Error(`bad wall time in test: ${text}`);
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4]), minute: Number(m[5]) };
}

const pad = (n: number): string => String(n).padStart(2, '0');
const wallText = (p: WallTime): string => `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;

describe('localParts', () => {
  it.each<[string, string, string, LocalParts]>([
    [
      'Shanghai on an ordinary morning',
      '2026-11-25T08:00:00+08:00',
      SHANGHAI,
      { year: 2026, month: 11, day: 25, hour: 8, minute: 0, second: 0, weekday: 3 },
    ],
    [
      'New York at the same instant (the day before)',
      '2026-11-25T08:00:00+08:00',
      NEW_YORK,
      { year: 2026, month: 11, day: 24, hour: 19, minute: 0, second: 0, weekday: 2 },
    ],
    [
      'Berlin at the same instant',
      '2026-11-25T08:00:00+08:00',
      BERLIN,
      { year: 2026, month: 11, day: 25, hour: 1, minute: 0, second: 0, weekday: 3 },
    ],
    [
      'Shanghai at midnight (hour 0, never 24)',
      '2026-01-01T00:00:00+08:00',
      SHANGHAI,
      { year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0, weekday: 4 },
    ],
    [
      'New York one second before spring-forward',
      '2026-03-08T06:59:59Z',
      NEW_YORK,
      { year: 2026, month: 3, day: 8, hour: 1, minute: 59, second: 59, weekday: 0 },
    ],
    [
      'New York at spring-forward',
      '2026-03-08T07:00:00Z',
      NEW_YORK,
      { year: 2026, month: 3, day: 8, hour: 3, minute: 0, second: 0, weekday: 0 },
    ],
    [
      'New York in the first 01:30 of fall-back',
      '2026-11-01T05:30:00Z',
      NEW_YORK,
      { year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0, weekday: 0 },
    ],
    [
      'New York in the second 01:30 of fall-back',
      '2026-11-01T06:30:00Z',
      NEW_YORK,
      { year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0, weekday: 0 },
    ],
    [
      'Berlin one second before spring-forward',
      '2026-03-29T00:59:59Z',
      BERLIN,
      { year: 2026, month: 3, day: 29, hour: 1, minute: 59, second: 59, weekday: 0 },
    ],
    [
      'Berlin at spring-forward',
      '2026-03-29T01:00:00Z',
      BERLIN,
      { year: 2026, month: 3, day: 29, hour: 3, minute: 0, second: 0, weekday: 0 },
    ],
    [
      'Shanghai on a leap day',
      '2028-02-29T12:00:00Z',
      SHANGHAI,
      { year: 2028, month: 2, day: 29, hour: 20, minute: 0, second: 0, weekday: 2 },
    ],
    [
      'Shanghai in 1900 (local mean time, +08:05:43)',
      '1900-06-01T00:00:00Z',
      SHANGHAI,
      { year: 1900, month: 6, day: 1, hour: 8, minute: 5, second: 43, weekday: 5 },
    ],
    [
      'UTC half a second before 1970',
      '1969-12-31T23:59:59.500Z',
      'UTC',
      { year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59, weekday: 3 },
    ],
  ])('when the instant is %s (%s in %s), then the wall clock is read', (_name, instant, zone, parts) => {
    expect(localParts(at(instant), zone)).toEqual(parts);
  });
});

describe('zonedTimeToEpoch', () => {
  it.each<[string, string, string, Disambiguation, string]>([
    ['an ordinary Shanghai morning', SHANGHAI, '2026-11-25 08:00', 'earlier', '2026-11-25T00:00:00.000Z'],
    ['Shanghai midnight on new year', SHANGHAI, '2026-01-01 00:00', 'earlier', '2025-12-31T16:00:00.000Z'],
    [
      'Shanghai, asking for the later of a time that happens once',
      SHANGHAI,
      '2026-11-25 08:00',
      'later',
      '2026-11-25T00:00:00.000Z',
    ],
    ['New York 01:59 before spring-forward (EST)', NEW_YORK, '2026-03-08 01:59', 'earlier', '2026-03-08T06:59:00.000Z'],
    ['New York 02:00 inside the gap → 03:00 EDT', NEW_YORK, '2026-03-08 02:00', 'earlier', '2026-03-08T07:00:00.000Z'],
    ['New York 02:30 inside the gap → 03:30 EDT', NEW_YORK, '2026-03-08 02:30', 'earlier', '2026-03-08T07:30:00.000Z'],
    [
      'New York 02:30 inside the gap, later asked → still 03:30 EDT',
      NEW_YORK,
      '2026-03-08 02:30',
      'later',
      '2026-03-08T07:30:00.000Z',
    ],
    ['New York 03:00 just after the gap (EDT)', NEW_YORK, '2026-03-08 03:00', 'earlier', '2026-03-08T07:00:00.000Z'],
    ['New York 00:59 before fall-back (EDT)', NEW_YORK, '2026-11-01 00:59', 'earlier', '2026-11-01T04:59:00.000Z'],
    ['New York 01:00 at fall-back, earlier (EDT)', NEW_YORK, '2026-11-01 01:00', 'earlier', '2026-11-01T05:00:00.000Z'],
    ['New York 01:00 at fall-back, later (EST)', NEW_YORK, '2026-11-01 01:00', 'later', '2026-11-01T06:00:00.000Z'],
    ['New York 01:30 at fall-back, earlier (EDT)', NEW_YORK, '2026-11-01 01:30', 'earlier', '2026-11-01T05:30:00.000Z'],
    ['New York 01:30 at fall-back, later (EST)', NEW_YORK, '2026-11-01 01:30', 'later', '2026-11-01T06:30:00.000Z'],
    ['New York 02:00 after fall-back (EST)', NEW_YORK, '2026-11-01 02:00', 'earlier', '2026-11-01T07:00:00.000Z'],
    ['Berlin 02:30 inside the gap → 03:30 CEST', BERLIN, '2026-03-29 02:30', 'earlier', '2026-03-29T01:30:00.000Z'],
    ['Berlin 02:30 at fall-back, earlier (CEST)', BERLIN, '2026-10-25 02:30', 'earlier', '2026-10-25T00:30:00.000Z'],
    ['Berlin 02:30 at fall-back, later (CET)', BERLIN, '2026-10-25 02:30', 'later', '2026-10-25T01:30:00.000Z'],
    [
      'Santiago midnight that does not exist → 01:00 -03',
      SANTIAGO,
      '2026-09-06 00:00',
      'earlier',
      '2026-09-06T04:00:00.000Z',
    ],
    [
      'Santiago 23:30 that happens twice, earlier (-03)',
      SANTIAGO,
      '2026-04-04 23:30',
      'earlier',
      '2026-04-05T02:30:00.000Z',
    ],
    [
      'Santiago 23:30 that happens twice, later (-04)',
      SANTIAGO,
      '2026-04-04 23:30',
      'later',
      '2026-04-05T03:30:00.000Z',
    ],
  ])('when the wall time is %s, then the instant is fixed', (_name, zone, text, disambiguation, expected) => {
    expect(iso(zonedTimeToEpoch(wall(text), zone, disambiguation))).toBe(expected);
  });

  it('when no disambiguation is given, then a repeated time is the earlier instant', () => {
    expect(iso(zonedTimeToEpoch(wall('2026-11-01 01:30'), NEW_YORK))).toBe('2026-11-01T05:30:00.000Z');
  });

  it.each<[string, WallTime]>([
    ['month 13', { year: 2026, month: 13, day: 1, hour: 0, minute: 0 }],
    ['February 30', { year: 2026, month: 2, day: 30, hour: 0, minute: 0 }],
    ['hour 24', { year: 2026, month: 1, day: 1, hour: 24, minute: 0 }],
    ['minute 60', { year: 2026, month: 1, day: 1, hour: 0, minute: 60 }],
    ['a fractional minute', { year: 2026, month: 1, day: 1, hour: 0, minute: 1.5 }],
  ])('when the fields are not a wall time (%s), then it throws a RangeError', (_name, fields) => {
    expect(() => zonedTimeToEpoch(fields, SHANGHAI)).toThrow(RangeError);
  });
});

describe('round trips across a year', () => {
  const ZONES = [SHANGHAI, NEW_YORK, BERLIN] as const;

  it.each(ZONES)(
    'when every 37th minute of 2026 in %s is read and turned back, then it is the same instant',
    (zone) => {
      const from = at('2026-01-01T00:00:00Z');
      const to = at('2027-01-01T00:00:00Z');
      let count = 0;
      const wrong: string[] = [];
      for (let t = from; t < to; t += 37 * MIN) {
        const p = localParts(t, zone);
        const earlier = zonedTimeToEpoch(p, zone, 'earlier');
        const later = zonedTimeToEpoch(p, zone, 'later');
        // An instant in the repeated fall-back hour is the later reading of its wall time.
        const back = earlier === t || later === t;
        const same =
          wallText(localParts(earlier, zone)) === wallText(p) && wallText(localParts(later, zone)) === wallText(p);
        if (!back || !same) wrong.push(iso(t));
        count += 1;
      }
      expect(wrong).toEqual([]);
      expect(count).toBeGreaterThan(14_000);
    },
  );

  // Also zones whose changes are not on a UTC hour (Lord Howe: 30 min at 15:00/15:30 UTC;
  // Kathmandu: +05:45) and one that changes at midnight (Santiago).
  it.each([...ZONES, 'Australia/Lord_Howe', 'Asia/Kathmandu', SANTIAGO])(
    'when every 53rd minute of 2026 in %s is read, then it agrees with Intl formatToParts field by field',
    (zone) => {
      const oracle = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        weekday: 'short',
      });
      const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
      const wrong: string[] = [];
      for (let t = at('2026-01-01T00:00:00Z'); t < at('2027-01-01T00:00:00Z'); t += 53 * MIN + 7_000) {
        const f = Object.fromEntries(oracle.formatToParts(t).map((part) => [part.type, part.value]));
        const expected: LocalParts = {
          year: Number(f['year']),
          month: Number(f['month']),
          day: Number(f['day']),
          hour: Number(f['hour']),
          minute: Number(f['minute']),
          second: Number(f['second']),
          weekday: WEEKDAYS.indexOf(f['weekday'] ?? ''),
        };
        if (JSON.stringify(localParts(t, zone)) !== JSON.stringify(expected)) wrong.push(iso(t));
      }
      expect(wrong).toEqual([]);
    },
  );

  it.each<[string, string[], string[]]>([
    [SHANGHAI, [], []],
    [NEW_YORK, ['2026-03-08 02:00', '2026-03-08 02:30'], ['2026-11-01 01:00', '2026-11-01 01:30']],
    [BERLIN, ['2026-03-29 02:00', '2026-03-29 02:30'], ['2026-10-25 02:00', '2026-10-25 02:30']],
  ])(
    'when every half hour of every day of 2026 in %s is turned into an instant and read back, then only the DST gap and repeat differ',
    (zone, gaps, repeats) => {
      const foundGaps: string[] = [];
      const foundRepeats: string[] = [];
      let date = '2026-01-01';
      while (date < '2027-01-01') {
        const [year, month, day] = date.split('-').map(Number) as [number, number, number];
        for (let minutes = 0; minutes < 24 * 60; minutes += 30) {
          const w: WallTime = { year, month, day, hour: Math.floor(minutes / 60), minute: minutes % 60 };
          const earlier = zonedTimeToEpoch(w, zone, 'earlier');
          const later = zonedTimeToEpoch(w, zone, 'later');
          const read = localParts(earlier, zone);
          if (wallText(read) !== wallText(w)) {
            foundGaps.push(wallText(w));
            // Shifted by exactly the gap's length (one hour in these zones).
            expect(earlier - zonedTimeToEpoch({ ...w, hour: w.hour - 1 }, zone)).toBe(60 * MIN);
          }
          if (earlier !== later) {
            foundRepeats.push(wallText(w));
            expect(later - earlier).toBe(60 * MIN);
          }
        }
        date = addDays(date, 1);
      }
      expect(foundGaps).toEqual(gaps);
      expect(foundRepeats).toEqual(repeats);
    },
  );
});

describe('localDateTime', () => {
  it.each([
    ['2026-11-25T01:05:00Z', 'Asia/Shanghai', '2026-11-25 09:05'],
    ['2026-11-24T16:00:00Z', 'Asia/Shanghai', '2026-11-25 00:00'],
    ['2026-03-29T00:59:00Z', 'Europe/Berlin', '2026-03-29 01:59'],
    ['2026-03-29T01:00:00Z', 'Europe/Berlin', '2026-03-29 03:00'],
  ])('%s in %s is %s', (instant, zone, expected) => {
    expect(localDateTime(Date.parse(instant), zone)).toBe(expected);
  });
});

describe('localDate', () => {
  it.each([
    ['2026-11-25T08:00:00+08:00', SHANGHAI, '2026-11-25'],
    ['2026-11-25T00:00:00+08:00', SHANGHAI, '2026-11-25'],
    ['2026-11-24T23:59:59.999+08:00', SHANGHAI, '2026-11-24'],
    ['2026-11-25T08:00:00+08:00', NEW_YORK, '2026-11-24'],
    ['2026-11-01T06:30:00Z', NEW_YORK, '2026-11-01'],
    ['2026-12-31T23:30:00Z', BERLIN, '2027-01-01'],
  ])('when the instant is %s in %s, then the local date is %s', (instant, zone, date) => {
    expect(localDate(at(instant), zone)).toBe(date);
  });
});

describe('addDays', () => {
  it.each<[string, number, string]>([
    ['2026-11-25', 0, '2026-11-25'],
    ['2026-11-25', 1, '2026-11-26'],
    ['2026-01-31', 1, '2026-02-01'],
    ['2026-02-28', 1, '2026-03-01'],
    ['2028-02-28', 1, '2028-02-29'],
    ['2000-02-28', 1, '2000-02-29'],
    ['2100-02-28', 1, '2100-03-01'],
    ['2026-12-31', 1, '2027-01-01'],
    ['2026-01-01', -1, '2025-12-31'],
    ['2026-03-01', -1, '2026-02-28'],
    ['2026-11-25', 365, '2027-11-25'],
    ['1970-01-01', 20_454, '2026-01-01'],
    ['1969-12-31', 1, '1970-01-01'],
    ['0099-12-31', 1, '0100-01-01'],
  ])('when %s is moved by %i days, then it is %s', (date, n, expected) => {
    expect(addDays(date, n)).toBe(expected);
  });

  it.each<[string, number]>([
    ['2026-02-30', 1],
    ['2026-11-25T00:00', 1],
    ['2026-11-25', 1.5],
  ])('when the date %j or count %d is bad, then it throws a RangeError', (date, n) => {
    expect(() => addDays(date, n)).toThrow(RangeError);
  });
});

describe('startOfLocalDay', () => {
  it.each([
    ['2026-11-25', SHANGHAI, '2026-11-24T16:00:00.000Z'],
    ['2026-03-08', NEW_YORK, '2026-03-08T05:00:00.000Z'],
    ['2026-03-09', NEW_YORK, '2026-03-09T04:00:00.000Z'],
    ['2026-11-01', NEW_YORK, '2026-11-01T04:00:00.000Z'],
    ['2026-03-29', BERLIN, '2026-03-28T23:00:00.000Z'],
    // Chile moves its clocks at midnight: that day starts at 01:00.
    ['2026-09-06', SANTIAGO, '2026-09-06T04:00:00.000Z'],
    ['2026-04-05', SANTIAGO, '2026-04-05T04:00:00.000Z'],
  ])('when the day is %s in %s, then it starts at %s', (date, zone, expected) => {
    expect(iso(startOfLocalDay(date, zone))).toBe(expected);
  });
});

describe('parseLocalDate', () => {
  it.each([
    ['2026-11-25', { year: 2026, month: 11, day: 25 }],
    ['2028-02-29', { year: 2028, month: 2, day: 29 }],
    ['0001-01-01', { year: 1, month: 1, day: 1 }],
    ['2026-02-29', null],
    ['2026-04-31', null],
    ['2026-13-01', null],
    ['2026-00-10', null],
    ['2026-01-00', null],
    ['0000-01-01', null],
    ['2026-1-5', null],
    ['26-01-05', null],
    ['2026-01-05T00:00', null],
    [' 2026-01-05', null],
    ['', null],
  ])('when the text is %j, then it reads %j', (text, expected) => {
    expect(parseLocalDate(text)).toEqual(expected);
  });
});

describe('parseTimeOfDay', () => {
  it.each<[string, number | null]>([
    ['00:00', 0],
    ['00:30', 30],
    ['07:05', 425],
    ['12:00', 720],
    ['23:59', 1439],
    ['24:00', null],
    ['7:00', null],
    ['07:60', null],
    ['07:0', null],
    ['0700', null],
    ['07:00:00', null],
    [' 07:00', null],
    ['07:00 ', null],
    ['-1:00', null],
    ['aa:bb', null],
    ['１２:００', null],
    ['', null],
  ])('when the text is %j, then it is %j minutes', (text, minutes) => {
    expect(parseTimeOfDay(text)).toBe(minutes);
  });
});

describe('isValidTimeZone', () => {
  it.each<[unknown, boolean]>([
    ['Asia/Shanghai', true],
    ['America/New_York', true],
    ['Europe/Berlin', true],
    ['UTC', true],
    ['Etc/GMT-8', true],
    ['Mars/Olympus_Mons', false],
    ['Asia/Shanghai ', false],
    ['+08:00', false],
    ['-05:00', false],
    ['', false],
    ['A'.repeat(65), false],
    [8, false],
    [null, false],
    [undefined, false],
  ])('when the zone is %j, then valid is %s', (zone, valid) => {
    expect(isValidTimeZone(zone)).toBe(valid);
  });
});
