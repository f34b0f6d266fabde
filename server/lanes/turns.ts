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
 * and behind any that already wait, it waits in first-come order. Waiting work runs one unit per
 * setImmediate, a batch of them a turn: Node runs a unit's promise continuations and next-ticks
 * before the next immediate, so the budget is read after the whole of it. A slice begins with the
 * first unit of work after the last ended, or with a turn's batch, and ends at the next check
 * phase. The first unit of a batch always runs (all of it gets done); the others only within the
 * budget, and what is left goes to the next turn's batch. A batch is a few immediates, not one per
 * waiting unit: hundreds of attackers waiting cost the same per turn as one. Before each unit that
 * waited `beforeEach` runs (the people side publishes the core's changes there: `CoreLink.catchUp`).
 *
 * What this cannot bound is work that runs before any callback of ours: reading and decrypting
 * what arrived, parsing a request's head, the end of a TLS handshake.
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
  /** The work waiting, first come first. */
  const queue: Array<() => void> = [];
  /** Immediates of the batch not yet run. */
  let pending = 0;
  let ran = 0;
  let deferred = 0;

  const openSlice = (): void => {
    const start = now();
    sliceStart = start;
    // Queued before anything that waits from here on: the slice ends before that runs.
    later(() => {
      if (sliceStart === start) sliceStart = null;
    });
  };
  /** The time spent in the current slice, which begins now if none is running. */
  const spent = (): number => {
    if (sliceStart === null) openSlice();
    return now() - (sliceStart as number);
  };
  /** A step of waiting work has run in this turn's check phase (the first opens a slice). */
  let stepped = false;
  const step = (): void => {
    pending -= 1;
    const first = !stepped;
    if (first) {
      stepped = true;
      later(() => {
        stepped = false;
      });
    }
    if (queue.length > 0 && (first || spent() < budgetMs)) {
      // A turn's first unit opens a slice of its own: the poll phase before it is not its cost.
      if (first) openSlice();
      const work = queue.shift() as () => void;
      ran += 1;
      opts.beforeEach?.();
      work();
    }
    if (pending === 0 && queue.length > 0) schedule();
  };
  /** Steps for the next turn, one per waiting unit up to a batch. */
  const schedule = (): void => {
    const n = Math.min(queue.length, BATCH) - pending;
    for (let i = 0; i < n; i++) {
      pending += 1;
      later(step);
    }
  };

  return {
    /** `work` now, within this slice's budget and with nothing waiting; else in a later turn, in order. */
    run(work: () => void): void {
      if (queue.length === 0 && spent() < budgetMs) {
        ran += 1;
        work();
        return;
      }
      queue.push(work);
      deferred += 1;
      schedule();
    },
    /** Units of work run and how many of them waited for a later turn, since the start; and waiting now. */
    stats(): { ran: number; deferred: number; waiting: number } {
      return { ran, deferred, waiting: queue.length };
    },
  };
}

/** Immediates a turn for waiting work: more than a 10 ms budget runs of the cheapest requests. */
const BATCH = 32;

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
