import type { Logger } from 'pino';
import { seesCompound } from '../api/auth.js';
import type { LiveConnection } from './connection.js';
import type { Described } from './describe.js';

/**
 * Collects the changes published in one run of the event loop's current callback (one group
 * commit of device messages, one request, one sweep: "committed together", see DeltaFrame in
 * protocol/live.ts) and sends them as ONE delta frame per connection in a microtask at the end of
 * that callback. At 1,000 presses/s to 100 dashboards, a frame (and a write system call) per change
 * per dashboard was what saturated the server (bench/RESULTS.md, "Profile"). A microtask rather
 * than setImmediate: the group commit already gathers a turn, and waiting for the next turn would
 * put a whole poll phase between the commit and the dashboards. Each change is serialised once
 * (describe.ts), and the list once per distinct filter (user's compounds), not per socket.
 */
export function createDeltaBatcher(
  open: Set<LiveConnection>,
  log: Logger,
  /** The counts changes (CompoundCountsChangeJson, as JSON) of these compounds, read now. */
  countsOf: (compoundIds: readonly number[]) => Map<number, string>,
) {
  /** The changes committed together, in commit order, until flush. */
  let turn: Described[] = [];
  let flushing = false;
  let stopped = false;

  /** One delta frame per connection that may see any of the pending changes. */
  function flush(): void {
    flushing = false;
    if (stopped) return;
    const batch = turn;
    turn = [];
    // Connections with the same filter get the same list: joined and encoded once.
    const bodies = new Map<string, Buffer | null>();
    // The counts of the compounds this turn touched, read once, and only if an area view wants them.
    let counts: Map<number, string> | null = null;
    const countsNow = () => {
      counts ??= countsOf([...new Set(batch.filter((d) => d.counts).map((d) => d.compoundId))]);
      return counts;
    };
    for (const conn of open) {
      const from = conn.turnFrom;
      conn.turnFrom = 0;
      if (conn.closing) continue;
      const { scope } = conn;
      const key = `${from}|${conn.user.role === 'admin' ? '*' : conn.user.compoundIds.join(',')}|${scope.key}`;
      let body = bodies.get(key);
      if (body === undefined) {
        const parts: string[] = [];
        const touched = new Set<number>();
        for (let i = from; i < batch.length; i += 1) {
          const d = batch[i] as Described;
          if (!seesCompound(conn.user, d.compoundId)) continue;
          const watched = scope.compounds === null || scope.compounds.has(d.compoundId);
          if (scope.area && d.counts && watched) touched.add(d.compoundId);
          if (d.detail && (scope.area || !watched)) continue;
          parts.push(d.json);
        }
        if (touched.size > 0) {
          const now = countsNow();
          for (const id of touched) {
            const json = now.get(id);
            if (json !== undefined) parts.push(json);
          }
        }
        body = parts.length === 0 ? null : Buffer.from(`${parts.join(',')}]}`);
        bodies.set(key, body);
      }
      if (body === null) continue;
      conn.seq += 1;
      try {
        conn.send(Buffer.concat([Buffer.from(`{"type":"delta","seq":${conn.seq},"changes":[`), body]));
      } catch (err) {
        // Thrown in a microtask this would end the process; this socket ends instead (it resyncs).
        log.error({ err, userId: conn.user.id }, 'live delta failed');
        conn.close(1011, 'delta failed');
      }
    }
  }

  return {
    add(described: Described): void {
      turn.push(described);
      if (!flushing) {
        flushing = true;
        queueMicrotask(flush);
      }
    },
    /**
     * How many changes are pending: a snapshot read now holds them all, so its connection skips
     * that many (LiveConnection.turnFrom).
     */
    pending(): number {
      return turn.length;
    },
    stop(): void {
      stopped = true;
      turn = [];
    },
  };
}

export type DeltaBatcher = ReturnType<typeof createDeltaBatcher>;
