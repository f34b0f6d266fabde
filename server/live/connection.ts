import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { type ClientFrame, SESSION_ENDED, TOO_SLOW } from '../../protocol/live.js';
import { sessionUser } from '../api/auth.js';
import type { Stores } from '../app/ports.js';
import type { User } from '../app/ports.js';
import { countMessage, type MessageWindow } from './rate-limit.js';

export type ConnectionLimits = {
  /** Past this many bytes waiting to be sent on one socket, it is closed with TOO_SLOW. */
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
  closing = false;
  readonly window: MessageWindow;

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
    open.add(this);
  }

  /**
   * Sends one text frame, or cuts the socket off if it has fallen too far behind: bytes still
   * waiting (not taken by the kernel) plus this frame over the limit. With nothing waiting the
   * frame goes whatever its size, so one big snapshot or burst does not cut off a client that reads.
   */
  send(frame: Buffer): void {
    if (this.closing) return;
    const waiting = this.ws.bufferedAmount;
    if (waiting > 0 && waiting + frame.length > this.limits.maxBufferedBytes) {
      this.log.warn({ userId: this.user.id, buffered: waiting }, 'live client too slow; closing');
      this.close(TOO_SLOW, 'too slow, resync');
      return;
    }
    this.ws.send(frame, { binary: false });
  }

  /**
   * A snapshot always goes: the client asked for it (on connect or resync), and snapshots are
   * limited per session (admission.ts). The buffered-bytes rule cannot judge it: over TLS the
   * 101 answer may still sit in the TLS socket when the first snapshot is sent, so "nothing
   * waiting" is not readable from bufferedAmount, and a snapshot over the limit was cut off as too
   * slow on every reconnect (a dashboard of ~5,800 households never loaded over HTTPS).
   */
  sendSnapshot(head: Buffer, rest: Buffer): void {
    if (this.closing) return;
    // One text message in two fragments, written back to back (nothing can come between them).
    this.ws.send(head, { binary: false, fin: false });
    this.ws.send(rest, { binary: false, fin: true });
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.open.delete(this);
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
  if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'resync')
    return { type: 'resync' };
  return null;
}
