/**
 * The live hub: `/ws`, a WebSocket that keeps a dashboard current (issue 5, "Live updates").
 *
 * Handshake (HTTP upgrade on path `/ws` only; any other upgrade path is dropped):
 *  - authenticated by the session cookie `ribbon_session` (as the HTTP API does); none, unknown,
 *    expired, or a disabled user → `401` and the socket is closed;
 *  - `Origin` must name the same host as `Host` (or be accepted by `allowedOrigins`); otherwise
 *    → `403`. This stops cross-site WebSocket hijacking (a page elsewhere riding the cookie).
 *  - no permessage-deflate; client messages larger than `maxPayload` (4 KiB) close the socket (1009).
 *
 * Server → client (JSON text frames; `seq` increases by exactly 1 per frame on a connection,
 * snapshot and delta frames sharing the counter):
 *  - `{"type":"snapshot","seq":N,"at":ISO,"truncated":bool,
 *      "households":[Household…],"alerts":[Alert…],"devices":[Device…],"receipts":[Receipt…]}`
 *    first on connect and after each `resync`: what the user may see (their compounds; an admin
 *    all); alerts are the `open` and `acknowledged` ones, newest first. `truncated` = more than
 *    `snapshotLimit` households or alerts (the list then holds the first ones only). A snapshot
 *    already holds every change committed before it. A device batch's changes are published only
 *    once its WAL sync is done (server/store/db.ts), so a snapshot read meanwhile holds them and
 *    they follow it as a delta too; applying a change twice is harmless (each carries the whole view).
 *  - `{"type":"delta","seq":N+1,"changes":[Change, …]}`: the changes in the user's compounds
 *    that were committed together, in commit order; never empty. "Together" = published in one
 *    run of the event loop's current callback: one group commit of device messages (all that
 *    arrived in one turn, server/ingest/group-commit.ts), one request, one sweep. They are
 *    collected and sent as ONE frame per connection in a microtask at the end of that callback:
 *    at 1,000 presses/s to 100 dashboards, a frame (and a write system call) per change per
 *    dashboard was what saturated the server (bench/RESULTS.md, "Profile"). A microtask rather
 *    than setImmediate: the group commit already gathers a turn, and waiting for the next turn
 *    would put a whole poll phase between the commit and the dashboards. Each change is
 *    serialised once, and the list once per distinct filter (user's compounds), not per socket.
 *    A Change is one of:
 *      `{"type":"report","householdId","compoundId","eventId","state","source","at","household":Household|null}`
 *      `{"type":"alert","alertId","householdId","compoundId","kind","status","level","opened","at","alert":Alert|null}`
 *      `{"type":"device","deviceId","householdId","compoundId","online"?,"battery"?,"at"}`
 *      `{"type":"receipt","receiptId","householdId","compoundId","deviceId","status","at"}`: a red
 *      press announced BEFORE its commit (the one change that is not committed: see Change in
 *      server/app/changes.ts), `recording`, then `recorded` after the commit (after its report
 *      and alert) or `unrecorded` if the commit failed
 *      `{"type":"household","householdId","compoundId","at","household":Household|null}` (registered
 *      or changed by a person: name, room, away, check-in rule; not for roster imports, which
 *      the dashboard sees at its next snapshot)
 *    where Household = {id,name,room,building,buildingId,compound,compoundId,state,stateAt,lastCheckInAt,awayUntil},
 *    Alert = {id,kind,status,level,householdId,compoundId,openedAt,acknowledgedAt,acknowledgedBy,
 *    arrivedAt,arrivedBy,resolvedAt,resolvedBy,resolutionNote,reportCount,reason,dueAt,household},
 *    Device = {id,householdId,online,battery,lastSeenAt}, Receipt = {id,householdId,compoundId,
 *    deviceId,state:"red",status,receivedAt} (recording or unrecorded, see `track`); times are
 *    ISO 8601 strings (`at` too).
 *    A resolved alert arrives as a change with status "resolved": drop it from the open list.
 *  - `{"type":"tick","at":ISO}` every `pingIntervalMs` (default 30 s): a heartbeat browser code
 *    can see (the ws ping/pong below is invisible to it). It has NO `seq` and does not count in
 *    the sequence (the next snapshot or delta is still the previous seq + 1). It is skipped on a
 *    socket that still has bytes waiting: those frames will be heard first, and a tick is never
 *    the reason a socket is cut off as too slow. A client that hears nothing (no frame of any
 *    type) for 2.5 intervals should take the connection for dead and reconnect.
 *
 * Client → server:
 *  - `{"type":"resync"}`: a fresh snapshot (with the next seq). Anything else is ignored; more than
 *    `maxMessagesPerWindow` messages in 10 s closes the socket (1008).
 *
 * Rules for the client: a gap in `seq` means something was missed → send `resync`. Close codes:
 *  - 4000 "too slow, resync": the socket still had unsent bytes and the next frame would have
 *    taken them past `maxBufferedBytes` (a frame on a socket with nothing waiting always goes, so
 *    a large snapshot or burst alone does not cut a client that reads); reconnect (with backoff)
 *    and start from the new snapshot;
 *  - 4001 "session ended": the session expired or was logged out; log in again;
 *  - 1001: the server is stopping; reconnect with backoff.
 */
import type http from 'node:http';
import type https from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { SESSION_COOKIE, seesCompound, sessionUser, sha256 } from '../api/auth.js';
import { alertView, deviceView, householdView, iso } from '../api/views.js';
import type { Change, ChangeFeed, ReceiptStatus } from '../app/changes.js';
import type { Stores } from '../store/index.js';
import type { User } from '../store/users.js';

export type LiveHubOptions = {
  server: http.Server | https.Server;
  stores: Stores;
  changes: ChangeFeed;
  now: () => number;
  log: Logger;
  /** Extra origins to accept (e.g. behind a proxy that rewrites Host); same-host is always accepted. */
  allowedOrigins?: (origin: string, host: string) => boolean;
  /** The largest client message (bytes); larger closes the socket. */
  maxPayload?: number;
  /** Past this many bytes waiting to be sent on one socket, it is closed with 4000. */
  maxBufferedBytes?: number;
  /** At most this many households (and alerts) in a snapshot. Default 20,000. */
  snapshotLimit?: number;
  /**
   * Ping period; a socket that has not answered the previous ping is dropped. Also rechecks
   * sessions and sends each connection a `tick` frame (see the header).
   */
  pingIntervalMs?: number;
  /** Client messages allowed per 10 s window. */
  maxMessagesPerWindow?: number;
};

export type LiveHub = {
  /** Open connections. */
  connections(): number;
  /** Closes every connection (1001) and stops listening for upgrades and changes. */
  close(): Promise<void>;
};

export const TOO_SLOW = 4000;
export const SESSION_ENDED = 4001;
const WINDOW_MS = 10_000;

/**
 * A receipt not yet settled. An unrecorded one stays this long at most: by then the device has
 * resent it (recorded: gone), or the server has been failing to write for a day and the
 * operators know by other means (/healthz, the logs, no check-ins).
 */
const UNRECORDED_KEEP_MS = 24 * 3600_000;
type Receipt = { id: number; householdId: number; deviceId: string; status: ReceiptStatus; receivedAt: number };
type ReceiptView = {
  id: number;
  householdId: number;
  compoundId: number;
  deviceId: string;
  state: 'red';
  status: ReceiptStatus;
  receivedAt: string;
};

function receiptView(r: Receipt, compoundId: number): ReceiptView {
  return {
    id: r.id,
    householdId: r.householdId,
    compoundId,
    deviceId: r.deviceId,
    state: 'red',
    status: r.status,
    receivedAt: new Date(r.receivedAt).toISOString(),
  };
}

/** A change as sent: its compound (for the per-user filter) and its JSON, built once. */
type Described = { compoundId: number; json: string };

type Conn = {
  ws: WebSocket;
  user: User;
  sessionHash: Buffer;
  seq: number;
  /** Pending changes before this index are already in the snapshot it was sent. */
  turnFrom: number;
  alive: boolean;
  windowStart: number;
  messages: number;
  closing: boolean;
};

/** Cookie header → the session cookie's value (the last wins, as a browser sends one). */
export function sessionCookie(header: string | undefined): string | null {
  if (!header) return null;
  let found: string | null = null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      continue;
    }
    if (value !== '') found = value;
  }
  return found;
}

/** Whether `origin` names the same host (and port) as the Host header. */
export function sameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    return url.host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

function refuse(socket: Duplex, status: 401 | 403 | 404, text: string): void {
  if (socket.writable) {
    socket.once('finish', () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
    );
  } else {
    socket.destroy();
  }
}

export function createLiveHub(opts: LiveHubOptions): LiveHub {
  const { server, stores, changes, now, log } = opts;
  const maxPayload = opts.maxPayload ?? 4096;
  const maxBufferedBytes = opts.maxBufferedBytes ?? 1024 * 1024;
  // The dashboard shows 10,000 households: room for twice that before a snapshot is truncated.
  const snapshotLimit = opts.snapshotLimit ?? 20_000;
  const maxMessages = opts.maxMessagesPerWindow ?? 60;
  const conns = new Set<Conn>();
  const compoundOf = new Map<number, number | null>();
  /** Red presses told before their commit that are not on disk yet (recording or unrecorded). */
  const receipts = new Map<number, Receipt>();

  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false, clientTracking: false });

  function householdCompound(householdId: number): number | null {
    if (!compoundOf.has(householdId)) {
      // Households do not move between compounds; a missing one is remembered as null only briefly.
      const h = stores.places.getHousehold(householdId);
      if (h === null) return null;
      compoundOf.set(householdId, h.compoundId);
    }
    return compoundOf.get(householdId) ?? null;
  }

  function snapshot(user: User) {
    const compounds = user.role === 'admin' ? null : user.compoundIds;
    const households = stores.places.pageHouseholds(0, snapshotLimit + 1, compounds);
    const open = stores.alerts.page({ status: 'open', compoundIds: compounds }, null, snapshotLimit + 1);
    const acknowledged = stores.alerts.page(
      { status: 'acknowledged', compoundIds: compounds },
      null,
      snapshotLimit + 1,
    );
    const alerts = [...open, ...acknowledged].sort((a, b) => b.openedAt - a.openedAt || b.id - a.id);
    const truncated = households.length > snapshotLimit || alerts.length > snapshotLimit;
    const shown = households.slice(0, snapshotLimit);
    const byId = new Map(shown.map((h) => [h.id, h]));
    for (const h of shown) compoundOf.set(h.id, h.compoundId);
    const devices = stores.devices
      .list()
      .filter((d) => d.retiredAt === null && byId.has(d.householdId))
      .map(deviceView);
    const unsettled: ReceiptView[] = [];
    for (const r of receipts.values()) {
      const compoundId = householdCompound(r.householdId);
      if (compoundId !== null && seesCompound(user, compoundId)) unsettled.push(receiptView(r, compoundId));
    }
    return {
      at: iso(now()),
      truncated,
      households: shown.map(householdView),
      alerts: alerts
        .slice(0, snapshotLimit)
        .map((a) => alertView(a, byId.get(a.householdId) ?? stores.places.getHousehold(a.householdId))),
      devices,
      receipts: unsettled,
    };
  }

  function close(conn: Conn, code: number, reason: string): void {
    if (conn.closing) return;
    conn.closing = true;
    conns.delete(conn);
    conn.ws.close(code, reason);
    // A peer that does not read never answers the close frame: drop it after a grace period.
    const timer = setTimeout(() => conn.ws.terminate(), 5000);
    timer.unref();
    conn.ws.once('close', () => clearTimeout(timer));
  }

  /**
   * Sends one text frame, or cuts the socket off if it has fallen too far behind: bytes still
   * waiting (not taken by the kernel) plus this frame over the limit. With nothing waiting the
   * frame goes whatever its size, so one big snapshot or burst does not cut off a client that reads.
   */
  function send(conn: Conn, frame: Buffer): void {
    if (conn.closing) return;
    const waiting = conn.ws.bufferedAmount;
    if (waiting > 0 && waiting + frame.length > maxBufferedBytes) {
      log.warn({ userId: conn.user.id, buffered: waiting }, 'live client too slow; closing');
      close(conn, TOO_SLOW, 'too slow, resync');
      return;
    }
    conn.ws.send(frame, { binary: false });
  }

  function sendSnapshot(conn: Conn): void {
    let body: string;
    try {
      body = JSON.stringify(snapshot(conn.user));
    } catch (err) {
      log.error({ err }, 'live snapshot failed');
      close(conn, 1011, 'snapshot failed');
      return;
    }
    conn.seq += 1;
    // Read now, so it holds every change committed so far, those still pending included.
    conn.turnFrom = turn.length;
    send(conn, Buffer.from(`{"type":"snapshot","seq":${conn.seq},${body.slice(1)}`));
  }

  /** The user and session still valid? (Logout, expiry, disabling end the live feed too.) */
  function stillValid(conn: Conn): boolean {
    const found = sessionUser(stores, conn.sessionHash, now());
    if (found === null || found.user.id !== conn.user.id) return false;
    conn.user = found.user;
    return true;
  }

  function onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    const t = now();
    if (t - conn.windowStart >= WINDOW_MS) {
      conn.windowStart = t;
      conn.messages = 0;
    }
    conn.messages += 1;
    if (conn.messages > maxMessages) {
      close(conn, 1008, 'too many messages');
      return;
    }
    if (isBinary) return;
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return;
    }
    if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'resync') {
      if (!stillValid(conn)) {
        close(conn, SESSION_ENDED, 'session ended');
        return;
      }
      sendSnapshot(conn);
    }
  }

  /** The change as an element of a delta's `changes`, or null if nobody can place it. Built once per change. */
  function describe(change: Change): Described | null {
    const at = iso(change.at);
    // The household is read once per change: for its compound and for the view.
    switch (change.type) {
      case 'report':
      case 'household': {
        const h = stores.places.getHousehold(change.householdId);
        if (h === null) return null;
        compoundOf.set(h.id, h.compoundId);
        return {
          compoundId: h.compoundId,
          json: JSON.stringify({ ...change, at, compoundId: h.compoundId, household: householdView(h) }),
        };
      }
      case 'alert': {
        const h = stores.places.getHousehold(change.householdId);
        if (h === null) return null;
        compoundOf.set(h.id, h.compoundId);
        const a = stores.alerts.get(change.alertId);
        return {
          compoundId: h.compoundId,
          json: JSON.stringify({ ...change, at, compoundId: h.compoundId, alert: a ? alertView(a, h) : null }),
        };
      }
      case 'device':
      case 'receipt': {
        const compoundId = householdCompound(change.householdId);
        if (compoundId === null) return null;
        return { compoundId, json: JSON.stringify({ ...change, at, compoundId }) };
      }
    }
  }

  /**
   * Keeps the receipts a snapshot must show: a red on its way to disk, or one whose commit
   * failed, until a red of that household is on disk (this press, its resend, or a person's
   * report: the household then has its emergency alert) or UNRECORDED_KEEP_MS have passed.
   */
  function track(change: Change): void {
    if (change.type === 'receipt') {
      if (change.status === 'recorded') forgetReceipts(change.householdId);
      else
        receipts.set(change.receiptId, {
          id: change.receiptId,
          householdId: change.householdId,
          deviceId: change.deviceId,
          status: change.status,
          receivedAt: change.at,
        });
    } else if (change.type === 'report' && change.state === 'red') {
      forgetReceipts(change.householdId);
    }
  }

  function forgetReceipts(householdId: number): void {
    if (receipts.size === 0) return;
    for (const [id, r] of receipts) if (r.householdId === householdId) receipts.delete(id);
  }

  /** The changes committed together (see the header), in commit order, until flushTurn. */
  let turn: Described[] = [];
  let flushing = false;
  let stopped = false;

  /** One delta frame per connection that may see any of the pending changes. */
  function flushTurn(): void {
    flushing = false;
    if (stopped) return;
    const batch = turn;
    turn = [];
    // Connections with the same filter get the same list: joined and encoded once.
    const bodies = new Map<string, Buffer | null>();
    for (const conn of conns) {
      const from = conn.turnFrom;
      conn.turnFrom = 0;
      if (conn.closing) continue;
      const key = `${from}|${conn.user.role === 'admin' ? '*' : conn.user.compoundIds.join(',')}`;
      let body = bodies.get(key);
      if (body === undefined) {
        const parts: string[] = [];
        for (let i = from; i < batch.length; i += 1) {
          const d = batch[i] as Described;
          if (seesCompound(conn.user, d.compoundId)) parts.push(d.json);
        }
        body = parts.length === 0 ? null : Buffer.from(`${parts.join(',')}]}`);
        bodies.set(key, body);
      }
      if (body === null) continue;
      conn.seq += 1;
      try {
        send(conn, Buffer.concat([Buffer.from(`{"type":"delta","seq":${conn.seq},"changes":[`), body]));
      } catch (err) {
        // Thrown in a microtask this would end the process; this socket ends instead (it resyncs).
        log.error({ err, userId: conn.user.id }, 'live delta failed');
        close(conn, 1011, 'delta failed');
      }
    }
  }

  const unsubscribe = changes.subscribe((change) => {
    track(change);
    if (conns.size === 0) return;
    let described: Described | null;
    try {
      described = describe(change);
    } catch (err) {
      log.error({ err }, 'live delta failed');
      return;
    }
    if (described === null) return;
    turn.push(described);
    if (!flushing) {
      flushing = true;
      queueMicrotask(flushTurn);
    }
  });

  function onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      socket.destroy();
      return;
    }
    if (pathname !== '/ws') {
      socket.destroy();
      return;
    }
    let user: User;
    let sessionHash: Buffer;
    try {
      const cookie = sessionCookie(req.headers.cookie);
      const hash = cookie === null ? null : sha256(cookie);
      const found = hash === null ? null : sessionUser(stores, hash, now());
      if (hash === null || found === null) {
        refuse(socket, 401, 'Unauthorized');
        return;
      }
      user = found.user;
      sessionHash = hash;
      const origin = req.headers.origin;
      const host = req.headers.host ?? '';
      if (typeof origin !== 'string' || !(sameHost(origin, host) || (opts.allowedOrigins?.(origin, host) ?? false))) {
        log.warn({ origin, host, userId: user.id }, 'live connection from a foreign origin refused');
        refuse(socket, 403, 'Forbidden');
        return;
      }
    } catch (err) {
      log.error({ err }, 'live upgrade failed');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: Conn = {
        ws,
        user,
        sessionHash,
        seq: 0,
        turnFrom: 0,
        alive: true,
        windowStart: now(),
        messages: 0,
        closing: false,
      };
      conns.add(conn);
      ws.on('error', (err) => log.debug({ err, userId: user.id }, 'live socket error'));
      ws.on('close', () => conns.delete(conn));
      ws.on('pong', () => {
        conn.alive = true;
      });
      ws.on('message', (data, isBinary) => onMessage(conn, data, isBinary));
      log.info({ userId: user.id }, 'live client connected');
      sendSnapshot(conn);
    });
  }

  server.on('upgrade', onUpgrade);

  const pinger = setInterval(() => {
    const expired = now() - UNRECORDED_KEEP_MS;
    for (const [id, r] of receipts) if (r.receivedAt < expired) receipts.delete(id);
    const tick = `{"type":"tick","at":"${new Date(now()).toISOString()}"}`;
    for (const conn of conns) {
      if (!conn.alive) {
        conns.delete(conn);
        conn.ws.terminate();
        continue;
      }
      if (!stillValid(conn)) {
        close(conn, SESSION_ENDED, 'session ended');
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
      // Not through send(): a tick takes no seq and never cuts a socket off. With bytes still
      // waiting the client has frames to hear anyway; piling ticks behind them would not help.
      if (conn.ws.bufferedAmount === 0) conn.ws.send(tick);
    }
  }, opts.pingIntervalMs ?? 30_000);
  pinger.unref();

  let closed: Promise<void> | null = null;
  return {
    connections: () => conns.size,
    close() {
      closed ??= (async () => {
        server.off('upgrade', onUpgrade);
        unsubscribe();
        stopped = true;
        turn = [];
        clearInterval(pinger);
        const sockets = [...conns].map((c) => c.ws);
        conns.clear();
        await Promise.all(
          sockets.map(
            (ws) =>
              new Promise<void>((resolve) => {
                if (ws.readyState === ws.CLOSED) return resolve();
                ws.once('close', () => resolve());
                ws.close(1001, 'server stopping');
                setTimeout(() => ws.terminate(), 1000).unref();
              }),
          ),
        );
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      })();
      return closed;
    },
  };
}
