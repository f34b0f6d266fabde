import {
  LIVE_PATH,
  type LiveView,
  type ResyncFrame,
  type ViewFrame,
  type ServerFrame,
  SESSION_ENDED,
  TICK_INTERVAL_MS,
  TOO_SLOW,
} from '../../protocol/live.js';
import type { Alert } from './api.js';
import { stats, type Store } from './store.js';

/**
 * The live feed (`/ws`, docs/api.md; its frames are in protocol/live.ts): a snapshot, then
 * numbered deltas. A gap in `seq` asks for a fresh snapshot; a dropped connection reconnects with
 * backoff (0.5 s doubling to 15 s, with jitter) and the status says "reconnecting" until the next
 * snapshot, so nobody trusts a stale screen. Close code 4001 means the session ended: log in again.
 */
export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

export type LiveOptions = {
  store: Store;
  onStatus: (status: LiveStatus) => void;
  /** Every alert the feed reports as newly opened, and every open one in each snapshot. */
  onAlerts: (alerts: Alert[]) => void;
  onSessionEnded: () => void;
  /** The place the first connection asks for (null: everything). */
  view?: LiveView | null | 'auto';
};

/** A view as the URL's `?view=` names it. */
type Asked = LiveView | null | 'auto';
const viewParam = (view: Asked) =>
  view === null ? '' : view === 'auto' ? '?view=auto' : `?view=${view.level}:${view.id}`;
const sameView = (a: Asked, b: Asked) =>
  a === b || (a !== null && b !== null && a !== 'auto' && b !== 'auto' && a.level === b.level && a.id === b.id);

export const BACKOFF = { firstMs: 500, maxMs: 15_000 } as const;
/**
 * The server sends something at least every 30 s (a `tick` when there is no news). Hearing
 * nothing for 2.5 of those (75 s) means the link is dead even if the socket looks open (Wi-Fi
 * still joined, uplink gone): say so, and reconnect.
 */
export const SILENCE_MS = 2.5 * TICK_INTERVAL_MS;
/** A connection must hold this long before the backoff starts again from its first step. */
export const STABLE_MS = 30_000;
/** After "too slow" (4000), wait at least this long, so a slow screen does not pull snapshots in a loop. */
export const TOO_SLOW_WAIT_MS = 5_000;

export function backoffMs(attempt: number, random = Math.random()): number {
  const base = Math.min(BACKOFF.maxMs, BACKOFF.firstMs * 2 ** attempt);
  return Math.round(base / 2 + (base / 2) * random);
}

export function connectLive(opts: LiveOptions): {
  close(): void;
  status(): LiveStatus;
  /** Watch another place (a drill-down, or back to everything): a fresh snapshot of it follows. */
  watch(view: LiveView | null | 'auto'): void;
} {
  let ws: WebSocket | null = null;
  let view: Asked = opts.view ?? null;
  let seq = 0;
  let attempt = 0;
  let status: LiveStatus = 'connecting';
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  let awaitingSnapshot = true;
  let lastFrame = Date.now();
  let connectedAt = 0;

  const setStatus = (s: LiveStatus) => {
    if (s === status) return;
    status = s;
    opts.onStatus(s);
  };

  function open(): void {
    if (stopped) return;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${LIVE_PATH}${viewParam(view)}`;
    const socket = new WebSocket(url);
    ws = socket;
    awaitingSnapshot = true;
    lastFrame = Date.now();
    socket.onopen = () => {
      connectedAt = Date.now();
    };
    socket.onmessage = (event) => onFrame(socket, event.data);
    socket.onclose = (event) => {
      if (ws !== socket) return;
      ws = null;
      if (stopped) return;
      if (event.code === SESSION_ENDED) {
        stopped = true;
        opts.onSessionEnded();
        return;
      }
      reconnect(event.code);
    };
    // Errors are followed by close: the reconnect happens there.
    socket.onerror = () => {};
  }

  /**
   * After a close (or a silent socket given up): says so and tries again. The backoff starts over
   * only after a connection that held; one that drops at once keeps growing the wait. A server
   * that cut us off as too slow (4000) gets a few seconds' rest.
   */
  function reconnect(code: number): void {
    setStatus('reconnecting');
    if (connectedAt > 0 && Date.now() - connectedAt >= STABLE_MS) attempt = 0;
    connectedAt = 0;
    const wait = Math.max(backoffMs(attempt), code === TOO_SLOW ? TOO_SLOW_WAIT_MS : 0);
    attempt += 1;
    timer = setTimeout(open, wait);
  }

  function onFrame(socket: WebSocket, data: unknown): void {
    if (typeof data !== 'string') return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data) as ServerFrame;
    } catch {
      return;
    }
    stats.messages += 1;
    lastFrame = Date.now();
    if (frame.type === 'tick') return;
    if (frame.type === 'snapshot') {
      seq = frame.seq;
      awaitingSnapshot = false;
      opts.store.reset(frame.households, frame.alerts, frame.devices, frame.truncated, 'live', Date.now(), {
        view: frame.view ?? null,
        compounds: frame.compounds ?? [],
        areas: frame.areas ?? [],
      });
      for (const r of frame.receipts ?? []) opts.store.putReceipt(r);
      setStatus('live');
      opts.onAlerts([...opts.store.alerts.values()]);
      return;
    }
    if (frame.type !== 'delta' || awaitingSnapshot) return;
    if (frame.seq !== seq + 1) {
      // Something was missed: ask for the whole picture again, and ignore deltas until it comes
      // (the screen is not current meanwhile, and says so).
      awaitingSnapshot = true;
      setStatus('reconnecting');
      const resync: ResyncFrame = { type: 'resync' };
      socket.send(JSON.stringify(resync));
      return;
    }
    seq = frame.seq;
    const opened: Alert[] = [];
    for (const change of frame.changes) {
      switch (change.type) {
        case 'report':
        case 'household':
          // A closed household (issue 15: `closed` set) leaves the wall; the snapshot leaves it out too.
          if (change.household?.closed) opts.store.dropHousehold(change.household.id);
          else if (change.household) opts.store.putHousehold(change.household);
          break;
        case 'alert':
          if (change.alert) {
            // An alert that replaces its receipt's card is the press already sounded and announced.
            const wasReceipt = opts.store.putAlert(change.alert);
            if (change.opened && !wasReceipt) opened.push(change.alert);
          }
          break;
        case 'receipt': {
          const fresh = opts.store.putReceipt({ ...change, id: change.receiptId, state: 'red', receivedAt: change.at });
          if (fresh) opened.push(fresh);
          break;
        }
        case 'compound':
          opts.store.putCounts(change.counts);
          break;
        case 'device':
          opts.store.putDevice({
            id: change.deviceId,
            householdId: change.householdId,
            ...(change.online !== undefined ? { online: change.online } : {}),
            ...(change.battery !== undefined ? { battery: change.battery } : {}),
            lastSeenAt: change.at,
          });
          break;
      }
    }
    if (opened.length > 0) opts.onAlerts(opened);
  }

  // The watchdog: a socket that has been silent too long is treated as dead.
  const watchdog = setInterval(() => {
    if (ws === null || ws.readyState !== WebSocket.OPEN || Date.now() - lastFrame < SILENCE_MS) return;
    const dead = ws;
    ws = null;
    dead.onclose = null;
    dead.close(4002, 'silent');
    reconnect(4002);
  }, 5_000);

  open();
  return {
    close() {
      stopped = true;
      clearInterval(watchdog);
      if (timer) clearTimeout(timer);
      ws?.close(1000, 'bye');
      ws = null;
    },
    status: () => status,
    watch(next: Asked) {
      if (sameView(view, next)) return;
      view = next;
      // An open socket is told; otherwise the next connection asks for it in its URL.
      if (ws === null || ws.readyState !== WebSocket.OPEN) return;
      awaitingSnapshot = true;
      const frame: ViewFrame = { type: 'view', view: next };
      ws.send(JSON.stringify(frame));
    },
  };
}
