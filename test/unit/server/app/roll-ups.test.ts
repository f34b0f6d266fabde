import { describe, expect, it } from 'vitest';
import { share } from '../../../../server/app/daily-report.js';
import { addFigures, emptyFigures, type Figures } from '../../../../server/app/roll-ups.js';

// Adding two places' figures (app/roll-ups.ts): counts add, and a share adds by its count and
// its denominator — never by averaging percentages — with the verdict worked out from the sums.

function withAck60(count: number, of: number): Figures {
  const f = emptyFigures();
  return { ...f, emergency: { ...f.emergency, opened: of, ackWithin60s: share(count, of, 97.5) } };
}

describe('adding figures', () => {
  it.each([
    // 1 of 1 (100 %) and 38 of 39 (97.4 %): 39 of 40 is 97.5 %, met — an average of the two would say 98.7 %.
    [1, 1, 38, 39, { count: 39, of: 40, pct: 97.5, targetPct: 97.5, met: true }],
    // 0 of 1 and 39 of 39: 39 of 40, met; 0 of 0 adds nothing and keeps no verdict of its own.
    [0, 1, 39, 39, { count: 39, of: 40, pct: 97.5, targetPct: 97.5, met: true }],
    [0, 0, 2, 3, { count: 2, of: 3, pct: 66.7, targetPct: 97.5, met: false }],
    [0, 0, 0, 0, { count: 0, of: 0, pct: null, targetPct: 97.5, met: null }],
  ])('when %i of %i and %i of %i are added, then the share is %j', (c1, o1, c2, o2, expected) => {
    const sum = addFigures(withAck60(c1, o1), withAck60(c2, o2));
    expect(sum.emergency.ackWithin60s).toEqual(expected);
    expect(sum.emergency.opened).toBe(o1 + o2);
  });

  it('when a place with nothing is added, then the figures are unchanged', () => {
    const f: Figures = {
      ...withAck60(3, 4),
      households: 10,
      coverage: share(7, 10, null),
      heard: share(9, 10, null),
      devices: 11,
      devicesOffline: 2,
      openAlerts: { emergency: 1, service: 2, missed_checkin: 3, device: 4 },
      alertsOpened: { emergency: 4, service: 5, missed_checkin: 6, device: 7 },
      missedCheckins: 6,
    };
    expect(addFigures(f, emptyFigures())).toEqual(f);
    expect(addFigures(emptyFigures(), f)).toEqual(f);
  });
});
