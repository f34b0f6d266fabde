import { CLOSED_REASONS, type ClosedReason } from '../../protocol/live.js';
import { addressKey, addressText } from '../domain/address.js';
import type { AlertCommand } from '../domain/alert.js';
import { localDate, parseLocalDate } from '../domain/zoned-time.js';
import { checkInDueAt } from './check-ins.js';
import type { Household, Stores } from './ports.js';

/**
 * A household's lifecycle and moves (issue 15), one set of rules for the API
 * (api/routes/households.ts, household-close.ts) and the admin CLI (admin/households.ts): the
 * address rule (domain/address.ts) on every door that gives a household an address, closing
 * (check-ins stop, devices retired, open alerts other than an emergency resolved), reopening,
 * moving to another building of its compound. Each runs in the caller's transaction (or its own);
 * what must go through the safety core (resolving alerts, disconnecting devices) is returned for
 * the caller to do after the commit.
 */

/** The note an alert resolved by a household's closing carries. */
export const CLOSED_NOTE = '住户已注销';

/** The command that resolves an open alert of a household being closed, as `by`. */
export function closingCommand(by: string): AlertCommand {
  return { type: 'resolve', by, note: CLOSED_NOTE };
}

/** The address is an open household's already: a second one there is refused (or, in a roster, an update). */
export class AddressTaken extends RangeError {
  override name = 'AddressTaken';
  constructor(readonly household: Household) {
    super(addressTakenMessage(household));
  }
}

/** "该地址已登记住户 #12 张三；如需修改，请编辑该住户 / already registered as household #12 张三; …". */
export function addressTakenMessage(h: Household): string {
  const where = addressText(h);
  return (
    `该地址（${where}）已登记住户 #${h.id} ${h.name}；如需修改，请编辑该住户 / ` +
    `${where} is already registered as household #${h.id} ${h.name}; to change it, edit that household`
  );
}

/**
 * The open household at this address other than `exceptId`, or null (domain/address.ts: with a
 * room, compound · building · room; without one, the name too). Read through the building's
 * index: the few households of that room.
 */
export function householdAt(
  stores: Stores,
  at: { buildingId: number; compound: string; building: string; room: string; name: string },
  exceptId: number | null = null,
): Household | null {
  const key = addressKey(at);
  return (
    stores.households.openAt(at.buildingId, at.room).find((h) => h.id !== exceptId && addressKey(h) === key) ?? null
  );
}

/** Throws AddressTaken when the address is another open household's. */
export function assertAddressFree(
  stores: Stores,
  at: { buildingId: number; compound: string; building: string; room: string; name: string },
  exceptId: number | null = null,
): void {
  const taken = householdAt(stores, at, exceptId);
  if (taken !== null) throw new AddressTaken(taken);
}

export type Refusal = {
  ok: false;
  /** notFound 404; validation 400; conflict 409 (closed already, an emergency open, an address taken). */
  kind: 'notFound' | 'validation' | 'conflict';
  message: string;
  householdId?: number;
};

export type CloseInput = { reason: string; on: string; note?: string | undefined };

export type Closed = {
  ok: true;
  household: Household;
  /** Retired now: their live connections are to be closed (the core link's disconnectDevice). */
  devices: string[];
  /** Open alerts (not emergencies) to resolve with CLOSED_NOTE, through the alert use case. */
  alerts: number[];
};

/** Checks a close's reason, date (a real day, not after today in the household's zone) and note. */
export function checkClose(input: CloseInput, timeZone: string, now: number): Refusal | null {
  if (!(CLOSED_REASONS as readonly string[]).includes(input.reason))
    return refuse(
      'validation',
      `原因须为 ${CLOSED_REASONS.join('、')} / reason must be one of ${CLOSED_REASONS.join(', ')}`,
    );
  if (!/^\d{4}-\d{2}-\d{2}$/.test(input.on) || parseLocalDate(input.on) === null)
    return refuse('validation', `日期 ${input.on} 无效，应为 YYYY-MM-DD / ${input.on} is not a date YYYY-MM-DD`);
  if (input.on > localDate(now, timeZone))
    return refuse('validation', `日期 ${input.on} 在今天之后 / ${input.on} is after today`);
  if ((input.note ?? '').length > 500) return refuse('validation', '备注最多 500 字 / the note is longer than 500');
  return null;
}

/**
 * Closes a household (in one transaction): refused while an emergency is open (someone must go
 * to the door first); otherwise closed_* set and its check-in due time cleared (the store keeps
 * it so: places.ts), its devices retired. Its history stays.
 */
export function closeHousehold(stores: Stores, householdId: number, input: CloseInput, now: number): Closed | Refusal {
  return stores.transaction(() => {
    const h = stores.places.getHousehold(householdId);
    if (h === null) return refuse('notFound', `household ${householdId} not found`);
    if (h.closed !== null)
      return refuse('conflict', `住户 #${h.id} 已注销 / household #${h.id} is closed already`, h.id);
    const problem = checkClose(input, h.timezone, now);
    if (problem !== null) return problem;
    if (stores.alerts.findOpen(h.id, 'emergency') !== null)
      return refuse(
        'conflict',
        `住户 #${h.id} ${h.name} 有未解决的紧急求助，请先处理再注销 / household #${h.id} has an open emergency: resolve it before closing`,
        h.id,
      );
    const reason = input.reason as ClosedReason;
    stores.households.close(h.id, { at: now, on: input.on, reason, note: (input.note ?? '').trim() });
    const devices = stores.devices.forHousehold(h.id).map((d) => d.id);
    for (const id of devices) stores.devices.retire(id, now);
    const alerts = (['service', 'missed_checkin', 'device'] as const).flatMap((kind) => {
      const open = stores.alerts.findOpen(h.id, kind);
      return open === null ? [] : [open.id];
    });
    return { ok: true as const, household: stores.places.getHousehold(h.id) as Household, devices, alerts };
  });
}

/**
 * Opens a closed household again (a close made by mistake): refused when its address has been
 * given to a new household meanwhile. Its silence is counted from now, as for a registration
 * (not from before the close: that would raise a missed check-in at once). Devices stay retired.
 */
export function reopenHousehold(
  stores: Stores,
  householdId: number,
  now: number,
): { ok: true; household: Household } | Refusal {
  return stores.transaction(() => {
    const h = stores.places.getHousehold(householdId);
    if (h === null) return refuse('notFound', `household ${householdId} not found`);
    if (h.closed === null) return refuse('conflict', `住户 #${h.id} 未注销 / household #${h.id} is not closed`, h.id);
    const taken = householdAt(stores, h, h.id);
    if (taken !== null) return refuse('conflict', addressTakenMessage(taken), taken.id);
    const schedule = stores.places.schedule(h.id);
    stores.households.reopen(h.id, schedule === null ? null : checkInDueAt(schedule, null, now));
    return { ok: true as const, household: stores.places.getHousehold(h.id) as Household };
  });
}

/**
 * Moves a household to a building of its compound, found by name or created; refused when the
 * address there is another open household's. In the caller's transaction.
 */
export function moveHousehold(
  stores: Stores,
  householdId: number,
  buildingName: string,
  now: number,
): { ok: true; household: Household } | Refusal {
  return stores.transaction(() => {
    const h = stores.places.getHousehold(householdId);
    if (h === null) return refuse('notFound', `household ${householdId} not found`);
    if (h.closed !== null) return refuse('conflict', `住户 #${h.id} 已注销 / household #${h.id} is closed`, h.id);
    const name = buildingName.trim();
    if (name === '' || name.length > 100)
      return refuse('validation', '楼栋名须为 1–100 字 / the building name must be 1–100 characters');
    if (name === h.building) return { ok: true as const, household: h };
    const building = stores.places.findOrCreateBuilding(h.compoundId, name, now);
    const taken = householdAt(stores, { ...h, buildingId: building.id, building: name }, h.id);
    if (taken !== null) return refuse('conflict', addressTakenMessage(taken), taken.id);
    stores.households.moveToBuilding(h.id, building.id);
    return { ok: true as const, household: stores.places.getHousehold(h.id) as Household };
  });
}

/** A device to another (open) household; the caller closes its live connection after the commit. */
export function moveDevice(
  stores: Stores,
  deviceId: string,
  householdId: number,
): { ok: true; from: Household; to: Household } | Refusal {
  return stores.transaction(() => {
    const device = stores.devices.get(deviceId);
    if (device === null || device.retiredAt !== null) return refuse('notFound', `device ${deviceId} not found`);
    const from = stores.places.getHousehold(device.householdId);
    const to = stores.places.getHousehold(householdId);
    if (from === null) return refuse('notFound', `device ${deviceId} not found`);
    if (to === null) return refuse('notFound', `household ${householdId} not found`);
    if (to.closed !== null) return refuse('conflict', `住户 #${to.id} 已注销 / household #${to.id} is closed`, to.id);
    stores.households.moveDevice(deviceId, to.id);
    return { ok: true as const, from, to };
  });
}

function refuse(kind: Refusal['kind'], message: string, householdId?: number): Refusal {
  return { ok: false, kind, message, ...(householdId !== undefined ? { householdId } : {}) };
}
