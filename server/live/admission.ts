import { countMessage, type MessageWindow, WINDOW_MS } from './rate-limit.js';

/**
 * What one session, and one address, may cost the live hub (issue 12): a snapshot is the
 * expensive thing the feed does (1.8 MB for 10,000 households, built on the event loop), and
 * before these limits one logged-in user with 10 sockets × 50 resyncs held a press up for 38 s.
 */
export type AdmissionLimits = {
  /** Open sockets per session (a wall, a phone and a few tabs). */
  maxSocketsPerSession: number;
  /** Open sockets per remote address (a service station behind one NAT). */
  maxSocketsPerAddress: number;
  /** Snapshots (on connect and on resync) per session per WINDOW_MS, over all its sockets. */
  maxSnapshotsPerSession: number;
};

export const DEFAULT_ADMISSION: AdmissionLimits = {
  maxSocketsPerSession: 8,
  maxSocketsPerAddress: 64,
  maxSnapshotsPerSession: 20,
};

/** Past this many remembered session windows, the ended ones are dropped. */
const PRUNE_AT = 10_000;

export function createAdmission(limits: AdmissionLimits) {
  const sockets = new Map<string, number>();
  const snapshots = new Map<string, MessageWindow>();
  const count = (key: string) => sockets.get(key) ?? 0;
  const add = (key: string, by: number) => {
    const n = count(key) + by;
    if (n <= 0) sockets.delete(key);
    else sockets.set(key, n);
  };

  return {
    /**
     * A socket slot for this session and address, or null when either already has its
     * maximum. The returned function gives the slot back (only the first call counts).
     */
    take(session: string, address: string): (() => void) | null {
      const bySession = `s:${session}`;
      const byAddress = `a:${address}`;
      if (count(bySession) >= limits.maxSocketsPerSession || count(byAddress) >= limits.maxSocketsPerAddress)
        return null;
      add(bySession, 1);
      add(byAddress, 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        add(bySession, -1);
        add(byAddress, -1);
      };
    },

    /** Counts a snapshot for the session at `now`; false once it is over its budget in this window. */
    snapshot(session: string, now: number): boolean {
      let window = snapshots.get(session);
      if (window === undefined) {
        if (snapshots.size >= PRUNE_AT) {
          for (const [key, w] of snapshots) if (now - w.start >= WINDOW_MS) snapshots.delete(key);
        }
        window = { start: now, messages: 0 };
        snapshots.set(session, window);
      }
      return countMessage(window, now, limits.maxSnapshotsPerSession);
    },
  };
}

export type Admission = ReturnType<typeof createAdmission>;
