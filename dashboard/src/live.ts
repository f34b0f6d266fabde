import type { Alert, Device, Household } from './api.js';
import { stats, type Store } from './store.js';

/**
 * The live feed (`/ws`, docs/api.md): a snapshot, then numbered deltas. A gap in `seq` asks for
 * a fresh snapshot; a dropped connection reconnects with backoff (0.5 s doubling to 15 s, with
 * jitter) and the status says "reconnecting" until the next snapshot, so nobody trusts a stale
 * screen. Close code 4001 means the session ended: log in again.
 */
export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

type Change =
  | { type: 'report' | 'household'; householdId: number; household: Household | null }
  | { type: 'alert'; alertId: number; householdId: number; kind: Alert['kind']; opened: boolean; status: Alert['status']; alert: Alert | null }
  | { type: 'device'; deviceId: string; householdId: number; online?: boolean; battery?: number; at: string };

type Frame =
  | { type: 'snapshot'; seq: number; truncated: boolean; households: Household[]; alerts: Alert[]; devices: Device[] }
  | { type: 'delta'; seq: number; changes?: Change[]; change?: Change };

export type LiveOptions = {
  store: Store;
  onStatus: (status: LiveStatus) => void;
  /** Every alert the feed reports as newly opened, and every open one in each snapshot. */
  onAlerts: (alerts: Alert[], fromSnapshot: boolean) => void;
  onSessionEnded: () => void;
};

export const BACKOFF = { firstMs: 500, maxMs: 15_000 } as const;

export function backoffMs(attempt: number, random = Math.random()): number {
  const base = Math.min(BACKOFF.maxMs, BACKOFF.firstMs * 2 ** attempt);
  return Math.round(base / 2 + (base / 2) * random);
}

export function connectLive(opts: LiveOptions): { close(): void; status(): LiveStatus } {
  let ws: WebSocket | null = null;
  let seq = 0;
  let attempt = 0;
  let status: LiveStatus = 'connecting';
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  let awaitingSnapshot = true;

  const setStatus = (s: LiveStatus) => {
    if (s === status) return;
    status = s;
    opts.onStatus(s);
  };

  function open(): void {
    if (stopped) return;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const socket = new WebSocket(url);
    ws = socket;
    awaitingSnapshot = true;
    socket.onmessage = (event) => onFrame(socket, event.data);
    socket.onclose = (event) => {
      if (ws !== socket) return;
      ws = null;
      if (stopped) return;
      if (event.code === 4001) {
        stopped = true;
        opts.onSessionEnded();
        return;
      }
      setStatus('reconnecting');
      // A server that just cut us off for being slow (4000) wants a fresh start, not a hammering.
      const wait = backoffMs(attempt);
      attempt += 1;
      timer = setTimeout(open, wait);
    };
    // Errors are followed by close: the reconnect happens there.
    socket.onerror = () => {};
  }

  function onFrame(socket: WebSocket, data: unknown): void {
    if (typeof data !== 'string') return;
    let frame: Frame;
    try {
      frame = JSON.parse(data) as Frame;
    } catch {
      return;
    }
    stats.messages += 1;
    if (frame.type === 'snapshot') {
      seq = frame.seq;
      awaitingSnapshot = false;
      attempt = 0;
      opts.store.reset(frame.households, frame.alerts, frame.devices, frame.truncated);
      setStatus('live');
      opts.onAlerts(frame.alerts, true);
      return;
    }
    if (frame.type !== 'delta' || awaitingSnapshot) return;
    if (frame.seq !== seq + 1) {
      // Something was missed: ask for the whole picture again, and ignore deltas until it comes.
      awaitingSnapshot = true;
      socket.send(JSON.stringify({ type: 'resync' }));
      return;
    }
    seq = frame.seq;
    const changes = frame.changes ?? (frame.change ? [frame.change] : []);
    const opened: Alert[] = [];
    for (const change of changes) {
      switch (change.type) {
        case 'report':
        case 'household':
          if (change.household) opts.store.putHousehold(change.household);
          break;
        case 'alert':
          if (change.alert) {
            opts.store.putAlert(change.alert);
            if (change.opened) opened.push(change.alert);
          }
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
    if (opened.length > 0) opts.onAlerts(opened, false);
  }

  open();
  return {
    close() {
      stopped = true;
      if (timer) clearTimeout(timer);
      ws?.close(1000, 'bye');
      ws = null;
    },
    status: () => status,
  };
}
