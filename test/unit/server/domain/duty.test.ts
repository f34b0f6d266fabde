import { describe, expect, it } from 'vitest';
import {
  checkShift,
  daysToMask,
  type DutyRoster,
  type DutyShift,
  mayBeOnCommunityRoster,
  mayBeOnRoster,
  maskToDays,
  nextChange,
  onDutyAt,
  parseDutyInstant,
  WEEKDAYS,
} from '../../../../server/domain/duty.js';

const SHANGHAI = 'Asia/Shanghai';
const NEW_YORK = 'America/New_York';
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

// People: 1 and 2 on days, 3 on nights, 4 a stand-in, 5 at weekends.
const WEEK: readonly DutyShift[] = [
  { days: [1, 2, 3, 4, 5], start: '08:00', end: '20:00', people: [1, 2] },
  { days: [1, 2, 3, 4, 5], start: '20:00', end: '08:00', people: [3] },
  { days: [6, 7], start: '09:00', end: '09:00', people: [5] },
];
const roster = (overrides: DutyRoster['overrides'] = []): DutyRoster => ({ shifts: WEEK, overrides });

// 2026-11-23 is a Monday; 2026-11-27 a Friday; 2026-11-28 a Saturday.
describe('onDutyAt: a weekly rotation in Shanghai', () => {
  it.each<[string, string, number[]]>([
    ['Monday 07:59 (before the first day shift; the Sunday 24 h shift still runs)', '2026-11-23T07:59:00+08:00', [5]],
    ['Monday 09:00, the day shift', '2026-11-23T09:00:00+08:00', [1, 2]],
    ['Monday 20:00 exactly: the night shift has taken over', '2026-11-23T20:00:00+08:00', [3]],
    ['Tuesday 03:00, Monday night past midnight', '2026-11-24T03:00:00+08:00', [3]],
    ['Tuesday 08:00: the night ends as the day starts', '2026-11-24T08:00:00+08:00', [1, 2]],
    ['Saturday 07:00, Friday night running into Saturday', '2026-11-28T07:00:00+08:00', [3]],
    ['Saturday 08:30, between Friday night and the weekend shift', '2026-11-28T08:30:00+08:00', []],
    ['Sunday 08:59, the Saturday 24 h shift', '2026-11-29T08:59:00+08:00', [5]],
  ])('when it is %s, then the people on duty are %j', (_name, when, people) => {
    expect(onDutyAt(roster(), at(when), SHANGHAI)).toEqual(people);
  });

  it('when there are no shifts, then nobody is on duty and nothing changes', () => {
    expect(onDutyAt({ shifts: [], overrides: [] }, at('2026-11-23T09:00:00+08:00'), SHANGHAI)).toEqual([]);
    expect(nextChange({ shifts: [], overrides: [] }, at('2026-11-23T09:00:00+08:00'), SHANGHAI)).toBeNull();
  });
});

describe('onDutyAt: overrides', () => {
  const swap = (personId: number, replacementId: number | null, from: string, to: string) => ({
    personId,
    replacementId,
    from: at(from),
    to: at(to),
  });

  it.each<[string, DutyRoster['overrides'], string, number[]]>([
    [
      'a swap that starts inside the night shift (3 → 4 from 23:00), before it starts',
      [swap(3, 4, '2026-11-23T23:00:00+08:00', '2026-11-24T08:00:00+08:00')],
      '2026-11-23T22:59:00+08:00',
      [3],
    ],
    [
      'the same swap once it has started',
      [swap(3, 4, '2026-11-23T23:00:00+08:00', '2026-11-24T08:00:00+08:00')],
      '2026-11-23T23:00:00+08:00',
      [4],
    ],
    [
      'the same swap at its end (exclusive)',
      [swap(3, 4, '2026-11-23T23:00:00+08:00', '2026-11-24T08:00:00+08:00')],
      '2026-11-24T08:00:00+08:00',
      [1, 2],
    ],
    [
      'a swap in force while the person is not on a shift puts nobody on',
      [swap(3, 4, '2026-11-23T00:00:00+08:00', '2026-11-30T00:00:00+08:00')],
      '2026-11-23T12:00:00+08:00',
      [1, 2],
    ],
    [
      'leave with nobody in place: the night shift is empty',
      [swap(3, null, '2026-11-23T20:00:00+08:00', '2026-11-24T08:00:00+08:00')],
      '2026-11-24T01:00:00+08:00',
      [],
    ],
    [
      'leave of one of two on the day shift',
      [swap(2, null, '2026-11-23T00:00:00+08:00', '2026-11-24T00:00:00+08:00')],
      '2026-11-23T12:00:00+08:00',
      [1],
    ],
    [
      'a swap to someone on leave leaves nobody in place',
      [
        swap(3, 4, '2026-11-23T20:00:00+08:00', '2026-11-24T08:00:00+08:00'),
        swap(4, null, '2026-11-23T00:00:00+08:00', '2026-11-25T00:00:00+08:00'),
      ],
      '2026-11-24T01:00:00+08:00',
      [],
    ],
    [
      'a swap to someone already on the shift counts them once',
      [swap(2, 1, '2026-11-23T00:00:00+08:00', '2026-11-24T00:00:00+08:00')],
      '2026-11-23T12:00:00+08:00',
      [1],
    ],
  ])('when %s, then the people on duty are %j', (_name, overrides, when, people) => {
    expect(onDutyAt(roster(overrides), at(when), SHANGHAI)).toEqual(people);
  });
});

describe('nextChange', () => {
  it.each<[string, DutyRoster, string, { at: string; people: number[] } | null]>([
    [
      'during the day shift: the night shift at 20:00',
      roster(),
      '2026-11-23T09:00:00+08:00',
      { at: '2026-11-23T20:00:00+08:00', people: [3] },
    ],
    [
      'during Friday night: nobody at 08:00 on Saturday (the gap before the weekend shift)',
      roster(),
      '2026-11-28T01:00:00+08:00',
      { at: '2026-11-28T08:00:00+08:00', people: [] },
    ],
    [
      'before a swap that starts inside the night shift: the swap itself',
      roster([
        { personId: 3, replacementId: 4, from: at('2026-11-23T23:00:00+08:00'), to: at('2026-11-24T03:00:00+08:00') },
      ]),
      '2026-11-23T21:00:00+08:00',
      { at: '2026-11-23T23:00:00+08:00', people: [4] },
    ],
    [
      'one person on duty all week, with leave a month ahead: the first shift of theirs in the leave',
      {
        shifts: [{ days: [...WEEKDAYS], start: '08:00', end: '08:00', people: [7] }],
        overrides: [
          {
            personId: 7,
            replacementId: null,
            from: at('2026-12-24T12:00:00+08:00'),
            to: at('2026-12-26T00:00:00+08:00'),
          },
        ],
      },
      '2026-11-23T09:00:00+08:00',
      { at: '2026-12-24T12:00:00+08:00', people: [] },
    ],
    [
      'the same person all week and no override: nothing ever changes',
      { shifts: [{ days: [...WEEKDAYS], start: '08:00', end: '08:00', people: [7] }], overrides: [] },
      '2026-11-23T09:00:00+08:00',
      null,
    ],
  ])('when %s', (_name, r, now, expected) => {
    const change = nextChange(r, at(now), SHANGHAI);
    expect(change === null ? null : { at: iso(change.at), people: change.people }).toEqual(
      expected === null ? null : { at: iso(at(expected.at)), people: expected.people },
    );
  });
});

describe('in a zone with daylight saving (New York), shifts keep their wall-clock times', () => {
  const night: DutyRoster = {
    shifts: [{ days: [...WEEKDAYS], start: '20:00', end: '08:00', people: [3] }],
    overrides: [],
  };

  it('when the clocks fall back on 2026-11-01, then Saturday night ends at 08:00 EST, 13 h after it began', () => {
    const start = at('2026-10-31T20:00:00-04:00');
    expect(onDutyAt(night, start, NEW_YORK)).toEqual([3]);
    const change = nextChange(night, start, NEW_YORK);
    expect(change).toEqual({ at: at('2026-11-01T08:00:00-05:00'), people: [] });
    expect(((change?.at ?? 0) - start) / 3_600_000).toBe(13);
  });

  it('when the same roster is read in Shanghai, then the night is 20:00–08:00 there', () => {
    expect(onDutyAt(night, at('2026-11-01T12:00:00Z'), NEW_YORK)).toEqual([3]); // 07:00 EST
    expect(onDutyAt(night, at('2026-11-01T12:00:00Z'), SHANGHAI)).toEqual([3]); // 20:00 CST
    expect(onDutyAt(night, at('2026-11-01T04:00:00Z'), SHANGHAI)).toEqual([]); // 12:00 CST
  });
});

describe('who may be on a roster', () => {
  it.each<[string, { tier: 1 | 2 | 3; compoundId: number | null; buildingId: number | null }, boolean]>([
    ['a tier 2 person of the compound', { tier: 2, compoundId: 10, buildingId: null }, true],
    ['a community-wide tier 2 person', { tier: 2, compoundId: null, buildingId: null }, true],
    ['a person of one building of the compound', { tier: 2, compoundId: 10, buildingId: 4 }, false],
    ['a person of another compound', { tier: 2, compoundId: 11, buildingId: null }, false],
    ['a person of another tier', { tier: 1, compoundId: 10, buildingId: null }, false],
  ])('when %s is put on compound 10 tier 2, then it is %s', (_name, person, ok) => {
    expect(mayBeOnRoster(person, 10, 2)).toBe(ok);
  });
});

describe('checking a shift and reading its parts', () => {
  it.each<[string, DutyShift, string[]]>([
    ['a good night shift', { days: [1, 5], start: '20:00', end: '08:00', people: [1] }, []],
    ['no days', { days: [], start: '20:00', end: '08:00', people: [1] }, ['s.days']],
    ['a day twice', { days: [1, 1], start: '20:00', end: '08:00', people: [1] }, ['s.days']],
    ['a time that is not HH:MM', { days: [1], start: '8:00', end: '24:00', people: [1] }, ['s.start', 's.end']],
    ['nobody', { days: [1], start: '08:00', end: '20:00', people: [] }, ['s.personIds']],
    ['a person twice', { days: [1], start: '08:00', end: '20:00', people: [2, 2] }, ['s.personIds']],
  ])('when the shift has %s, then the problems name %j', (_name, shift, paths) => {
    expect(checkShift(shift, 's').map((p) => p.path)).toEqual(paths);
  });

  it('when weekdays are stored as a mask and read back, then they are the same', () => {
    expect(daysToMask([1, 7])).toBe(0b1000001);
    expect(maskToDays(daysToMask([2, 3, 6]))).toEqual([2, 3, 6]);
  });

  it.each<[string, string, number | null]>([
    ['a local time, read in the zone', '2026-11-25T20:00', at('2026-11-25T20:00:00+08:00')],
    ['a time with an offset', '2026-11-25T20:00:00+01:00', at('2026-11-25T19:00:00Z')],
    ['a UTC time with milliseconds', '2026-11-25T12:00:00.500Z', at('2026-11-25T12:00:00.500Z')],
    ['a date that does not exist', '2026-02-30T08:00', null],
    ['an hour that does not exist', '2026-11-25T24:00', null],
    ['a date alone', '2026-11-25', null],
    ['words', 'tomorrow', null],
  ])('when an override bound is %s, then it reads as %s', (_name, text, expected) => {
    expect(parseDutyInstant(text, SHANGHAI)).toBe(expected);
  });
});

describe('who may be on a community’s roster (issue 14)', () => {
  // Community 3; compound 10 is in it, compound 20 in community 4.
  const of = (compoundId: number | null) => (compoundId === 10 ? 3 : compoundId === 20 ? 4 : undefined);
  it.each<
    [
      string,
      { tier: 1 | 2 | 3; compoundId: number | null; buildingId: number | null; communityId: number | null },
      boolean,
    ]
  >([
    ['the whole district’s person', { tier: 2, compoundId: null, buildingId: null, communityId: null }, true],
    ['this community’s person', { tier: 2, compoundId: null, buildingId: null, communityId: 3 }, true],
    ['another community’s person', { tier: 2, compoundId: null, buildingId: null, communityId: 4 }, false],
    [
      'a whole compound’s person of one of its compounds',
      { tier: 2, compoundId: 10, buildingId: null, communityId: null },
      true,
    ],
    [
      'a building’s volunteer of one of its compounds',
      { tier: 2, compoundId: 10, buildingId: 5, communityId: null },
      false,
    ],
    [
      'a compound’s person of another community',
      { tier: 2, compoundId: 20, buildingId: null, communityId: null },
      false,
    ],
    ['this community’s person of another tier', { tier: 1, compoundId: null, buildingId: null, communityId: 3 }, false],
  ])('when the person is %s, then whether they may be on it is %s', (_who, person, ok) => {
    expect(mayBeOnCommunityRoster(person, 3, of(person.compoundId), 2)).toBe(ok);
  });
});
