import type { Stores, User } from '../ports.js';
import { formatCheckIn, formatQuietHours, ROLE_WORDS, storedPolicy, storedQuietHours } from './cells.js';
import { exportHeader, HOUSEHOLD_COLUMNS, type HouseholdColumn, PEOPLE_COLUMNS, type PeopleColumn } from './columns.js';
import { formatCsv } from './csv.js';

// Export: the same columns as the import reads, so that an export imports back unchanged.

/** The households the user may see, one row per emergency contact (one row if none). No BOM. */
export function exportHouseholds(stores: Stores, user: User): { csv: string; count: number } {
  const rows: string[][] = [HOUSEHOLD_COLUMNS.map(exportHeader)];
  const households = stores.places
    .listHouseholds()
    .filter((h) => user.role === 'admin' || user.compoundIds.includes(h.compoundId));
  for (const h of households) {
    const s = stores.places.schedule(h.id);
    const contacts = stores.people.contacts(h.id);
    const cells = (
      c: { name: string; phone: string; relation: string } | undefined,
    ): Record<HouseholdColumn, string> => ({
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
      rows.push(HOUSEHOLD_COLUMNS.map((col) => byKey[col.key]));
    }
  }
  return { csv: formatCsv(rows), count: households.length };
}

/** The people the user may see (as GET /api/people: their compounds and the community-wide ones). No BOM. */
export function exportPeople(stores: Stores, user: User): { csv: string; count: number } {
  const compounds = new Map(stores.places.listCompounds().map((c) => [c.id, c.name]));
  const buildings = new Map(stores.places.listBuildings().map((b) => [b.id, b.name]));
  const people = stores.people
    .list()
    .filter((p) => p.compoundId === null || user.role === 'admin' || user.compoundIds.includes(p.compoundId));
  const rows: string[][] = [PEOPLE_COLUMNS.map(exportHeader)];
  for (const p of people) {
    const byKey: Record<PeopleColumn, string> = {
      name: p.name,
      phone: p.phone ?? '',
      role: ROLE_WORDS[p.role],
      tier: String(p.tier),
      compound: p.compoundId === null ? '' : (compounds.get(p.compoundId) ?? ''),
      building: p.buildingId === null ? '' : (buildings.get(p.buildingId) ?? ''),
    };
    rows.push(PEOPLE_COLUMNS.map((col) => byKey[col.key]));
  }
  return { csv: formatCsv(rows), count: people.length };
}
