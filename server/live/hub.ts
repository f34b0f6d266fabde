/**
 * The live hub: `/ws`, a WebSocket that keeps a dashboard current (issue 5, "Live updates"). The
 * contract (handshake, frames, close codes) is protocol/live.ts; docs/api.md describes it. This
 * file only wires the pieces, each in a file named for what it does:
 *  - upgrade.ts    the HTTP upgrade: path, session cookie → user (401), Origin (403)
 *  - admission.ts  sockets per session and per address, snapshots per session (429, 1008)
 *  - connection.ts one socket: the buffered-bytes rule on send, close, rate limit, session recheck
 *  - outgoing.ts   one socket's frames in order, a snapshot as one message in chunks paced by drain
 *  - snapshot.ts   what a user may see, on connect and on `resync`
 *  - describe.ts   each change serialised once, with its compound (compounds.ts remembers those)
 *  - batch.ts      a callback's changes → one delta frame per connection, once per distinct filter
 *  - receipts.ts   red presses announced before their commit, until one of the household is on disk
 *  - heartbeat.ts  every ping interval: drop the dead, end ended sessions, ping and tick
 */
import type http from 'node:http';
import type https from 'node:https';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { type ClientFrame, TICK_INTERVAL_MS } from '../../protocol/live.js';
import type { ChangeFeed } from '../app/changes.js';
import type { Stores } from '../app/ports.js';
import { createDeltaBatcher } from './batch.js';
import { createCompoundIndex } from './compounds.js';
import { LiveConnection } from './connection.js';
import { type Described, describeChange } from './describe.js';
import { heartbeat } from './heartbeat.js';
import { createReceiptTracker } from './receipts.js';
import { buildSnapshot, createSnapshotCache } from './snapshot.js';
import { createUpgradeHandler, refuse } from './upgrade.js';
import { resolveView, type ViewScope, viewFromUrl, WHOLE_SCOPE } from './view.js';
import { type AdmissionLimits, createAdmission, DEFAULT_ADMISSION } from './admission.js';
import { WINDOW_MS } from './rate-limit.js';
import { createWindowBudget } from '../log.js';

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
   * sessions and sends each connection a `tick` frame (protocol/live.ts, TickFrame).
   */
  pingIntervalMs?: number;
  /** Client messages allowed per 10 s window. */
  maxMessagesPerWindow?: number;
  /** Sockets per session and per address, snapshots per session (admission.ts; defaults DEFAULT_ADMISSION). */
  admission?: Partial<AdmissionLimits>;
  /**
   * Users whose session ended or whose role, compounds or standing changed (logout, disabled,
   * scope changed): their sockets are rechecked at once rather than at the next ping — an ended
   * session closes 4001, a changed scope gets a fresh snapshot of what it may now see.
   */
  userChanges?: { subscribe(listener: (userId: number) => void): () => void };
  /**
   * Where a client message's work starts: at once, or in a later turn of the event loop when this
   * turn has run long (server/lanes/turns.ts). Absent: at once.
   */
  pace?: (work: () => void) => void;
};

export type LiveHub = {
  /** Open connections. */
  connections(): number;
  /** Closes every connection (1001) and stops listening for upgrades and changes. */
  close(): Promise<void>;
};

export function createLiveHub(opts: LiveHubOptions): LiveHub {
  const { server, stores, changes, now, log } = opts;
  const limits = {
    maxBufferedBytes: opts.maxBufferedBytes ?? 1024 * 1024,
    maxMessages: opts.maxMessagesPerWindow ?? 60,
  };
  const open = new Set<LiveConnection>();
  const compounds = createCompoundIndex(stores);
  const receipts = createReceiptTracker();
  const batch = createDeltaBatcher(open, log, (ids) => {
    const at = new Date(now()).toISOString();
    return new Map(
      stores.areas
        .compoundCounts(ids)
        .map((counts) => [
          counts.compoundId,
          JSON.stringify({ type: 'compound', compoundId: counts.compoundId, at, counts }),
        ]),
    );
  });
  const admission = createAdmission({ ...DEFAULT_ADMISSION, ...opts.admission });
  // Refusals are logged at most once per window, with how many there were.
  const refusalLines = createWindowBudget(1, WINDOW_MS, now);
  const noteRefusal = (reason: string, userId: number) => {
    const line = refusalLines.take();
    if (line === null) return;
    const refused = line.refusedBefore + 1;
    log.warn({ reason, userId, refused }, 'live connections or resyncs refused: over a session or address limit');
  };
  // The dashboard shows 10,000 households: room for twice that before a snapshot is truncated.
  const snapshotSources = { stores, compounds, receipts, limit: opts.snapshotLimit ?? 20_000 };
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxPayload ?? 4096,
    perMessageDeflate: false,
    clientTracking: false,
  });

  const snapshots = createSnapshotCache(
    (user, view) => JSON.stringify(buildSnapshot(user, view, snapshotSources, now())),
    { now },
  );

  function sendSnapshot(conn: LiveConnection): void {
    let rest: Buffer;
    try {
      rest = snapshots.body(conn.user, conn.scope);
    } catch (err) {
      log.error({ err }, 'live snapshot failed');
      conn.close(1011, 'snapshot failed');
      return;
    }
    conn.seq += 1;
    // Read now, so it holds every change committed so far, those still pending included.
    conn.turnFrom = batch.pending();
    // The frame's own start, then the shared rest in chunks, all one message: no copy of 1.5 MB
    // per socket, and no socket given it all at once (outgoing.ts).
    conn.sendSnapshot(Buffer.from(`{"type":"snapshot","seq":${conn.seq},`), rest);
  }

  const stillValid = (conn: LiveConnection) => conn.recheckSession(stores, now());
  const pace = opts.pace ?? ((work: () => void) => work());

  const onUpgrade = createUpgradeHandler({
    stores,
    now,
    log,
    allowedOrigins: opts.allowedOrigins,
    accept(req, socket, head, { user, sessionHash }) {
      const session = sessionHash.toString('hex');
      // The place watched (`/ws?view=street:2`), checked before any slot or snapshot is taken.
      const asked = viewFromUrl(req.url);
      const scope = asked === undefined ? null : resolveView(user, asked, stores);
      if (scope === null) {
        refuse(socket, asked === undefined ? 400 : 404, asked === undefined ? 'Bad Request' : 'Not Found');
        return;
      }
      const release = admission.take(session, req.socket.remoteAddress ?? '');
      if (release === null) {
        noteRefusal('sockets', user.id);
        refuse(socket, 429, 'Too Many Requests', WINDOW_MS / 1000);
        return;
      }
      // The same TCP socket carries the WebSocket: its close gives the slot back, handshake or not.
      socket.once('close', release);
      if (!admission.snapshot(session, now())) {
        noteRefusal('snapshots', user.id);
        refuse(socket, 429, 'Too Many Requests', WINDOW_MS / 1000);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = new LiveConnection(ws, user, sessionHash, open, limits, log, now());
        conn.scope = scope;
        ws.on('error', (err) => log.debug({ err, userId: user.id }, 'live socket error'));
        ws.on('pong', () => {
          conn.alive = true;
        });
        ws.on('message', (data, isBinary) => {
          const frame = conn.receive(data, isBinary, now());
          if (frame === null) return;
          pace(() => answer(frame));
        });
        // A burst of resyncs in one read: those after the one that closed the socket cost nothing.
        const answer = (frame: ClientFrame) => {
          if (conn.closing) return;
          if (!stillValid(conn)) return conn.endSession();
          if (frame.type === 'view') {
            const next = resolveView(conn.user, frame.view, stores);
            if (next === null) return conn.close(1008, 'unknown view');
            conn.scope = next;
          }
          if (admission.snapshot(session, now())) sendSnapshot(conn);
          else {
            noteRefusal('snapshots', user.id);
            conn.close(1008, 'too many resyncs');
          }
        };
        log.info({ userId: user.id }, 'live client connected');
        sendSnapshot(conn);
      });
    },
  });
  server.on('upgrade', onUpgrade);

  const unsubscribe = changes.subscribe((change) => {
    receipts.track(change);
    snapshots.changed();
    if (open.size === 0) return;
    let described: Described | null;
    try {
      described = describeChange(change, stores, compounds);
    } catch (err) {
      log.error({ err }, 'live delta failed');
      return;
    }
    if (described !== null) batch.add(described);
  });

  const scopeOf = (conn: LiveConnection) => `${conn.user.role}|${conn.user.compoundIds.join(',')}`;
  /** The session still valid; a scope that changed meanwhile gets a fresh snapshot of what it may now see. */
  const recheck = (conn: LiveConnection): boolean => {
    const before = scopeOf(conn);
    if (!stillValid(conn)) return false;
    // The view is read again within the new scope (a place no longer theirs → everything), and
    // again after a place moved (an area view's compounds change, the user's scope may not).
    const watched = (v: ViewScope) => [...(v.compounds ?? [])].join(',');
    const was = watched(conn.scope);
    conn.scope = resolveView(conn.user, conn.scope.asked, stores) ?? WHOLE_SCOPE;
    if (scopeOf(conn) !== before || watched(conn.scope) !== was) sendSnapshot(conn);
    return true;
  };
  const unsubscribeUsers = opts.userChanges?.subscribe((userId) => {
    for (const conn of [...open]) {
      if (conn.user.id !== userId) continue;
      if (!recheck(conn)) conn.endSession();
    }
  });

  // At each beat too: a scope changed where the API could not say so (the admin CLI, a place
  // a roster import made in someone's street) catches up within one interval.
  const pinger = setInterval(() => {
    receipts.expire(now());
    heartbeat(open, now(), recheck);
  }, opts.pingIntervalMs ?? TICK_INTERVAL_MS);
  pinger.unref();

  let closed: Promise<void> | null = null;
  return {
    connections: () => open.size,
    close() {
      closed ??= (async () => {
        server.off('upgrade', onUpgrade);
        unsubscribe();
        unsubscribeUsers?.();
        batch.stop();
        clearInterval(pinger);
        const sockets = [...open].map((c) => c.ws);
        open.clear();
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
