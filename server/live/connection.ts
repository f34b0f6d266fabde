import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { type ClientFrame, SESSION_ENDED, TOO_SLOW } from '../../protocol/live.js';
import { sessionUser } from '../api/auth.js';
import type { Stores } from '../app/ports.js';
import type { User } from '../app/ports.js';
import { Outgoing } from './outgoing.js';
import { countMessage, type MessageWindow } from './rate-limit.js';
import { readView, type ViewScope, WHOLE_SCOPE } from './view.js';

export type ConnectionLimits = {
  /** Past this many bytes waiting to be sent on one socket, it is closed with TOO_SLOW (Outgoing.waiting). */
  maxBufferedBytes: number;
  /** Client messages allowed per rate-limit window. */
  maxMessages: number;
};

/** One dashboard's socket and what the hub keeps for it; it leaves `open` the moment it starts closing. */
export class LiveConnection {
  /** The last seq sent (snapshot and delta frames share the counter). */
  seq = 0;
  /** Pending changes before this index are already in the snapshot it was sent. */
  turnFrom = 0;
  /** Answered the last ping. */
  alive = true;
  /** What it watches (protocol/live.ts, LiveView): set on connect and by a view frame. */
  scope: ViewScope = WHOLE_SCOPE;
  closing = false;
  readonly window: MessageWindow;
  /** What goes out on the socket, in order; snapshots in chunks (outgoing.ts). */
  private readonly out: Outgoing;

  constructor(
    readonly ws: WebSocket,
    /** Refreshed at each session recheck (role and compounds may have changed). */
    public user: User,
    readonly sessionHash: Buffer,
    private readonly open: Set<LiveConnection>,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
    now: number,
  ) {
    this.window = { start: now, messages: 0 };
    this.out = new Outgoing(ws, (err) => {
      log.error({ err, userId: this.user.id }, 'live send failed');
      this.close(1011, 'send failed');
    });
    // Closed by either side, or terminated: gone from the open set; a snapshot in progress
    // stops and the queue is dropped.
    ws.once('close', () => {
      open.delete(this);
      this.out.stop();
    });
    open.add(this);
  }

  /**
   * Sends one text frame, or cuts the socket off if it has fallen too far behind: what waits for
   * this client alone (bytes not yet taken by the kernel, frames queued behind a snapshot in
   * progress; Outgoing.waiting) plus this frame over the limit. With nothing waiting the frame goes
   * whatever its size, so one big burst does not cut off a client that reads. Behind a snapshot
   * in progress it waits its turn (deltas keep their order and seq).
   */
  send(frame: Buffer): void {
    if (this.closing) return;
    const waiting = this.out.waiting();
    if (waiting > 0 && waiting + frame.length > this.limits.maxBufferedBytes) {
      this.log.warn({ userId: this.user.id, buffered: waiting }, 'live client too slow; closing');
      this.close(TOO_SLOW, 'too slow, resync');
      return;
    }
    this.out.frame(frame);
  }

  /**
   * A snapshot always goes: the client asked for it (on connect or resync), and snapshots are
   * limited per session (admission.ts). It is one text message, the connection's own `head`
   * (`{"type":"snapshot","seq":N,`) and then the scope's shared `rest`, sent in chunks each
   * written once the previous one is taken (outgoing.ts), and it does not count against the
   * buffered-bytes rule: over TLS the 101 answer may still sit in the TLS socket, and a snapshot
   * over the limit sent whole was cut off as too slow on every reconnect (a dashboard of ~5,800
   * households never loaded over HTTPS). A client that reads nothing stops its snapshot where it
   * is; the deltas that then queue behind it are what the rule counts.
   */
  sendSnapshot(head: Buffer, rest: Buffer): void {
    if (this.closing) return;
    this.out.snapshot(head, rest);
  }

  /**
   * A tick (no seq): only on a socket with nothing waiting and no snapshot in progress, so it
   * never comes between a snapshot's fragments and never piles up behind frames the client has
   * yet to hear (protocol/live.ts, TickFrame).
   */
  sendTick(tick: string): void {
    if (!this.closing) this.out.ifIdle(tick);
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.open.delete(this);
    this.out.stop();
    // A close frame may come between a snapshot's fragments (a control frame, RFC 6455 §5.4).
    this.ws.close(code, reason);
    // A peer that does not read never answers the close frame: drop it after a grace period.
    const timer = setTimeout(() => this.ws.terminate(), 5000);
    timer.unref();
    this.ws.once('close', () => clearTimeout(timer));
  }

  /**
   * A client message: counted against the rate limit (over it → 1008), then read as a
   * ClientFrame; anything that is not one is ignored.
   */
  receive(data: RawData, isBinary: boolean, now: number): ClientFrame | null {
    if (!countMessage(this.window, now, this.limits.maxMessages)) {
      this.close(1008, 'too many messages');
      return null;
    }
    return isBinary ? null : readClientFrame(data.toString());
  }

  /** The user and session still valid? (Logout, expiry, disabling end the live feed too.) */
  recheckSession(stores: Stores, now: number): boolean {
    const found = sessionUser(stores, this.sessionHash, now);
    if (found === null || found.user.id !== this.user.id) return false;
    this.user = found.user;
    return true;
  }

  endSession(): void {
    this.close(SESSION_ENDED, 'session ended');
  }
}

/** A client's text message as a ClientFrame, or null if it is not one (ignored, as the contract says). */
export function readClientFrame(text: string): ClientFrame | null {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof message !== 'object' || message === null) return null;
  const { type, view } = message as { type?: unknown; view?: unknown };
  if (type === 'resync') return { type: 'resync' };
  if (type === 'view') {
    const read = readView(view);
    return read === undefined ? null : { type: 'view', view: read };
  }
  return null;
}
