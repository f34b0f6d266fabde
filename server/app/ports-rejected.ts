import type { RejectTally } from '../domain/reject-limit.js';
import type { RejectedMessage } from './records.js';

/** The rejected-messages log and the per-device tallies of unreadable messages (issue 16). */
export interface RejectedStore {
  insert(message: Omit<RejectedMessage, 'id'>): number;
  listForDevice(deviceId: string): RejectedMessage[];
  /** Drops the oldest rows so that at most `maxRows` remain up to `newestId` (the last insert); how many went. */
  bound(newestId: number, maxRows: number): number;
  count(): number;
  /** A device's tally of unreadable messages (server/domain/reject-limit.ts), or null if it never sent one. */
  tally(deviceId: string): RejectTally | null;
  saveTally(tally: RejectTally): void;
}
