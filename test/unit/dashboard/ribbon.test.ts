import { describe, expect, it } from 'vitest';
import type { Alert, Device, Household } from '../../../dashboard/src/api.js';
import { duration, setLang } from '../../../dashboard/src/i18n.js';
import { backoffMs, BACKOFF } from '../../../dashboard/src/live.js';
import { statusOf, walkingOrder } from '../../../dashboard/src/ribbon.js';

const household = (over: Partial<Household> = {}): Household => ({
  id: 1,
  name: '王秀英',
  room: '301',
  building: '2号楼',
  buildingId: 2,
  compound: '阳光小区',
  compoundId: 1,
  state: null,
  stateAt: null,
  lastCheckInAt: null,
  awayUntil: null,
  closed: null,
  anonymised: false,
  ...over,
});

const alert = (kind: Alert['kind'], status: Alert['status'] = 'open', reason: string | null = null): Alert => ({
  id: 1,
  kind,
  status,
  level: 1,
  householdId: 1,
  compoundId: 1,
  openedAt: '2026-11-25T08:00:00.000Z',
  acknowledgedAt: null,
  acknowledgedBy: null,
  arrivedAt: null,
  arrivedBy: null,
  resolvedAt: null,
  resolvedBy: null,
  resolutionNote: null,
  reportCount: 1,
  reason,
  dueAt: null,
  reach: null,
  household: null,
});

const device = (online: boolean): Device => ({ id: 'rp-1', householdId: 1, online, battery: 80, lastSeenAt: null });
const TODAY = '2026-11-25';

describe('statusOf: what a tile shows, most urgent first', () => {
  it.each<[string, Partial<Household>, Alert[], Device[], ReturnType<typeof statusOf>]>([
    [
      'an open emergency beats everything',
      { state: 'blue', awayUntil: '2026-12-01' },
      [alert('service'), alert('missed_checkin'), alert('emergency')],
      [device(false)],
      'red',
    ],
    ['an acknowledged emergency is still red', {}, [alert('emergency', 'acknowledged')], [], 'red'],
    ['a service request', { state: 'blue' }, [alert('service'), alert('missed_checkin')], [device(false)], 'yellow'],
    ['a missed check-in', { state: 'blue' }, [alert('missed_checkin'), alert('device')], [], 'missed'],
    [
      'a device alert for an offline device',
      { state: 'blue' },
      [alert('device', 'open', 'offline')],
      [device(true)],
      'offline',
    ],
    [
      'a low battery on a button that is online is a fault, not offline',
      { state: 'blue' },
      [alert('device', 'open', 'low_battery')],
      [device(true)],
      'fault',
    ],
    [
      'offline outranks a fault',
      { state: 'blue' },
      [alert('device', 'open', 'low_battery')],
      [device(false)],
      'offline',
    ],
    ['a device offline', { state: 'blue' }, [], [device(true), device(false)], 'offline'],
    [
      'away until a later day, the device offline as expected',
      { state: 'blue', awayUntil: '2026-12-01' },
      [alert('device')],
      [device(false)],
      'away',
    ],
    ['away until today', { state: 'blue', awayUntil: TODAY }, [], [], 'away'],
    ['away ended yesterday', { state: 'blue', awayUntil: '2026-11-24' }, [], [], 'blue'],
    ['blue', { state: 'blue' }, [], [device(true)], 'blue'],
    ['nothing reported yet', {}, [], [], 'none'],
    [
      'a red whose emergency was resolved is handled, not an emergency',
      { state: 'red' },
      [alert('emergency', 'resolved')],
      [],
      'handled',
    ],
    ['a yellow without an open request is handled', { state: 'yellow' }, [], [], 'handled'],
  ])('%s', (_name, h, alerts, devices, expected) => {
    expect(statusOf(household(h), alerts, devices, TODAY)).toBe(expected);
  });
});

describe('walkingOrder', () => {
  it('goes compound, building, then room in natural order (2 before 10)', () => {
    const hs = [
      household({ id: 1, building: '10号楼', room: '101' }),
      household({ id: 2, building: '2号楼', room: '1001' }),
      household({ id: 3, building: '2号楼', room: '201' }),
      household({ id: 4, building: '2号楼', room: '31' }),
    ];
    expect(hs.sort(walkingOrder).map((h) => h.id)).toEqual([4, 3, 2, 1]);
  });
});

describe('backoffMs: reconnect waits', () => {
  it('doubles from 0.5 s up to 15 s, with jitter between half and all of it', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffMs(n, 1))).toEqual([
      500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000,
    ]);
    expect(backoffMs(0, 0)).toBe(BACKOFF.firstMs / 2);
    expect(backoffMs(20, 0)).toBe(BACKOFF.maxMs / 2);
  });
});

describe('duration', () => {
  it('reads in the largest sensible unit, in Chinese and in English', () => {
    setLang('zh-CN');
    expect([0, 59_999, 60_000, 192_000, 3_600_000 + 5 * 60_000, 3 * 86_400_000].map(duration)).toEqual([
      '0 秒',
      '59 秒',
      '1 分 0 秒',
      '3 分 12 秒',
      '1 小时 5 分',
      '3 天',
    ]);
    setLang('en');
    expect(duration(192_000)).toBe('3 min 12 s');
    setLang('zh-CN');
  });
});
