import type { Device, Household, HouseholdClosed } from './records.js';

// The port of a household's lifecycle and of devices staff manage (issue 15: close, reopen, move,
// the devices list, the household_changes journal), apart from ports.ts to keep that file under
// the size rule; Stores.households is this.

/** A device as staff list it (GET /api/devices): when it was made and retired too. */
export type ListedDevice = Device & {
  createdAt: number;
  /** Its household and address (the inventory's columns); absent where a single device is read. */
  place?: { name: string; compoundId: number; compound: string; building: string; room: string };
};

/** The inventory's orders: by id, by last seen (never seen first), newest seen first. */
export type DeviceSort = 'id' | 'lastSeen' | '-lastSeen';

export type DeviceFilter = {
  /** The compounds the asker sees; null = all (an admin). */
  compoundIds: readonly number[] | null;
  householdId?: number;
  compoundId?: number;
  /** true: the retired ones only; false (the default): those in use. */
  retired?: boolean;
  /** As its heartbeats report it (issue 16's inventory). */
  model?: string;
  /** true: online only; false: offline only. */
  online?: boolean;
  /** Only those whose last battery was under LOW_BATTERY_PERCENT (domain/device-health.ts). */
  lowBattery?: boolean;
  sort?: DeviceSort;
};

export interface HouseholdsStore {
  /** The open households of a building at this room (trimmed): the candidates of the address rule. */
  openAt(buildingId: number, room: string): Household[];
  /** Closes an open household and stops its check-ins (due time NULL); false if it was closed already. */
  close(householdId: number, closed: HouseholdClosed): boolean;
  /** Opens a closed household again (its check-in due as given); false if it was open. */
  reopen(householdId: number, checkInDueAt: number | null): boolean;
  /** Puts the household in another building (of the same compound: the caller checks). */
  moveToBuilding(householdId: number, buildingId: number): void;
  /** Gives a device (not retired) to another household; false if unknown or retired. */
  moveDevice(deviceId: string, householdId: number): boolean;
  /** One device with its creation time, retired or not. */
  device(id: string): ListedDevice | null;
  /** Devices after the keyset `after` (`seen`: the last one's last-seen time, for the orders by it), at most `limit`. */
  pageDevices(filter: DeviceFilter, after: { id: string; seen?: number }, limit: number): ListedDevice[];
  /** Of these household ids, the open ones (one indexed read: a fleet's batch checks its rows in its transaction). */
  openHouseholds(ids: readonly number[]): number[];
  /** The models reported by the devices in use of these compounds (null: all), at most 200. */
  deviceModels(compoundIds: readonly number[] | null): string[];
  /** The journal's newest seq (0 when empty): where a reader starts. */
  lastChangeSeq(): number;
  /** Journal rows after `seq`, oldest first, at most `limit`. */
  changesAfter(seq: number, limit: number): Array<{ seq: number; householdId: number }>;
  /** Deletes the journal's rows older than its last `keepLast` seqs; how many went. */
  pruneHouseholdChanges(keepLast: number): number;
}
