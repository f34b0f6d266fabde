import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Household } from '../../../dashboard/src/api.js';
import { Store, type StoreChange } from '../../../dashboard/src/store.js';

// The dashboard's store as the live feed's `household` and `device` changes reach it (issue 15):
// a closed household leaves, a moved device changes household. Merging the same change twice is
// harmless.

const household = (id: number, over: Partial<Household> = {}): Household => ({
  id,
  name: `户${id}`,
  room: '101',
  building: '1号楼',
  buildingId: 1,
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

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal('requestAnimationFrame', (cb: () => void) => setTimeout(cb, 16));
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('the store and households changed elsewhere', () => {
  it('when a household arrives closed, then it and its devices leave the store, and listeners hear of it once; twice is harmless', () => {
    const store = new Store();
    const device = { id: 'd1', householdId: 1, online: true, battery: 90, lastSeenAt: null };
    store.reset([household(1), household(2)], [], [device], false);
    const heard: StoreChange[] = [];
    store.listen((c) => heard.push(c));
    vi.advanceTimersByTime(20);
    heard.length = 0;
    const closed = household(1, {
      closed: { at: '2026-11-25T01:00:00.000Z', on: '2026-11-24', reason: 'moved_out', note: '' },
    });
    store.putHousehold(closed);
    store.putHousehold(closed);
    vi.advanceTimersByTime(20);
    expect([...store.households.keys()]).toEqual([2]);
    expect(store.devicesFor(1)).toEqual([]);
    expect(store.devices.has('d1')).toBe(false);
    expect(heard).toHaveLength(1);
    expect([...(heard[0]?.households ?? [])]).toEqual([1]);
  });

  it('when a device moves to another household, then it is only the new one’s', () => {
    const store = new Store();
    store.reset(
      [household(1), household(2)],
      [],
      [{ id: 'd1', householdId: 1, online: true, battery: 90, lastSeenAt: null }],
      false,
    );
    store.putDevice({ id: 'd1', householdId: 2, online: false });
    expect(store.devicesFor(1)).toEqual([]);
    expect(store.devicesFor(2).map((d) => d.id)).toEqual(['d1']);
  });
});
