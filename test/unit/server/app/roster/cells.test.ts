import { describe, expect, it } from 'vitest';
import {
  formatCheckIn,
  parseCheckIn,
  parseQuietHours,
  parseRole,
  parseTier,
} from '../../../../../server/app/roster/cells.js';

describe('check-in, quiet hours, roles and tiers', () => {
  it.each([
    ['', null],
    ['24h+2h', { kind: 'interval', everySec: 86_400, graceSec: 7_200 }],
    ['每24小时+2小时', { kind: 'interval', everySec: 86_400, graceSec: 7_200 }],
    ['every 12h + 30m', { kind: 'interval', everySec: 43_200, graceSec: 1_800 }],
    ['1d', { kind: 'interval', everySec: 86_400, graceSec: 0 }],
    ['1h30m+15min', { kind: 'interval', everySec: 5_400, graceSec: 900 }],
    ['30s', { kind: 'interval', everySec: 30, graceSec: 0 }],
    ['每日10:00', { kind: 'deadline', time: '10:00' }],
    ['每天 9:30', { kind: 'deadline', time: '09:30' }],
    ['daily 10:00', { kind: 'deadline', time: '10:00' }],
    ['Daily 23:59', { kind: 'deadline', time: '23:59' }],
    ['10:00', { kind: 'deadline', time: '10:00' }],
    ['每日１０：００', { kind: 'deadline', time: '10:00' }],
  ])('when the check-in is %j, then the policy is %j', (text, policy) => {
    expect(parseCheckIn(text)).toEqual({ ok: true, value: policy });
  });

  it.each([['sometimes'], ['24'], ['24h+'], ['每日25:00'], ['0s'], ['31d'], ['24h+31d'], ['24h+2h+1h']])(
    'when the check-in is %j, then it is not understood',
    (text) => {
      expect(parseCheckIn(text).ok).toBe(false);
    },
  );

  it.each(['24h+2h', '12h', '90m+30m', '61s+1s', '每日10:00', '每日00:00'])(
    'when %s is formatted back, then it reads the same',
    (text) => {
      const parsed = parseCheckIn(text);
      if (!parsed.ok) throw new Error(parsed.reason);
      expect(parseCheckIn(formatCheckIn(parsed.value))).toEqual(parsed);
    },
  );

  it.each([
    ['22:00-07:00', { start: '22:00', end: '07:00' }],
    ['22:00 ~ 7:00', { start: '22:00', end: '07:00' }],
    ['22:00至07:00', { start: '22:00', end: '07:00' }],
    ['', null],
    ['无', null],
  ])('when quiet hours are %j, then they are %j', (text, value) => {
    expect(parseQuietHours(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['志愿者', 'volunteer'],
    ['党员中心户', 'center_household'],
    ['网格员', 'grid_worker'],
    ['党支部', 'party_branch'],
    ['值班员', 'duty_officer'],
    ['工作人员', 'staff'],
    ['Volunteer', 'volunteer'],
    ['center household', 'center_household'],
    ['GRID_WORKER', 'grid_worker'],
    ['boss', null],
  ])('when the role is %j, then it is %j', (text, role) => {
    expect(parseRole(text)).toBe(role);
  });

  it.each([
    ['1', 1],
    ['2', 2],
    ['3', 3],
    ['一级', 1],
    ['第二梯队', 2],
    ['Tier 3', 3],
    ['４', null],
    ['0', null],
  ])('when the tier is %j, then it is %j', (text, tier) => {
    expect(parseTier(text)).toBe(tier);
  });
});
