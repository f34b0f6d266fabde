import { describe, expect, it } from 'vitest';
import {
  isDuplicatePress,
  REDELIVERY_WINDOW_MS,
  type DedupeKey,
  type EarlierPress,
} from '../../../../server/domain/dedupe.js';

const NOW = Date.parse('2026-11-25T08:00:00Z');
const MIN = 60_000;
const ago = (ms: number): number => NOW - ms;

describe('isDuplicatePress', () => {
  it('when the window is read, then it is 10 minutes (in ms)', () => {
    expect(REDELIVERY_WINDOW_MS).toBe(600_000);
  });

  it.each<[string, DedupeKey, EarlierPress, boolean]>([
    // With boot, (device, boot, seq) is the key: the same key is the same press, whenever it came.
    [
      'with boot, the same key a second ago',
      { seq: 42, boot: 7, state: 'red' },
      { state: 'red', receivedAt: ago(1000) },
      true,
    ],
    [
      'with boot, the same key a day ago',
      { seq: 42, boot: 7, state: 'red' },
      { state: 'red', receivedAt: ago(24 * 60 * MIN) },
      true,
    ],
    [
      'with boot, the same key a year ago',
      { seq: 1, boot: 0, state: 'blue' },
      { state: 'blue', receivedAt: ago(365 * 24 * 60 * MIN) },
      true,
    ],
    [
      'with boot, the same key but another state',
      { seq: 42, boot: 7, state: 'red' },
      { state: 'blue', receivedAt: ago(MIN) },
      true,
    ],
    ['with boot, no earlier press', { seq: 42, boot: 7, state: 'red' }, null, false],
    // Without boot, only a redelivery (same state, within the window) is a duplicate.
    [
      'without boot, the same state just now',
      { seq: 1, boot: null, state: 'red' },
      { state: 'red', receivedAt: NOW },
      true,
    ],
    [
      'without boot, the same state 9 min 59 s ago',
      { seq: 1, boot: null, state: 'red' },
      { state: 'red', receivedAt: ago(10 * MIN - 1000) },
      true,
    ],
    [
      'without boot, the same state exactly 10 min ago',
      { seq: 1, boot: null, state: 'red' },
      { state: 'red', receivedAt: ago(10 * MIN) },
      true,
    ],
    [
      'without boot, the same state 10 min + 1 ms ago',
      { seq: 1, boot: null, state: 'red' },
      { state: 'red', receivedAt: ago(10 * MIN + 1) },
      false,
    ],
    [
      'without boot, a rebooted device reusing seq 1 an hour later',
      { seq: 1, boot: null, state: 'red' },
      { state: 'red', receivedAt: ago(60 * MIN) },
      false,
    ],
    [
      'without boot, another state within the window',
      { seq: 1, boot: null, state: 'red' },
      { state: 'blue', receivedAt: ago(MIN) },
      false,
    ],
    [
      'without boot, yellow after red at once',
      { seq: 9, boot: null, state: 'yellow' },
      { state: 'red', receivedAt: NOW },
      false,
    ],
    ['without boot, no earlier press', { seq: 1, boot: null, state: 'red' }, null, false],
    // Without seq (the bare word) nothing can be told apart: every message is a press.
    [
      'no seq, no boot, the same state just now',
      { seq: null, boot: null, state: 'red' },
      { state: 'red', receivedAt: NOW },
      false,
    ],
    [
      'no seq, with boot, the same state just now',
      { seq: null, boot: 3, state: 'red' },
      { state: 'red', receivedAt: NOW },
      false,
    ],
  ])('when %s, then duplicate is %s', (_name, incoming, earlier, duplicate) => {
    expect(isDuplicatePress(incoming, earlier, NOW)).toBe(duplicate);
  });
});
