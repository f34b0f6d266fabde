import { describe, expect, it } from 'vitest';
import { formatLocalIso, matcherFromFields, parseAck, pressPayload } from '../../../device-sim/device-payload.js';

const NOW = new Date('2026-11-25T00:00:00Z');
const now = (): Date => NOW;

describe('pressPayload', () => {
  it.each([
    [
      'a device with boot, at given',
      7,
      3,
      { at: '2026-11-25T08:00:00+08:00' },
      { at: '2026-11-25T08:00:00+08:00', boot: 3 },
    ],
    ['a device without boot', 1, undefined, { at: '2026-11-25T08:00:00+08:00' }, { at: '2026-11-25T08:00:00+08:00' }],
    ['at left out', 2, 1, { at: null }, { boot: 1 }],
    ['a battery level', 2, 1, { at: null, battery: 41 }, { boot: 1, battery: 41 }],
    ['no at given', 5, 2, {}, { boot: 2, at: formatLocalIso(NOW) }],
  ])('when the press is for %s, then the JSON holds exactly what is known', (_what, seq, boot, extra, rest) => {
    expect(JSON.parse(pressPayload('red', seq, boot, extra, now))).toEqual({ state: 'red', seq, ...rest });
  });
});

describe('parseAck', () => {
  it.each([
    ['{"seq":4,"status":"recorded"}', { seq: 4, status: 'recorded' }],
    ['{"seq":null,"status":"recorded"}', { seq: null, status: 'recorded' }],
    ['{"status":"duplicate"}', { seq: null, status: 'duplicate' }],
    ['{"seq":1.5,"status":"recorded"}', undefined],
    ['{"seq":"1","status":"recorded"}', undefined],
    ['{"seq":1,"status":""}', undefined],
    ['{"seq":1}', undefined],
    ['[1]', undefined],
    ['null', undefined],
    ['not json', undefined],
  ])('when the ack topic carries %s, then it reads as %j', (payload, ack) => {
    expect(parseAck(Buffer.from(payload))).toEqual(ack);
  });
});

describe('matcherFromFields', () => {
  it.each([
    [{ seq: 4 }, { seq: 4, status: 'recorded' }, true],
    [{ seq: 4 }, { seq: 5, status: 'recorded' }, false],
    [{ status: 'recorded' }, { seq: null, status: 'recorded' }, true],
    [{ seq: 4, status: 'duplicate' }, { seq: 4, status: 'recorded' }, false],
    [{}, { seq: 9, status: 'anything' }, true],
  ])('when matching %j against %j, then %s', (fields, ack, matches) => {
    expect(matcherFromFields(fields)(ack)).toBe(matches);
  });
});

describe('formatLocalIso', () => {
  it.each([new Date('2026-11-25T00:00:00Z'), new Date('2026-06-30T23:59:59Z'), new Date('1999-12-31T12:34:56Z')])(
    'when %s is written in local time, then it has an offset and names the same second',
    (date) => {
      const text = formatLocalIso(date);
      expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
      expect(new Date(text).getTime()).toBe(date.getTime());
    },
  );
});
