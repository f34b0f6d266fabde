import type { Logger } from 'pino';
import type { Change } from '../app/changes.js';
import type { Stores } from '../app/ports.js';

/** How often the journal is read: a household added by the CLI reaches an open wall within this. */
export const JOURNAL_INTERVAL_MS = 1000;
/** Rows read at a time (a roster import writes thousands): read again until fewer come back. */
const PAGE = 1000;

/**
 * The people side's reader of `household_changes` (migration 14): every household added or
 * changed in what people see, by whichever connection or process wrote it — the API, a roster
 * import, the admin CLI in another process — becomes a `household` change on the live feed. It
 * starts at the journal's newest seq (what is older is in every snapshot already), then reads
 * what came after its last seq, every second and right after the people side's own commits,
 * announcing each household once per round (a household changed three times in a second is sent
 * once, as it is now). The change carries the whole household (closed or not), so a dashboard
 * that hears of one twice merges it twice harmlessly.
 */
export function createHouseholdJournal(deps: {
  stores: Stores;
  publish: (change: Change) => void;
  now: () => number;
  log: Logger;
}) {
  const { stores, publish, now, log } = deps;
  let last = stores.households.lastChangeSeq();
  let timer: NodeJS.Timeout | null = null;
  // Announced in this turn of the event loop: a commit that announces two households reads the
  // journal once, and its second announcement must not go out a second time.
  const thisTurn = new Set<number>();

  /** Reads and announces what is new; the households announced. */
  function poll(): Set<number> {
    const announced = new Set<number>();
    try {
      for (;;) {
        const rows = stores.households.changesAfter(last, PAGE);
        for (const row of rows) announced.add(row.householdId);
        const end = rows.at(-1);
        if (end !== undefined) last = end.seq;
        if (rows.length < PAGE) break;
      }
    } catch (err) {
      // A busy database this round: the rows stay in the journal for the next.
      log.warn({ err }, 'the household journal could not be read');
    }
    const at = now();
    for (const householdId of announced) publish({ type: 'household', householdId, at });
    if (announced.size > 0 && thisTurn.size === 0) queueMicrotask(() => thisTurn.clear());
    for (const id of announced) thisTurn.add(id);
    return announced;
  }

  return {
    poll,
    /**
     * For a change the people side announces itself after its commit: reads the journal now and
     * says whether the household went out from it in this turn (then the caller sends nothing).
     */
    announcedNow(householdId: number): boolean {
      poll();
      return thisTurn.has(householdId);
    },
    start(intervalMs = JOURNAL_INTERVAL_MS): void {
      timer ??= setInterval(poll, intervalMs);
      timer.unref();
    },
    stop(): void {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
    /** The last seq read (tests). */
    seq: () => last,
  };
}

export type HouseholdJournal = ReturnType<typeof createHouseholdJournal>;
