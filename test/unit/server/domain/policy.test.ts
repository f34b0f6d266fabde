import { describe, expect, it } from 'vitest';
import { addDaytime } from '../../../../server/domain/daytime.js';
import { checkPolicy, DEFAULT_POLICY, type ResponsePolicy } from '../../../../server/domain/policy.js';

const MAX_SEC = 7 * 86_400;

const SECOND_FIELDS = [
  'tier2AfterSec',
  'tier3AfterSec',
  'unacknowledgedRepeatSec',
  'acknowledgedRemindAfterSec',
  'acknowledgedRepeatSec',
  'serviceUnclaimedSec',
  'missedCheckInEscalateSec',
  'missedCheckInRepeatSec',
  'callRepeatSec',
] as const;
type SecondField = (typeof SECOND_FIELDS)[number];

/** The accepted policy, or the test fails with the reason. */
function accepted(input: unknown, base?: ResponsePolicy): ResponsePolicy {
  const result = base === undefined ? checkPolicy(input) : checkPolicy(input, base);
  if (!result.ok) throw new Error(`expected the policy to be accepted, got: ${result.reason}`);
  return result.value;
}

/** The refusal's reason, or the test fails. */
function refused(input: unknown, base?: ResponsePolicy): string {
  const result = base === undefined ? checkPolicy(input) : checkPolicy(input, base);
  if (result.ok) throw new Error(`expected the policy to be refused, got: ${JSON.stringify(result.value)}`);
  return result.reason;
}

describe('DEFAULT_POLICY', () => {
  it.each<[keyof ResponsePolicy, number | string, string]>([
    ['tier2AfterSec', 60, 'red unacknowledged after 60 s → tier 2'],
    ['tier3AfterSec', 180, '… after 180 s → tier 3'],
    ['unacknowledgedRepeatSec', 15 * 60, 'then announced again every 15 min'],
    ['acknowledgedRemindAfterSec', 45 * 60, 'acknowledged but not resolved after 45 min → reminder'],
    ['acknowledgedRepeatSec', 15 * 60, '… and again every 15 min'],
    ['serviceUnclaimedSec', 4 * 3_600, 'yellow unclaimed for 4 h in the daytime → reminder'],
    ['daytimeStart', '08:00', 'the daytime window starts at 08:00'],
    ['daytimeEnd', '20:00', '… and ends at 20:00'],
    ['missedCheckInEscalateSec', 3_600, 'a missed check-in goes to tier 2 after an hour'],
    ['missedCheckInRepeatSec', 3_600, '… then reminds every hour'],
    ['callRepeatSec', 60, 'an open red: the phones are called again every minute'],
  ])('when the default %s is read, then it is %s (%s)', (field, value) => {
    expect(DEFAULT_POLICY[field]).toBe(value);
  });

  it('when the defaults are listed, then there are exactly the eleven known fields', () => {
    expect(Object.keys(DEFAULT_POLICY).sort()).toEqual([...SECOND_FIELDS, 'daytimeStart', 'daytimeEnd'].sort());
  });

  it('when someone tries to change the defaults, then they cannot', () => {
    expect(Object.isFrozen(DEFAULT_POLICY)).toBe(true);
  });

  it('when the defaults are checked, then they pass their own check', () => {
    expect(accepted({ ...DEFAULT_POLICY })).toEqual(DEFAULT_POLICY);
  });
});

describe('checkPolicy: accepted', () => {
  it('when the input is empty, then the answer is the defaults, frozen', () => {
    const value = accepted({});
    expect(value).toEqual(DEFAULT_POLICY);
    expect(Object.isFrozen(value)).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a faster tier 2', { tier2AfterSec: 30 }],
    ['a slower tier 3', { tier3AfterSec: 600 }],
    ['both tiers together', { tier2AfterSec: 120, tier3AfterSec: 300 }],
    ['tier 2 one second before the default tier 3', { tier2AfterSec: 179 }],
    ['reminders every 5 min', { unacknowledgedRepeatSec: 300, acknowledgedRepeatSec: 300 }],
    ['a 30-minute reminder after acknowledgement', { acknowledgedRemindAfterSec: 1_800 }],
    ['a 2-hour service limit', { serviceUnclaimedSec: 7_200 }],
    ['a different daytime window', { daytimeStart: '07:30', daytimeEnd: '21:45' }],
    ['the widest daytime window', { daytimeStart: '00:00', daytimeEnd: '23:59' }],
    ['a one-hour daytime window', { daytimeStart: '12:00', daytimeEnd: '13:00' }],
    ['only the start moved', { daytimeStart: '09:00' }],
    ['missed check-in steps', { missedCheckInEscalateSec: 1_800, missedCheckInRepeatSec: 7_200 }],
  ])('when the input overrides %s, then those fields change and the rest are the defaults', (_name, input) => {
    expect(accepted(input)).toEqual({ ...DEFAULT_POLICY, ...input });
  });

  it.each<[string, Record<string, number>]>([
    // The tiers are bounded by each other too: tier 2 is at most 7 days − 1 s, tier 3 at least 2 s.
    ['tier 2 at 1 s', { tier2AfterSec: 1 }],
    ['tier 2 at its highest (7 days − 1 s, tier 3 at 7 days)', { tier2AfterSec: MAX_SEC - 1, tier3AfterSec: MAX_SEC }],
    ['tier 3 at its lowest (2 s, tier 2 at 1 s)', { tier2AfterSec: 1, tier3AfterSec: 2 }],
    ['tier 3 at 7 days', { tier3AfterSec: MAX_SEC }],
    ...SECOND_FIELDS.filter((f) => f !== 'tier2AfterSec' && f !== 'tier3AfterSec').flatMap(
      (field): [string, Record<string, number>][] => [
        [`${field} at 1 s`, { [field]: 1 }],
        [`${field} at 7 days`, { [field]: MAX_SEC }],
      ],
    ),
  ])('when %s (a bound), then it is accepted', (_name, input) => {
    expect(accepted(input)).toEqual({ ...DEFAULT_POLICY, ...input });
  });

  it('when a base is given, then the overrides apply on top of it, not on the defaults', () => {
    const base = accepted({ tier2AfterSec: 30, tier3AfterSec: 90, daytimeStart: '09:00' });
    expect(accepted({ tier3AfterSec: 120 }, base)).toEqual({
      ...DEFAULT_POLICY,
      tier2AfterSec: 30,
      tier3AfterSec: 120,
      daytimeStart: '09:00',
    });
  });

  it('when a policy is checked, then neither the input, the base nor the defaults change', () => {
    const input = { tier2AfterSec: 30 };
    const base = accepted({ serviceUnclaimedSec: 600 });
    const before = { ...base };
    accepted(input, base);
    expect(input).toEqual({ tier2AfterSec: 30 });
    expect(base).toEqual(before);
    expect(DEFAULT_POLICY.tier2AfterSec).toBe(60);
  });

  it('when the input carries inherited properties, then only its own fields count', () => {
    const input = Object.create({ bogus: 1, tier2AfterSec: 0 }) as Record<string, unknown>;
    input['tier3AfterSec'] = 240;
    expect(accepted(input)).toEqual({ ...DEFAULT_POLICY, tier3AfterSec: 240 });
  });
});

describe('checkPolicy: refused', () => {
  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a number', 60],
    ['a string', '{"tier2AfterSec":60}'],
    ['a boolean', true],
    ['an array', [60, 180]],
    ['an empty array', []],
  ])('when the input is %s, then it is refused as not an object', (_name, input) => {
    expect(refused(input)).toBe('policy must be an object');
  });

  const BAD_SECONDS: [string, unknown][] = [
    ['zero', 0],
    ['negative', -60],
    ['a fraction', 60.5],
    ['above 7 days', MAX_SEC + 1],
    ['unsafe', 2 ** 53],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a numeric string', '60'],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['an array', [60]],
    ['an object', { sec: 60 }],
  ];
  it.each<[SecondField, string, unknown]>(
    SECOND_FIELDS.flatMap((field) =>
      BAD_SECONDS.map(([name, value]): [SecondField, string, unknown] => [field, name, value]),
    ),
  )('when %s is %s, then it is refused naming the field', (field, _name, value) => {
    expect(refused({ [field]: value })).toBe(`${field} must be a whole number of seconds from 1 to ${MAX_SEC}`);
  });

  const BAD_TIMES: [string, unknown][] = [
    ['without a leading zero', '8:00'],
    ['24:00', '24:00'],
    ['minute 60', '08:60'],
    ['with seconds', '08:00:00'],
    ['without a colon', '0800'],
    ['with a space', ' 08:00'],
    ['with a trailing newline', '08:00\n'],
    ['empty', ''],
    ['a number', 8],
    ['null', null],
    ['full-width digits', '０８:００'],
  ];
  it.each<['daytimeStart' | 'daytimeEnd', string, unknown]>(
    (['daytimeStart', 'daytimeEnd'] as const).flatMap((field) =>
      BAD_TIMES.map(([name, value]): ['daytimeStart' | 'daytimeEnd', string, unknown] => [field, name, value]),
    ),
  )('when %s is %s, then it is refused naming the field', (field, _name, value) => {
    expect(refused({ [field]: value })).toBe(`${field} must be a time "HH:MM"`);
  });

  it.each<[string, Record<string, unknown>, ResponsePolicy | undefined]>([
    ['tier 2 moved onto the default tier 3', { tier2AfterSec: 180 }, undefined],
    ['tier 2 moved after the default tier 3', { tier2AfterSec: 600 }, undefined],
    ['tier 3 moved onto the default tier 2', { tier3AfterSec: 60 }, undefined],
    ['tier 3 moved before the default tier 2', { tier3AfterSec: 30 }, undefined],
    ['both, in the wrong order', { tier2AfterSec: 300, tier3AfterSec: 200 }, undefined],
    ['both equal', { tier2AfterSec: 120, tier3AfterSec: 120 }, undefined],
    [
      'tier 3 before the base tier 2',
      { tier3AfterSec: 100 },
      { ...DEFAULT_POLICY, tier2AfterSec: 100, tier3AfterSec: 400 },
    ],
  ])('when %s, then it is refused (tier 3 must be later than tier 2)', (_name, input, base) => {
    expect(refused(input, base)).toBe('tier3AfterSec must be later than tier2AfterSec');
  });

  it.each<[string, Record<string, unknown>]>([
    ['empty (start = end)', { daytimeStart: '12:00', daytimeEnd: '12:00' }],
    ['the start moved onto the default end', { daytimeStart: '20:00' }],
    // addDaytime (daytime.ts) refuses a window whose end is not after its start; a policy
    // that passes here and then throws on every yellow press would stop ingest.
    ['overnight (start after end)', { daytimeStart: '20:00', daytimeEnd: '08:00' }],
    ['the start moved after the default end', { daytimeStart: '21:00' }],
    ['an end at midnight written 00:00', { daytimeEnd: '00:00' }],
  ])('when the daytime window is %s, then it is refused', (_name, input) => {
    expect(refused(input)).toMatch(/daytime/);
  });

  it.each<[string, unknown]>([
    ['an unknown field', { snoozeSec: 60 }],
    ['a field in the wrong case', { Tier2AfterSec: 60 }],
    ['a field from the check-in policy', { graceSec: 7_200 }],
    ['a known field and an unknown one', { tier2AfterSec: 30, extra: true }],
    ['__proto__ as an own key (as JSON.parse makes it)', JSON.parse('{"__proto__":{"tier2AfterSec":1}}') as unknown],
    ['constructor', { constructor: 1 }],
    ['toString', { toString: 'x' }],
  ])('when the input has %s, then it is refused naming the field', (_name, input) => {
    expect(refused(input)).toMatch(/^unknown policy field "/);
  });

  it('when the unknown field is named, then its name is quoted as JSON', () => {
    expect(refused({ 'a"b': 1 })).toBe('unknown policy field "a\\"b"');
  });
});

describe('checkPolicy and addDaytime agree', () => {
  // An accepted policy must never make the alert use case throw: every yellow press calls
  // addDaytime(now, serviceUnclaimedSec, {daytimeStart, daytimeEnd}) in the household's zone.
  it.each<[string, Record<string, unknown>]>([
    ['the defaults', {}],
    [
      'the widest window and the longest wait',
      { daytimeStart: '00:00', daytimeEnd: '23:59', serviceUnclaimedSec: MAX_SEC },
    ],
    [
      'a one-hour window and the longest wait',
      { daytimeStart: '12:00', daytimeEnd: '13:00', serviceUnclaimedSec: MAX_SEC },
    ],
    ['a one-minute window and the default wait', { daytimeStart: '12:00', daytimeEnd: '12:01' }],
    [
      'a one-minute window and the longest wait',
      { daytimeStart: '12:00', daytimeEnd: '12:01', serviceUnclaimedSec: MAX_SEC },
    ],
  ])('when %s is accepted, then a service due time can be computed', (_name, input) => {
    const result = checkPolicy(input);
    if (!result.ok) return; // refusing is a valid answer; accepting and then throwing is not
    const policy = result.value;
    const from = Date.parse('2026-11-25T19:00:00+08:00');
    const due = addDaytime(
      from,
      policy.serviceUnclaimedSec,
      { start: policy.daytimeStart, end: policy.daytimeEnd },
      'Asia/Shanghai',
    );
    expect(due).toBeGreaterThan(from);
  });
});

describe('checkPolicy: the daytime window is at least an hour', () => {
  it.each([
    ['12:00', '12:01'],
    ['12:00', '12:59'],
  ])('when the window is %s–%s, then it is refused (the longest wait would not fit in 400 days)', (start, end) => {
    expect(checkPolicy({ daytimeStart: start, daytimeEnd: end })).toEqual({
      ok: false,
      reason: 'the daytime window must be at least one hour long',
    });
  });
});
