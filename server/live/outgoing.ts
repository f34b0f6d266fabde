import { WebSocket } from 'ws';

/**
 * A snapshot goes out as one text message in fragments of at most this many bytes (its own head
 * apart): over TLS each fragment is encrypted in one go on the event loop, so this bounds that
 * step, while 10,000 households (~1.8 MB) still take only ~28 turns.
 */
export const SNAPSHOT_CHUNK_BYTES = 64 * 1024;

type Queued = { kind: 'frame'; frame: Buffer } | { kind: 'snapshot'; head: Buffer; rest: Buffer };

/** The bytes of a server frame's header in front of `length` payload bytes (unmasked, RFC 6455 §5.2). */
function headerBytes(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

/**
 * What goes out on one socket, in order (issue 12): whole frames, and snapshots sent as ONE text
 * message in fragments of `chunkBytes`, the next written only once the previous one has been
 * taken by the socket (the `send` callback) and the event loop has had a turn (setImmediate: a
 * write the kernel takes at once calls back in the same turn). So one 1.8 MB snapshot neither
 * holds the event loop for its whole size (its TLS encryption included) nor fills the socket's
 * buffer; and a client that stops reading stops its snapshot where it is, costing nothing more.
 *
 * Between the fragments of one message nothing else may be written (RFC 6455 §5.4; `ws` would
 * even make the next send a continuation of it): frames sent meanwhile wait in a queue, in order,
 * and go right after the snapshot's last fragment; a snapshot asked for meanwhile waits its turn
 * too. Pings and the close frame are control frames and may come between fragments.
 */
export class Outgoing {
  private readonly queue: Queued[] = [];
  /** Bytes of the frames waiting in the queue (this socket's own copies). */
  private queuedBytes = 0;
  /** The snapshot being written: its bytes shared with the other sockets of its scope, and how far. */
  private current: { rest: Buffer; offset: number } | null = null;
  /** Bytes of the current snapshot handed to the socket whose write has not completed, headers included. */
  private inFlight = 0;
  private stopped = false;

  constructor(
    private readonly ws: WebSocket,
    /** A write failed in a later turn (a bug: `ws` does not throw on an open socket); the queue has stopped. */
    private readonly onError: (err: unknown) => void,
    private readonly chunkBytes = SNAPSHOT_CHUNK_BYTES,
  ) {}

  /** A snapshot is being written, or something waits behind one. */
  busy(): boolean {
    return this.current !== null || this.queue.length > 0;
  }

  /**
   * Bytes this socket holds for its client alone, not yet taken by it: what sits in the socket's
   * buffers (the 101 answer over TLS, frames not yet read) and the frames queued behind a
   * snapshot. The snapshot in progress is not counted, neither its fragment in flight (at most one
   * chunk) nor its unwritten rest: those are the scope's shared bytes, and the client asked for them.
   */
  waiting(): number {
    return Math.max(0, this.ws.bufferedAmount - this.inFlight) + this.queuedBytes;
  }

  /**
   * A frame that matters only if it goes now (a tick): written only with nothing waiting, nothing
   * in progress or queued, so it never comes between fragments nor piles up behind frames.
   */
  ifIdle(frame: string): void {
    if (this.stopped || this.busy() || this.ws.bufferedAmount > 0) return;
    this.ws.send(frame);
  }

  /** A whole text frame: written now, or queued behind the snapshot in progress. */
  frame(frame: Buffer): void {
    if (this.stopped) return;
    if (this.busy()) {
      this.queue.push({ kind: 'frame', frame });
      this.queuedBytes += frame.length;
    } else this.ws.send(frame, { binary: false });
  }

  /** One text message: the connection's own `head`, then the shared `rest` in chunks. */
  snapshot(head: Buffer, rest: Buffer): void {
    if (this.stopped) return;
    if (this.busy()) this.queue.push({ kind: 'snapshot', head, rest });
    else this.start(head, rest);
  }

  /** The socket is closing or closed: nothing more is written, the queue and the snapshot are dropped. */
  stop(): void {
    this.stopped = true;
    this.current = null;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private start(head: Buffer, rest: Buffer): void {
    this.current = { rest, offset: 0 };
    this.write(head, false, false);
    this.writeChunk();
  }

  private writeChunk(): void {
    const current = this.current as { rest: Buffer; offset: number };
    const end = Math.min(current.offset + this.chunkBytes, current.rest.length);
    const last = end === current.rest.length;
    const piece = current.rest.subarray(current.offset, end);
    current.offset = end;
    if (last) this.current = null;
    this.write(piece, last, !last);
    // The message is complete: what waited behind it goes now, in order.
    if (last) this.flushQueue();
  }

  /** Writes one fragment of the current message; `next`: write the following one once it is taken. */
  private write(fragment: Buffer, fin: boolean, next: boolean): void {
    const bytes = fragment.length + headerBytes(fragment.length);
    this.inFlight += bytes;
    this.ws.send(fragment, { binary: false, fin }, (err) => {
      this.inFlight -= bytes;
      if (err || !next) return; // an error: the socket is closing, and its 'close' stops us
      setImmediate(() => this.step());
    });
  }

  private step(): void {
    if (this.stopped || this.current === null) return;
    if (this.ws.readyState !== WebSocket.OPEN) {
      this.stop();
      return;
    }
    try {
      this.writeChunk();
    } catch (err) {
      this.stop();
      this.onError(err);
    }
  }

  private flushQueue(): void {
    for (let item = this.queue.shift(); item !== undefined; item = this.queue.shift()) {
      if (item.kind === 'snapshot') {
        this.start(item.head, item.rest);
        return;
      }
      this.queuedBytes -= item.frame.length;
      this.ws.send(item.frame, { binary: false });
    }
  }
}
