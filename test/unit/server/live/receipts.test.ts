import { describe, expect, it } from 'vitest';
import type { Change, ReceiptStatus } from '../../../../protocol/live.js';
import { createReceiptTracker, receiptView, UNRECORDED_KEEP_MS } from '../../../../server/live/receipts.js';

const T0 = 1_764_028_800_000; // a fake `now`; only differences matter

const receipt = (receiptId: number, householdId: number, status: ReceiptStatus, at = T0): Change => ({
  type: 'receipt',
  receiptId,
  householdId,
  deviceId: `d${householdId}`,
  status,
  at,
});
const report = (
  householdId: number,
  state: 'red' | 'yellow' | 'blue',
  source: 'device' | 'person' = 'device',
): Change => ({
  type: 'report',
  householdId,
  eventId: 1,
  state,
  source,
  at: T0,
});
const unsettled = (tracker: ReturnType<typeof createReceiptTracker>) =>
  [...tracker.unsettled()].map((r) => `${r.id}:${r.status}`);

describe('createReceiptTracker: which receipts a snapshot shows', () => {
  it.each<[string, Change[], string[]]>([
    ['a press on its way to disk', [receipt(1, 10, 'recording')], ['1:recording']],
    ['a press whose commit failed', [receipt(1, 10, 'recording'), receipt(1, 10, 'unrecorded')], ['1:unrecorded']],
    ['a press on disk', [receipt(1, 10, 'recording'), receipt(1, 10, 'recorded')], []],
    [
      'a failed press, then its resend on disk (another receipt of the household)',
      [receipt(1, 10, 'unrecorded'), receipt(2, 10, 'recording'), receipt(2, 10, 'recorded')],
      [],
    ],
    [
      'a failed press, then a red report of the household (a person)',
      [receipt(1, 10, 'unrecorded'), report(10, 'red', 'person')],
      [],
    ],
    [
      'a failed press, then a blue report of the household',
      [receipt(1, 10, 'unrecorded'), report(10, 'blue')],
      ['1:unrecorded'],
    ],
    [
      'a failed press, then a red report of another household',
      [receipt(1, 10, 'unrecorded'), report(11, 'red')],
      ['1:unrecorded'],
    ],
    [
      'presses of two households, one recorded',
      [receipt(1, 10, 'recording'), receipt(2, 11, 'recording'), receipt(1, 10, 'recorded')],
      ['2:recording'],
    ],
    ['a recorded receipt never seen before', [receipt(1, 10, 'recorded')], []],
    [
      'other changes',
      [
        { type: 'household', householdId: 10, at: T0 },
        { type: 'device', deviceId: 'd10', householdId: 10, online: true, at: T0 },
      ],
      [],
    ],
  ])('when %s, then the snapshot shows %j', (_, changes, expected) => {
    const tracker = createReceiptTracker();
    for (const c of changes) tracker.track(c);
    expect(unsettled(tracker)).toEqual(expected);
  });
});

describe('createReceiptTracker: an unsettled receipt is kept 24 h at most', () => {
  it.each([
    [0, true],
    [UNRECORDED_KEEP_MS - 1, true],
    [UNRECORDED_KEEP_MS, true],
    [UNRECORDED_KEEP_MS + 1, false],
  ])('when %i ms have passed since it arrived, then kept is %s', (elapsed, kept) => {
    const tracker = createReceiptTracker();
    tracker.track(receipt(1, 10, 'unrecorded', T0));
    tracker.expire(T0 + elapsed);
    expect(unsettled(tracker)).toEqual(kept ? ['1:unrecorded'] : []);
  });
});

describe('receiptView', () => {
  it('when a receipt is listed, then it is a red press with its compound and ISO time', () => {
    const view = receiptView({ id: 3, householdId: 10, deviceId: 'd', status: 'unrecorded', receivedAt: T0 }, 7);
    expect(view).toEqual({
      id: 3,
      householdId: 10,
      compoundId: 7,
      deviceId: 'd',
      state: 'red',
      status: 'unrecorded',
      receivedAt: new Date(T0).toISOString(),
    });
  });
});
