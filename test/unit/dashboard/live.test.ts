import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BACKOFF,
  connectLive,
  SILENCE_MS,
  STABLE_MS,
  TOO_SLOW_WAIT_MS,
  type LiveStatus,
} from '../../../dashboard/src/live.js';
import { Store } from '../../../dashboard/src/store.js';

/**
 * The dashboard's live client on a fake clock, against a stand-in for the browser's WebSocket
 * (the real one is driven end to end in test/e2e/dashboard.test.ts; these are the timing rules
 * that would take minutes there).
 */
class FakeSocket {
  static all: FakeSocket[] = [];
  static readonly OPEN = 1;
  readyState = 0;
  sent: string[] = [];
  closedWith: number | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(text: string): void {
    this.sent.push(text);
  }
  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  // The server's side:
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  frame(value: unknown): void {
    this.onmessage?.({ data: JSON.stringify(value) });
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

const snapshot = (seq: number) => ({
  type: 'snapshot',
  seq,
  truncated: false,
  households: [],
  alerts: [],
  devices: [],
});

function start() {
  const statuses: LiveStatus[] = [];
  let ended = 0;
  const live = connectLive({
    store: new Store(),
    onStatus: (s) => statuses.push(s),
    onAlerts: () => {},
    onSessionEnded: () => (ended += 1),
  });
  return { live, statuses, ended: () => ended, socket: () => FakeSocket.all.at(-1) as FakeSocket };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, 'random').mockReturnValue(1);
  FakeSocket.all = [];
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.stubGlobal('location', { protocol: 'http:', host: '127.0.0.1:8080' });
  vi.stubGlobal('requestAnimationFrame', (cb: () => void) => setTimeout(cb, 16));
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the live client', () => {
  it('treats a socket that has been silent for SILENCE_MS as dead: says so and reconnects; ticks keep a quiet one alive', async () => {
    const { live, statuses, socket } = start();
    const first = socket();
    first.open();
    first.frame(snapshot(1));
    expect(live.status()).toBe('live');
    // Quiet but alive: a tick every 30 s.
    for (let i = 0; i < 10; i += 1) {
      await vi.advanceTimersByTimeAsync(30_000);
      first.frame({ type: 'tick', at: new Date().toISOString() });
    }
    expect(FakeSocket.all).toHaveLength(1);
    expect(live.status()).toBe('live');
    // The link dies without a close: nothing more arrives.
    await vi.advanceTimersByTimeAsync(SILENCE_MS + 5_000);
    expect(first.closedWith).toBe(4002);
    expect(statuses.at(-1)).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(BACKOFF.firstMs);
    expect(FakeSocket.all).toHaveLength(2);
    live.close();
  });

  it('on a gap in seq asks for a snapshot, shows not-live meanwhile, and ignores deltas until it comes', async () => {
    const { live, socket } = start();
    const s = socket();
    s.open();
    s.frame(snapshot(5));
    s.frame({ type: 'delta', seq: 7, changes: [] });
    expect(s.sent).toEqual([JSON.stringify({ type: 'resync' })]);
    expect(live.status()).toBe('reconnecting');
    s.frame({ type: 'delta', seq: 8, changes: [] });
    expect(s.sent).toHaveLength(1);
    s.frame(snapshot(9));
    expect(live.status()).toBe('live');
    live.close();
  });

  it('backs off: waits double while connections drop at once, start over only after one held STABLE_MS, and rest after "too slow"', async () => {
    const { live, socket } = start();
    const waits: number[] = [];
    const dropAndMeasure = async (code = 1006) => {
      const before = FakeSocket.all.length;
      socket().drop(code);
      let waited = 0;
      while (FakeSocket.all.length === before) {
        await vi.advanceTimersByTimeAsync(100);
        waited += 100;
      }
      waits.push(waited);
    };
    socket().open();
    socket().frame(snapshot(1));
    await dropAndMeasure();
    socket().open();
    socket().frame(snapshot(1));
    await dropAndMeasure();
    socket().open();
    socket().frame(snapshot(1));
    await dropAndMeasure();
    expect(waits).toEqual([500, 1000, 2000]);
    // One that holds: the next wait is the first step again.
    socket().open();
    socket().frame(snapshot(1));
    for (let t = 0; t < STABLE_MS; t += 25_000) {
      await vi.advanceTimersByTimeAsync(25_000);
      socket().frame({ type: 'tick', at: '' });
    }
    await dropAndMeasure();
    expect(waits.at(-1)).toBe(BACKOFF.firstMs);
    // Cut off as too slow: at least TOO_SLOW_WAIT_MS.
    socket().open();
    await dropAndMeasure(4000);
    expect(waits.at(-1)).toBe(TOO_SLOW_WAIT_MS);
    live.close();
  });

  it('on 4001 (session ended) stops and says so, without reconnecting', async () => {
    const { ended, socket } = start();
    socket().open();
    socket().frame(snapshot(1));
    socket().drop(4001);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ended()).toBe(1);
    expect(FakeSocket.all).toHaveLength(1);
  });
});

describe('receipts (a red press before it is on the server disk)', () => {
  const household = (id: number) => ({
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
  });
  const alert = (id: number, householdId: number) => ({
    id,
    kind: 'emergency',
    status: 'open',
    level: 1,
    householdId,
    compoundId: 1,
    openedAt: new Date().toISOString(),
    acknowledgedAt: null,
    acknowledgedBy: null,
    arrivedAt: null,
    arrivedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    resolutionNote: null,
    reportCount: 1,
    reason: null,
    dueAt: null,
    household: null,
  });
  const receipt = (receiptId: number, householdId: number, status: string) => ({
    type: 'receipt',
    receiptId,
    householdId,
    compoundId: 1,
    deviceId: 'd',
    status,
    at: new Date().toISOString(),
  });

  it('shows each as an emergency of its own until its alert or "recorded" arrives, never beside an emergency already on record, and raises it once', () => {
    const store = new Store();
    const raised: Array<{ id: number; receipt?: string }> = [];
    const live = connectLive({
      store,
      onStatus: () => {},
      onAlerts: (a) => raised.push(...a),
      onSessionEnded: () => {},
    });
    const s = FakeSocket.all.at(-1) as FakeSocket;
    s.open();
    s.frame({
      ...snapshot(1),
      households: [household(1), household(2), household(3)],
      alerts: [alert(11, 3)],
      receipts: [
        {
          id: 3,
          householdId: 1,
          compoundId: 1,
          deviceId: 'd',
          state: 'red',
          status: 'unrecorded',
          receivedAt: new Date().toISOString(),
        },
      ],
    });
    expect(store.alertsFor(1)).toEqual([
      expect.objectContaining({
        id: -3,
        kind: 'emergency',
        status: 'open',
        receipt: 'unrecorded',
        household: expect.objectContaining({ name: '户1' }),
      }),
    ]);
    expect(raised.map((a) => a.id).sort()).toEqual([-3, 11]);

    raised.length = 0;
    s.frame({ type: 'delta', seq: 2, changes: [receipt(4, 2, 'recording'), receipt(5, 3, 'recording')] });
    expect(store.alertsFor(2)).toEqual([expect.objectContaining({ id: -4, receipt: 'recording' })]);
    // Household 3 already has its emergency on record: the press joins it, nothing new to show.
    expect(store.alertsFor(3).map((a) => a.id)).toEqual([11]);
    expect(raised.map((a) => a.id)).toEqual([-4]);

    // The same household's press again (a resend): the card is updated, not doubled, and not raised again.
    s.frame({ type: 'delta', seq: 3, changes: [receipt(7, 2, 'recording')] });
    expect(store.alertsFor(2)).toEqual([expect.objectContaining({ id: -7, receipt: 'recording' })]);
    expect(raised.map((a) => a.id)).toEqual([-4]);

    raised.length = 0;
    s.frame({
      type: 'delta',
      seq: 4,
      changes: [
        {
          type: 'alert',
          alertId: 12,
          householdId: 2,
          kind: 'emergency',
          opened: true,
          status: 'open',
          alert: alert(12, 2),
        },
        receipt(7, 2, 'recorded'),
        receipt(5, 3, 'recorded'),
      ],
    });
    expect(store.alertsFor(2).map((a) => a.id)).toEqual([12]);
    expect(store.alertsFor(3).map((a) => a.id)).toEqual([11]);
    // The alert is the press already raised from its receipt: not raised (sounded) a second time.
    expect(raised).toEqual([]);
    // The resend of household 1's press is on disk: its unrecorded receipt goes.
    s.frame({ type: 'delta', seq: 5, changes: [receipt(6, 1, 'recorded')] });
    expect(store.alertsFor(1)).toEqual([]);
    live.close();
  });
});

describe('a household closed (issue 15)', () => {
  it('when a household frame has `closed` set, then the household leaves the store (and the wall); an open one stays', () => {
    const store = new Store();
    const live = connectLive({ store, onStatus: () => {}, onAlerts: () => {}, onSessionEnded: () => {} });
    const s = FakeSocket.all.at(-1) as FakeSocket;
    const household = (id: number, closed: unknown) => ({
      id,
      name: `住户${id}`,
      room: '101',
      building: '1号楼',
      buildingId: 1,
      compound: '阳光小区',
      compoundId: 1,
      state: null,
      stateAt: null,
      lastCheckInAt: null,
      awayUntil: null,
      closed,
    });
    s.open();
    s.frame({ ...snapshot(1), households: [household(1, null), household(2, null)] });
    expect([...store.households.keys()]).toEqual([1, 2]);
    s.frame({
      type: 'delta',
      seq: 2,
      changes: [
        {
          type: 'household',
          householdId: 2,
          household: household(2, { at: '2026-12-02T08:00:00.000Z', on: '2026-12-02', reason: 'moved_out', note: '' }),
        },
        { type: 'household', householdId: 1, household: { ...household(1, null), name: '改名' } },
      ],
    });
    expect([...store.households.keys()]).toEqual([1]);
    expect(store.households.get(1)?.name).toBe('改名');
    live.close();
  });
});
