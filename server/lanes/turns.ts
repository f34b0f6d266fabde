import type net from 'node:net';

/**
 * How much of the people side's own work (an HTTP request's handling, a /ws client's message) one
 * slice of its event loop may run before the rest waits for a later turn.
 */
export const TURN_BUDGET_MS = 10;

/**
 * Bounds the people side's work per turn of its event loop (issue 12: a red's receipt over HTTPS).
 *
 * Over TLS a socket sends at most one write per turn of the event loop at once: Node's TLS layer
 * holds every later write to it until the turn's check phase (`TLSWrap::EncOut` waits for the
 * first write's completion, which it reports at `SetImmediate`). So a dashboard that got a delta
 * early in a turn gets the next one — a red's receipt — only when the turn ends, however early it
 * was published. Under a flood one turn ran the requests of hundreds of attackers: the siege over
 * HTTPS measured receipts that left the hub at once and reached the dashboard 140–640 ms later.
 * Over plain HTTP a write leaves at once, but a long turn still holds everything that waits for
 * the event loop (the core's changes, the loop's own delivery).
 *
 * So each unit of work asks `run(work)` first. Within a slice's budget it runs at once; past it,
 * and behind any that already wait, it waits its turn in first-come order. Waiting work runs one
 * at a time, each in a setImmediate of its own: Node runs the work's promise continuations and
 * next-ticks before the next one, so the budget is read after the whole of it. A slice begins with
 * the first unit of work after the last ended and ends at the next check phase; waiting work past
 * the budget moves to the next turn. Each slice runs at least one unit, so all of it gets done.
 * Before each unit that waited `beforeEach` runs (the people side publishes the core's changes
 * there: `CoreLink.catchUp`).
 *
 * What this cannot bound is work that runs before any callback of ours: reading and decrypting
 * what arrived, parsing a request's head, a TLS handshake.
 */
export function createTurnPacer(
  opts: {
    budgetMs?: number;
    now?: () => number;
    beforeEach?: () => void;
    /** A later turn (setImmediate); tests pass their own. */
    later?: (fn: () => void) => void;
  } = {},
) {
  const budgetMs = opts.budgetMs ?? TURN_BUDGET_MS;
  const now = opts.now ?? (() => performance.now());
  const later = opts.later ?? ((fn: () => void) => void setImmediate(fn));
  /** When the current slice began; null between slices. */
  let sliceStart: number | null = null;
  let waiting = 0;
  let ran = 0;
  let deferred = 0;

  /** The time spent in the current slice, which begins now if none is running. */
  const spent = (): number => {
    if (sliceStart === null) {
      const start = now();
      sliceStart = start;
      // Queued before anything that waits from here on: the slice ends before that runs.
      later(() => {
        if (sliceStart === start) sliceStart = null;
      });
    }
    return now() - sliceStart;
  };

  return {
    /** `work` now, within this slice's budget and with nothing waiting; else in a later turn, in order. */
    run(work: () => void): void {
      if (waiting === 0 && spent() < budgetMs) {
        ran += 1;
        work();
        return;
      }
      waiting += 1;
      deferred += 1;
      const attempt = () => {
        if (spent() >= budgetMs) {
          later(attempt);
          return;
        }
        waiting -= 1;
        ran += 1;
        opts.beforeEach?.();
        work();
      };
      later(attempt);
    },
    /** Units of work run and how many of them waited for a later turn, since the start; and waiting now. */
    stats(): { ran: number; deferred: number; waiting: number } {
      return { ran, deferred, waiting };
    },
  };
}

export type TurnPacer = ReturnType<typeof createTurnPacer>;

/**
 * New connections wait their turn too (over TLS: issue 12's siege opens ~500 at once). What a
 * server's listeners of `event` do for a new socket runs through `pace`; until then the socket
 * only buffers what arrives. Over TLS, 'connection' is the wrapping and, with the client's hello
 * already read, the handshake's first flight (key exchange, signature); 'secureConnection' is the
 * HTTP server taking the socket once the handshake is done. Call it once every listener of `event`
 * is on; it returns the undoing (the listeners as they were).
 */
export function paceConnections(
  server: net.Server,
  pace: (work: () => void) => void,
  event: 'connection' | 'secureConnection' = 'connection',
): () => void {
  const listeners = server.listeners(event) as Array<(socket: net.Socket) => void>;
  server.removeAllListeners(event);
  const paced = (socket: net.Socket) => {
    // Reset while it waits: gone, and nothing else hears of it.
    const gone = () => socket.destroy();
    socket.on('error', gone);
    pace(() => {
      socket.off('error', gone);
      if (socket.destroyed) return;
      for (const listener of listeners) listener.call(server, socket);
    });
  };
  server.on(event, paced);
  return () => {
    server.off(event, paced);
    for (const listener of listeners) server.on(event, listener);
  };
}
