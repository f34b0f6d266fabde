import type { Stores } from './ports.js';
import { checkInDueAt } from './check-ins.js';
import { generateDeviceId, generateSecret, hashSecret, isValidDeviceId } from './device-credentials.js';
import { isValidTimeZone } from '../domain/zoned-time.js';
import { assertAddressFree } from './households.js';

export type NewHousehold = { compound: string; building: string; room: string; name: string; timezone?: string };

const MAX_NAME = 100;

/** Checks a household's text fields; returns the problem, or null. */
export function checkNewHousehold(input: NewHousehold): string | null {
  for (const field of ['compound', 'building', 'name'] as const) {
    const value = input[field].trim();
    if (value === '') return `${field} must not be empty`;
    if (value.length > MAX_NAME) return `${field} is longer than ${MAX_NAME} characters`;
  }
  if (input.room.length > MAX_NAME) return `room is longer than ${MAX_NAME} characters`;
  if (input.timezone !== undefined && !isValidTimeZone(input.timezone))
    return `timezone ${input.timezone} is not an IANA time zone`;
  return null;
}

/**
 * A household under compound › building, both found by name or created. An address already an
 * open household's (domain/address.ts) throws AddressTaken (a RangeError naming that household):
 * adding twice never makes two.
 */
export function addHousehold(stores: Stores, input: NewHousehold, now: number): number {
  const problem = checkNewHousehold(input);
  if (problem !== null) throw new RangeError(problem);
  return stores.transaction(() => {
    const compound = stores.places.findOrCreateCompound(input.compound.trim(), now);
    const building = stores.places.findOrCreateBuilding(compound.id, input.building.trim(), now);
    assertAddressFree(stores, { ...input, buildingId: building.id });
    const id = stores.places.createHousehold(
      {
        buildingId: building.id,
        name: input.name.trim(),
        room: input.room.trim(),
        ...(input.timezone ? { timezone: input.timezone } : {}),
      },
      now,
    );
    // Silence is counted from registration: no check-in by then is a missed check-in.
    const schedule = stores.places.schedule(id);
    if (schedule !== null) stores.places.setCheckInDue(id, checkInDueAt(schedule, null, now));
    return id;
  });
}

/** Issues a device for a household. The secret is returned here once and stored only as a hash. */
export function provisionDevice(
  stores: Stores,
  householdId: number,
  now: number,
  id = generateDeviceId(),
): { id: string; secret: string } {
  if (!isValidDeviceId(id))
    throw new RangeError(`device id ${JSON.stringify(id)} is not valid: 3-23 letters, digits, '-' or '_'`);
  if (stores.places.getHousehold(householdId) === null) throw new RangeError(`household ${householdId} does not exist`);
  const secret = generateSecret();
  stores.devices.create(id, householdId, hashSecret(secret), now);
  return { id, secret };
}
