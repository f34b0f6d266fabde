import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BACKOFF, connectLive, SILENCE_MS, STABLE_MS, TOO_SLOW_WAIT_MS, type LiveStatus } from '../../../dashboard/src/live.js';
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

const snapshot = (seq: number) => ({ type: 'snapshot', seq, truncated: false, households: [], alerts: [], devices: [] });

function start() {
  const statuses: LiveStatus[] = [];
  let ended = 0;
  const live = connectLive({ store: new Store(), onStatus: (s) => statuses.push(s), onAlerts: () => {}, onSessionEnded: () => (ended += 1) });
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
