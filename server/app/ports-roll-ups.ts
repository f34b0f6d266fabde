import type { AlertKind, RibbonState } from '../domain/ribbon.js';

// The roll-ups' port (issue 14, point 3), apart from ports.ts only to keep that file under the
// size rule; Stores.rollUps is this.

/** Per compound, as of now and for a day [from, to): what the roll-ups add up (app/roll-ups.ts). */
export type CompoundCounts = {
  compoundId: number;
  /** Households registered before the day ended. */
  households: number;
  /** Of those, with a working device: one not retired and online (not offline). */
  withWorkingDevice: number;
  /** Of those, heard from in the day: any press or person's report received, or a device last heard then. */
  heard: number;
  /** Devices not retired, and of those the offline ones. */
  devices: number;
  devicesOffline: number;
};

/** A household of a compound as the drill-down shows it. */
export type HouseholdFigures = {
  id: number;
  name: string;
  room: string;
  building: string;
  state: RibbonState | null;
  stateAt: number | null;
  /** The latest of its last report and its devices' last word (a heartbeat is heard, not a check-in); null: never. */
  lastHeardAt: number | null;
  /** Devices not retired, and of those online. */
  devices: number;
  devicesOnline: number;
  /** Its unresolved alerts' kinds. */
  openAlerts: AlertKind[];
};

/** The grouped reads of the roll-ups (store/roll-ups.ts): each one pass, restricted to the compounds asked for. */
export interface RollUpsStore {
  /** Per compound of `compoundIds` that has households: the counts for the day [from, to). */
  compoundCounts(compoundIds: readonly number[], from: number, to: number): CompoundCounts[];
  /** Unresolved alerts per compound and kind, every compound (as of now; few rows, through alerts_status). */
  openAlerts(): Array<{ compoundId: number; kind: AlertKind; n: number }>;
  /** The households of one compound, by building and room. */
  households(compoundId: number): HouseholdFigures[];
  /** The query plans of the reads (a test checks none scans events or alerts). */
  explain(): string[];
}
