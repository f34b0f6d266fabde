import { afterEach, describe, expect, it } from 'vitest';
import {
  parseHeartbeatPayload,
  parseOnlinePayload,
  parseStatePayload,
  type StateReport,
} from '../../../../server/domain/payload.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

const NOT_RIBBON = 'state must be "red", "yellow" or "blue"';
const NOT_JSON = 'payload is neither a ribbon word nor JSON';
const NOT_OBJECT = 'JSON payload is not an object';
const SEQ_DROPPED = 'seq dropped: not a whole number from 0 to 2^53-1';
const BOOT_DROPPED = 'boot dropped: not a whole number from 0 to 2^53-1';
const BATTERY_DROPPED = 'battery dropped: not a number from 0 to 100';
const AT_DROPPED = 'at dropped: not an ISO 8601 time';

function press(fields: Partial<StateReport> & Pick<StateReport, 'state'>): StateReport {
  return { seq: null, boot: null, deviceAt: null, battery: null, warnings: [], ...fields };
}

describe('parseStatePayload: the bare-word form', () => {
  it.each([
    ['red', 'red'],
    ['yellow', 'yellow'],
    ['blue', 'blue'],
    ['  red  ', 'red'],
    ['yellow\n', 'yellow'],
    ['\r\n\tblue \r\n', 'blue'],
    ['\uFEFFred', 'red'],
  ] as const)('when the payload is %j, then it is a %s press with nothing to deduplicate on', (payload, state) => {
    expect(parseStatePayload(text(payload))).toEqual({ ok: true, value: press({ state }) });
  });

  it.each(['RED', 'Red', 'rouge', 'red blue', 'r e d', 'redd'])(
    'when the payload is the unknown word %j, then it is refused as neither a word nor JSON',
    (payload) => {
      expect(parseStatePayload(text(payload))).toEqual({ ok: false, reason: NOT_JSON });
    },
  );
});

describe('parseStatePayload: the JSON form', () => {
  it('when every field is given, then every field is kept without warnings', () => {
    const payload = '{"state":"red","seq":42,"boot":7,"at":"2026-11-25T08:00:00+08:00","battery":87}';
    expect(parseStatePayload(text(payload))).toEqual({
      ok: true,
      value: press({ state: 'red', seq: 42, boot: 7, deviceAt: '2026-11-25T08:00:00+08:00', battery: 87 }),
    });
  });

  it.each([
    ['{"state":"yellow"}', press({ state: 'yellow' })],
    ['{"state":"blue","seq":0}', press({ state: 'blue', seq: 0 })],
    ['{"state":"red","seq":1,"boot":0}', press({ state: 'red', seq: 1, boot: 0 })],
    ['{"state":"red","seq":9007199254740991}', press({ state: 'red', seq: 9007199254740991 })],
    ['{"state":"red","seq":null,"boot":null,"at":null,"battery":null}', press({ state: 'red' })],
    ['  {"state":"red","seq":3}\n', press({ state: 'red', seq: 3 })],
    ['{"state":"red","at":"2026-11-25T00:00:00Z"}', press({ state: 'red', deviceAt: '2026-11-25T00:00:00Z' })],
    ['{"state":"red","battery":0}', press({ state: 'red', battery: 0 })],
    ['{"state":"red","battery":100}', press({ state: 'red', battery: 100 })],
    ['{"state":"red","battery":87.4}', press({ state: 'red', battery: 87 })],
    ['{"state":"red","battery":87.5}', press({ state: 'red', battery: 88 })],
    ['{"state":"red","firmware":"1.2","extra":{"a":1}}', press({ state: 'red' })],
    ['{"state":"red","seq":5,"state":"blue"}', press({ state: 'blue', seq: 5 })],
  ] as const)('when the payload is %s, then the press is %j', (payload, expected) => {
    expect(parseStatePayload(text(payload))).toEqual({ ok: true, value: expected });
  });
});

describe('parseStatePayload: unreadable payloads are refused with a reason', () => {
  it.each([
    ['empty', bytes(), 'empty payload'],
    ['a lone continuation byte', bytes(0x80), 'payload is not UTF-8 text'],
    ['Latin-1 "é"', bytes(0x72, 0xe9, 0x64), 'payload is not UTF-8 text'],
    ['an overlong encoding of "/"', bytes(0xc0, 0xaf), 'payload is not UTF-8 text'],
    ['a UTF-16LE "red"', bytes(0xff, 0xfe, 0x72, 0x00, 0x65, 0x00, 0x64, 0x00), 'payload is not UTF-8 text'],
    ['a truncated 3-byte sequence', bytes(0xe4, 0xb8), 'payload is not UTF-8 text'],
    ['binary zeros', bytes(0x00, 0x01, 0x02, 0x03), NOT_JSON],
    ['whitespace only', text(' \n\t '), NOT_JSON],
    ['a broken JSON object', text('{"state":"red"'), NOT_JSON],
    ['single-quoted JSON', text("{'state':'red'}"), NOT_JSON],
    ['a JSON array', text('["red"]'), NOT_OBJECT],
    ['an empty JSON array', text('[]'), NOT_OBJECT],
    ['a JSON number', text('42'), NOT_OBJECT],
    ['JSON null', text('null'), NOT_OBJECT],
    ['JSON true', text('true'), NOT_OBJECT],
    ['a JSON string "red"', text('"red"'), NOT_OBJECT],
    ['an object without state', text('{"seq":1}'), NOT_RIBBON],
    ['an empty object', text('{}'), NOT_RIBBON],
    ['an unknown state', text('{"state":"green","seq":1}'), NOT_RIBBON],
    ['the state in upper case', text('{"state":"RED","seq":1}'), NOT_RIBBON],
    ['the state in mixed case', text('{"state":"Blue"}'), NOT_RIBBON],
    ['the state with spaces', text('{"state":" red"}'), NOT_RIBBON],
    ['a numeric state', text('{"state":1}'), NOT_RIBBON],
    ['a state array', text('{"state":["red"]}'), NOT_RIBBON],
    ['a null state', text('{"state":null}'), NOT_RIBBON],
  ])('when the payload is %s, then it is refused', (_name, payload, reason) => {
    expect(parseStatePayload(payload)).toEqual({ ok: false, reason });
  });
});

describe('parseStatePayload: bad optional fields are dropped with a warning, the press is kept', () => {
  it.each([
    ['seq 1e400 (Infinity)', '"seq":1e400', { seq: null }, [SEQ_DROPPED]],
    ['seq 2^64', '"seq":18446744073709551616', { seq: null }, [SEQ_DROPPED]],
    ['seq 2^53', '"seq":9007199254740992', { seq: null }, [SEQ_DROPPED]],
    ['a negative seq', '"seq":-1', { seq: null }, [SEQ_DROPPED]],
    ['a fractional seq', '"seq":1.5', { seq: null }, [SEQ_DROPPED]],
    ['seq as a string', '"seq":"42"', { seq: null }, [SEQ_DROPPED]],
    ['seq as an object', '"seq":{"n":1}', { seq: null }, [SEQ_DROPPED]],
    ['seq as a boolean', '"seq":true', { seq: null }, [SEQ_DROPPED]],
    ['a negative boot', '"seq":4,"boot":-3', { seq: 4, boot: null }, [BOOT_DROPPED]],
    ['boot 1e400', '"seq":4,"boot":1e400', { seq: 4, boot: null }, [BOOT_DROPPED]],
    ['a fractional boot', '"seq":4,"boot":0.5', { seq: 4, boot: null }, [BOOT_DROPPED]],
    ['battery 101', '"battery":101', { battery: null }, [BATTERY_DROPPED]],
    ['battery -1', '"battery":-1', { battery: null }, [BATTERY_DROPPED]],
    ['battery 1e400', '"battery":1e400', { battery: null }, [BATTERY_DROPPED]],
    ['battery as a string', '"battery":"87"', { battery: null }, [BATTERY_DROPPED]],
    ['at not a time', '"at":"yesterday"', { deviceAt: null }, [AT_DROPPED]],
    ['at an impossible date', '"at":"2026-13-45T08:00:00Z"', { deviceAt: null }, [AT_DROPPED]],
    ['at empty', '"at":""', { deviceAt: null }, [AT_DROPPED]],
    ['at a number', '"at":1764028800000', { deviceAt: null }, [AT_DROPPED]],
    ['at an object', '"at":{"t":1}', { deviceAt: null }, [AT_DROPPED]],
    ['at over 64 characters', `"at":"2026-11-25T08:00:00.${'0'.repeat(60)}Z"`, { deviceAt: null }, [AT_DROPPED]],
    [
      'everything bad at once',
      '"seq":-1,"boot":"x","battery":200,"at":"soon"',
      {},
      [SEQ_DROPPED, BOOT_DROPPED, BATTERY_DROPPED, AT_DROPPED],
    ],
  ] as const)(
    'when the payload has %s, then the red press is kept and the field dropped',
    (_name, fields, kept, warnings) => {
      const result = parseStatePayload(text(`{"state":"red",${fields}}`));
      expect(result).toEqual({ ok: true, value: press({ state: 'red', ...kept, warnings: [...warnings] }) });
    },
  );

  // V8's legacy date parser accepts strings that are not ISO 8601 times at all ("1" is
  // 2001-01-01), so `at` is checked against the ISO 8601 grammar first.
  it.each(['1', 'hello 1', 'Tuesday 5', 'x 2026'])(
    'when at is the non-time %j, then it is dropped with a warning',
    (at) => {
      const result = parseStatePayload(text(JSON.stringify({ state: 'red', at })));
      expect(result).toEqual({ ok: true, value: press({ state: 'red', warnings: [AT_DROPPED] }) });
    },
  );
});

describe('parseStatePayload: prototype keys', () => {
  afterEach(() => {
    // A polluted prototype would leak into every later test; clean it and fail loudly.
    for (const key of ['state', 'seq', 'polluted']) {
      if (Object.hasOwn(Object.prototype, key)) {
        delete (Object.prototype as Record<string, unknown>)[key];
        throw new Error(`Object.prototype.${key} was polluted`);
      }
    }
  });

  it.each([
    '{"__proto__":{"state":"red"}}',
    '{"constructor":{"prototype":{"state":"red"}}}',
    '{"__proto__":{"state":"red","seq":1},"constructor":{"state":"red"}}',
  ])('when the payload is %s, then it is not a press and nothing is polluted', (payload) => {
    expect(parseStatePayload(text(payload))).toEqual({ ok: false, reason: NOT_RIBBON });
    expect(({} as Record<string, unknown>)['state']).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'state')).toBe(false);
  });

  it('when a red press carries __proto__ fields, then they are neither read as fields nor pollute', () => {
    const payload = '{"state":"red","__proto__":{"seq":5,"battery":50,"polluted":true}}';
    expect(parseStatePayload(text(payload))).toEqual({ ok: true, value: press({ state: 'red' }) });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['seq']).toBeUndefined();
  });
});

describe('parseStatePayload: inherited properties', () => {
  it('when Object.prototype was polluted elsewhere, then inherited fields are not read as the payload', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto['state'] = 'red';
    proto['seq'] = 99;
    try {
      expect(parseStatePayload(text('{}'))).toEqual({ ok: false, reason: NOT_RIBBON });
      expect(parseStatePayload(text('{"state":"blue"}'))).toEqual({ ok: true, value: press({ state: 'blue' }) });
    } finally {
      delete proto['state'];
      delete proto['seq'];
    }
  });
});

describe('parseHeartbeatPayload', () => {
  it.each([
    ['{"battery":87}', 87],
    ['{"battery":0}', 0],
    ['{"battery":100}', 100],
    ['{"battery":42.6}', 43],
    [' {"battery":5,"extra":"x"} \n', 5],
  ])('when the payload is %s, then the battery is %i', (payload, battery) => {
    expect(parseHeartbeatPayload(text(payload))).toEqual({
      ok: true,
      value: { battery, model: null, firmware: null, warnings: [] },
    });
  });

  it('when a heartbeat says its model and firmware, then they are read; bad ones are dropped with a warning, the battery kept', () => {
    expect(parseHeartbeatPayload(text('{"battery":80,"model":"RB-3 Pro","fw":"1.4.2"}'))).toEqual({
      ok: true,
      value: { battery: 80, model: 'RB-3 Pro', firmware: '1.4.2', warnings: [] },
    });
    for (const bad of ['""', '" RB"', '"x\\u0000y"', '"型号"', `"${'a'.repeat(33)}"`, '42', '{}']) {
      expect(parseHeartbeatPayload(text(`{"battery":80,"model":${bad},"fw":${bad}}`))).toEqual({
        ok: true,
        value: {
          battery: 80,
          model: null,
          firmware: null,
          warnings: [
            'model dropped: not 1–32 printable ASCII characters',
            'fw dropped: not 1–32 printable ASCII characters',
          ],
        },
      });
    }
    expect(parseHeartbeatPayload(text(`{"battery":80,"model":"${'a'.repeat(32)}"}`))).toMatchObject({
      value: { model: 'a'.repeat(32) },
    });
  });

  const NEEDS_BATTERY = 'heartbeat needs battery: a number from 0 to 100';
  it.each([
    ['empty', bytes(), 'empty payload'],
    ['not UTF-8', bytes(0xff), 'payload is not UTF-8 text'],
    ['not JSON', text('battery=87'), NOT_JSON],
    ['a JSON number', text('87'), NOT_OBJECT],
    ['a JSON array', text('[87]'), NOT_OBJECT],
    ['JSON null', text('null'), NOT_OBJECT],
    ['an object without battery', text('{}'), NEEDS_BATTERY],
    ['a null battery', text('{"battery":null}'), NEEDS_BATTERY],
    ['battery 101', text('{"battery":101}'), NEEDS_BATTERY],
    ['battery -0.6', text('{"battery":-0.6}'), NEEDS_BATTERY],
    ['battery 1e400', text('{"battery":1e400}'), NEEDS_BATTERY],
    ['battery as a string', text('{"battery":"87"}'), NEEDS_BATTERY],
    ['battery only under __proto__', text('{"__proto__":{"battery":87}}'), NEEDS_BATTERY],
  ])('when the payload is %s, then it is refused', (_name, payload, reason) => {
    expect(parseHeartbeatPayload(payload)).toEqual({ ok: false, reason });
  });
});

describe('parseOnlinePayload', () => {
  it.each([
    ['1', true],
    ['0', false],
    [' 1\n', true],
    ['0\r\n', false],
  ])('when the payload is %j, then online is %s', (payload, online) => {
    expect(parseOnlinePayload(text(payload))).toEqual({ ok: true, value: { online } });
  });

  const ONE_OR_ZERO = 'online must be "1" or "0"';
  it.each([
    ['empty', bytes(), 'empty payload'],
    ['not UTF-8', bytes(0xc3), 'payload is not UTF-8 text'],
    ['"true"', text('true'), ONE_OR_ZERO],
    ['"2"', text('2'), ONE_OR_ZERO],
    ['"01"', text('01'), ONE_OR_ZERO],
    ['"1.0"', text('1.0'), ONE_OR_ZERO],
    ['the byte 0x01', bytes(0x01), ONE_OR_ZERO],
    ['JSON', text('{"online":1}'), ONE_OR_ZERO],
  ])('when the payload is %s, then it is refused', (_name, payload, reason) => {
    expect(parseOnlinePayload(payload)).toEqual({ ok: false, reason });
  });
});
