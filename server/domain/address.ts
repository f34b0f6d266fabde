/**
 * A household's address, the one rule for "the same household" (issue 15): the CLI's
 * `add-household`, `POST /api/households` and the roster import all ask it, so that adding what
 * is already there refuses (or, in a roster, updates) instead of making a second household.
 *
 * With a room, the address is compound · building · room: one open household a room, and a
 * different name at that room is the same household renamed (the roster's 姓名变更). Without a
 * room (a courtyard, a village lane) the address cannot tell two elders apart, so the name is
 * part of it. Names are compared trimmed; a closed household has no address any more (its room
 * may be let to someone new).
 */
export type AddressParts = { compound: string; building: string; room: string; name: string };

/** The key two households at the same address share. */
export function addressKey(a: AddressParts): string {
  const room = a.room.trim();
  return [a.compound.trim(), a.building.trim(), room, room === '' ? a.name.trim() : ''].join('\u0000');
}

/** The address as people write it: 幸福小区 3号楼 201. */
export function addressText(a: Omit<AddressParts, 'name'>): string {
  return [a.compound, a.building, a.room]
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .join(' ');
}
