import type { Stores, User } from '../ports.js';
import { formatCheckIn, formatQuietHours, ROLE_WORDS, storedPolicy, storedQuietHours } from './cells.js';
import { exportHeader, HOUSEHOLD_COLUMNS, type HouseholdColumn, PEOPLE_COLUMNS, type PeopleColumn } from './columns.js';
import { formatCsv } from './csv.js';
import { createPlaceIndex, placesNamed } from './places.js';
import { personSeen } from '../places.js';

/** The columns an export writes: 街道 and 社区 only once the deployment names its places. */
const columnsOf = <C extends { key: string }>(stores: Stores, columns: readonly C[]): C[] =>
  placesNamed(stores) ? [...columns] : columns.filter((c) => c.key !== 'street' && c.key !== 'community');

// Export: the same columns as the import reads, so that an export imports back unchanged.

/** The households the user may see, one row per emergency contact (one row if none). No BOM. */
export function exportHouseholds(stores: Stores, user: User): { csv: string; count: number } {
  const { rows, count } = householdRows(stores, user);
  return { csv: formatCsv(rows), count };
}

/** The people the user may see (as GET /api/people: their compounds and the community-wide ones). No BOM. */
export function exportPeople(stores: Stores, user: User): { csv: string; count: number } {
  const { rows, count } = peopleRows(stores, user);
  return { csv: formatCsv(rows), count };
}

/** The households' export as rows of text, the header first (for CSV or .xlsx). */
export function householdRows(stores: Stores, user: User): { rows: string[][]; count: number } {
  const columns = columnsOf(stores, HOUSEHOLD_COLUMNS);
  const rows: string[][] = [columns.map(exportHeader)];
  const areas = new Map(stores.areas.list().map((a) => [a.id, a]));
  const places = createPlaceIndex(stores);
  // Open ones only: a closed household has left the roster (its history stays in the database).
  const households = stores.places
    .listHouseholds()
    .filter((h) => h.closed === null && (user.role === 'admin' || user.compoundIds.includes(h.compoundId)));
  for (const h of households) {
    const s = stores.places.schedule(h.id);
    const contacts = stores.people.contacts(h.id);
    const cells = (
      c: { name: string; phone: string; relation: string } | undefined,
    ): Record<HouseholdColumn, string> => ({
      street: areas.get(areas.get(places.whereIs(h.compoundId).id)?.parentId ?? 0)?.name ?? '',
      community: areas.get(places.whereIs(h.compoundId).id)?.name ?? '',
      compound: h.compound,
      building: h.building,
      room: h.room,
      name: h.name,
      timezone: h.timezone,
      checkin: formatCheckIn(storedPolicy(s?.policy ?? null)),
      quiet_hours: formatQuietHours(storedQuietHours(s?.quietHours ?? null)),
      contact_name: c?.name ?? '',
      contact_phone: c?.phone ?? '',
      relation: c?.relation ?? '',
    });
    for (const c of contacts.length > 0 ? contacts : [undefined]) {
      const byKey = cells(c);
      rows.push(columns.map((col) => byKey[col.key]));
    }
  }
  return { rows, count: households.length };
}

/** The people's export as rows of text, the header first. */
export function peopleRows(stores: Stores, user: User): { rows: string[][]; count: number } {
  const compounds = new Map(stores.places.listCompounds().map((c) => [c.id, c.name]));
  const buildings = new Map(stores.places.listBuildings().map((b) => [b.id, b.name]));
  const people = stores.people.list().filter((p) => personSeen(stores, user, p));
  const columns = columnsOf(stores, PEOPLE_COLUMNS);
  const rows: string[][] = [columns.map(exportHeader)];
  const areas = new Map(stores.areas.list().map((a) => [a.id, a]));
  for (const p of people) {
    const byKey: Record<PeopleColumn, string> = {
      name: p.name,
      phone: p.phone ?? '',
      role: ROLE_WORDS[p.role],
      tier: String(p.tier),
      compound: p.compoundId === null ? '' : (compounds.get(p.compoundId) ?? ''),
      building: p.buildingId === null ? '' : (buildings.get(p.buildingId) ?? ''),
      // A whole community's person: its community and street (a compound's person: none, as before).
      street: p.communityId === null ? '' : (areas.get(areas.get(p.communityId)?.parentId ?? 0)?.name ?? ''),
      community: p.communityId === null ? '' : (areas.get(p.communityId)?.name ?? ''),
    };
    rows.push(columns.map((col) => byKey[col.key]));
  }
  return { rows, count: people.length };
}
