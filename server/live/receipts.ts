import type { Change, ReceiptJson, ReceiptStatus } from '../../protocol/live.js';

/**
 * A receipt not yet settled. An unrecorded one stays this long at most: by then the device has
 * resent it (recorded: gone), or the server has been failing to write for a day and the
 * operators know by other means (/healthz, the logs, no check-ins).
 */
export const UNRECORDED_KEEP_MS = 24 * 3600_000;

/** A red press told before its commit that is not on disk yet (recording or unrecorded). */
export type UnsettledReceipt = {
  id: number;
  householdId: number;
  deviceId: string;
  status: ReceiptStatus;
  receivedAt: number;
};

/**
 * Keeps the receipts a snapshot must show: a red on its way to disk, or one whose commit
 * failed, until a red of that household is on disk (this press, its resend, or a person's
 * report: the household then has its emergency alert) or UNRECORDED_KEEP_MS have passed.
 */
export function createReceiptTracker() {
  const receipts = new Map<number, UnsettledReceipt>();

  function forget(householdId: number): void {
    if (receipts.size === 0) return;
    for (const [id, r] of receipts) if (r.householdId === householdId) receipts.delete(id);
  }

  return {
    /** Sees every change on the feed (cheap for all but receipts and red reports). */
    track(change: Change): void {
      if (change.type === 'receipt') {
        if (change.status === 'recorded') forget(change.householdId);
        else
          receipts.set(change.receiptId, {
            id: change.receiptId,
            householdId: change.householdId,
            deviceId: change.deviceId,
            status: change.status,
            receivedAt: change.at,
          });
      } else if (change.type === 'report' && change.state === 'red') {
        forget(change.householdId);
      }
    },
    /** Drops those received more than UNRECORDED_KEEP_MS before `now`. */
    expire(now: number): void {
      const expired = now - UNRECORDED_KEEP_MS;
      for (const [id, r] of receipts) if (r.receivedAt < expired) receipts.delete(id);
    },
    unsettled(): IterableIterator<UnsettledReceipt> {
      return receipts.values();
    },
  };
}

export type ReceiptTracker = ReturnType<typeof createReceiptTracker>;

/** A receipt as a snapshot lists it. */
export function receiptView(r: UnsettledReceipt, compoundId: number): ReceiptJson {
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
