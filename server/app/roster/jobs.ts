import { type CheckedFleet, checkFleet } from '../fleet/check.js';
import type { IssuedDevice } from '../fleet/provision.js';
import { fleetXlsx } from '../fleet/sheet.js';
import type { Stores, User } from '../ports.js';
import { householdRows, peopleRows } from './export.js';
import type { RosterProblem } from './format.js';
import { type CheckedRoster, checkRoster, type RosterFormat, type RosterKind } from './import.js';
import { readRosterRecords } from './read-file.js';
import { writeWorkbook } from './sheets.js';

/** What a roster checker's thread does: check a file, or write an export as .xlsx (seconds for 20,000 rows: not on the main thread). */
export type RosterJob =
  | { job: 'check'; user: User; kind: RosterKind; format: RosterFormat; bytes: Uint8Array; dryRun: boolean }
  | { job: 'export'; user: User; kind: RosterKind }
  /** A fleet file (issue 16): households that get a device each (app/fleet/check.ts). */
  | { job: 'devices'; user: User; format: RosterFormat; bytes: Uint8Array; dryRun: boolean }
  /** A fleet's sheet written as .xlsx (2,000 rows: ~0.3 s, not on the main thread). */
  | { job: 'fleet-sheet'; devices: IssuedDevice[] };
export type ExportedRoster = { ok: true; xlsx: Uint8Array; count: number };
export type JobOutcome = CheckedRoster | RosterProblem | ExportedRoster | CheckedFleet;

export const EXPORT_NAME: Record<RosterKind, string> = { households: '住户名单', people: '人员名单' };

/**
 * Runs one job. `atOnce` runs its function in one read transaction (the worker's), so that every
 * row is read at the same moment of the database; the file itself is read (unzipped, parsed)
 * before it, outside the transaction.
 */
export async function runRosterJob(
  stores: Stores,
  job: RosterJob,
  atOnce: <T>(read: () => T) => T = (read) => read(),
): Promise<JobOutcome> {
  if (job.job === 'fleet-sheet') return { ok: true, xlsx: await fleetXlsx(job.devices), count: job.devices.length };
  if (job.job === 'export') {
    const { rows, count } = atOnce(() =>
      job.kind === 'households' ? householdRows(stores, job.user) : peopleRows(stores, job.user),
    );
    return { ok: true, xlsx: await writeWorkbook([{ name: EXPORT_NAME[job.kind], rows }]), count };
  }
  const file = await readRosterRecords(job.format, job.bytes);
  if (!file.ok) return file;
  if (job.job === 'devices') return atOnce(() => checkFleet(stores, job.user, file, job.dryRun));
  return atOnce(() => checkRoster(stores, job.user, job.kind, file, job.dryRun));
}
