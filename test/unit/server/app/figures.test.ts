import { describe, expect, it } from 'vitest';
import { ACK_BUCKETS, ackBucketOf, ackHistogram, countsPerLocalDay } from '../../../../server/app/daily-report.js';
import type { OpenedAlert } from '../../../../server/app/ports.js';

// The figures page's histogram and per-day counts (GET /api/figures): pure functions, fake times.

const S = 1000;
const MIN = 60 * S;
const T0 = Date.parse('2026-03-01T09:00:00+08:00');

function alert(kind: OpenedAlert['kind'], ackAfterMs: number | null, openedAt = T0): OpenedAlert {
  return {
    compoundId: 1,
    kind,
    openedAt,
    acknowledgedAt: ackAfterMs === null ? null : openedAt + ackAfterMs,
    arrivedAt: null,
  };
}

describe('the time-to-acknowledge bucket', () => {
  it.each([
    [0, 'le30s'],
    [-2 * S, 'le30s'], // a clock step backwards: earliest bucket, never dropped
    [30 * S, 'le30s'],
    [30 * S + 1, 'le60s'],
    [60 * S, 'le60s'],
    [60 * S + 1, 'le2min'],
    [2 * MIN, 'le2min'],
    [2 * MIN + 1, 'le3min'],
    [3 * MIN, 'le3min'],
    [3 * MIN + 1, 'le5min'],
    [5 * MIN, 'le5min'],
    [5 * MIN + 1, 'le15min'],
    [15 * MIN, 'le15min'],
    [15 * MIN + 1, 'gt15min'],
    [7 * 24 * 60 * MIN, 'gt15min'],
    [null, 'never'],
  ] as const)('when it took %s ms, then it is in %s', (ms, bucket) => {
    expect(ackBucketOf(ms)).toBe(bucket);
  });

  it('when the buckets are listed, then their limits run on without gaps: each starts where the previous one ends', () => {
    const timed = ACK_BUCKETS.filter((b) => b.bucket !== 'never');
    for (const [i, b] of timed.entries()) {
      if (i === 0) expect(b.minMs).toBeNull();
      else expect(b.minMs).toBe(timed[i - 1]?.maxMs);
    }
    expect(timed.at(-1)?.maxMs).toBeNull();
  });
});

describe('the histogram', () => {
  it('when a period has emergencies and other alerts, then only emergencies are counted, every bucket is present, and the counts add up to the emergencies', () => {
    const alerts = [
      alert('emergency', 10 * S),
      alert('emergency', 30 * S),
      alert('emergency', 45 * S),
      alert('emergency', 4 * MIN),
      alert('emergency', 20 * MIN),
      alert('emergency', null),
      alert('emergency', null),
      alert('service', 10 * S),
      alert('missed_checkin', null),
    ];
    const bars = ackHistogram(alerts);
    expect(bars.map((b) => [b.bucket, b.count])).toEqual([
      ['le30s', 2],
      ['le60s', 1],
      ['le2min', 0],
      ['le3min', 0],
      ['le5min', 1],
      ['le15min', 0],
      ['gt15min', 1],
      ['never', 2],
    ]);
    expect(bars.reduce((n, b) => n + b.count, 0)).toBe(7);
    expect(bars[1]).toEqual({ bucket: 'le60s', minMs: 30_000, maxMs: 60_000, count: 1 });
  });

  it('when there were no emergencies, then every bucket is 0', () => {
    expect(ackHistogram([]).every((b) => b.count === 0)).toBe(true);
    expect(ackHistogram([])).toHaveLength(ACK_BUCKETS.length);
  });
});

describe('counts per local day', () => {
  it('when alerts open around local midnight (Asia/Shanghai, UTC+8), then each counts on its local day, every day is listed, and days outside the period are left out', () => {
    const lastInstantOfMarch1 = Date.parse('2026-03-01T15:59:59.999Z');
    const firstInstantOfMarch2 = Date.parse('2026-03-01T16:00:00.000Z');
    const alerts = [
      alert('emergency', 5 * S, lastInstantOfMarch1),
      alert('missed_checkin', null, lastInstantOfMarch1),
      alert('emergency', null, firstInstantOfMarch2),
      alert('service', null, firstInstantOfMarch2),
      alert('device', null, firstInstantOfMarch2),
      alert('emergency', 5 * S, Date.parse('2026-02-28T15:59:59.999Z')), // 2026-02-28 local: before the period
    ];
    expect(countsPerLocalDay(alerts, '2026-03-01', '2026-03-04', 'Asia/Shanghai')).toEqual([
      { day: '2026-03-01', emergencies: 1, missedCheckins: 1 },
      { day: '2026-03-02', emergencies: 1, missedCheckins: 0 },
      { day: '2026-03-03', emergencies: 0, missedCheckins: 0 },
      { day: '2026-03-04', emergencies: 0, missedCheckins: 0 },
    ]);
  });

  it('when the period crosses the end of February in a leap year, then 29 February is a day of it', () => {
    expect(countsPerLocalDay([], '2028-02-28', '2028-03-01', 'UTC').map((d) => d.day)).toEqual([
      '2028-02-28',
      '2028-02-29',
      '2028-03-01',
    ]);
  });

  it('when from and to are the same day, then there is one row', () => {
    expect(countsPerLocalDay([alert('missed_checkin', null)], '2026-03-01', '2026-03-01', 'Asia/Shanghai')).toEqual([
      { day: '2026-03-01', emergencies: 0, missedCheckins: 1 },
    ]);
  });
});
