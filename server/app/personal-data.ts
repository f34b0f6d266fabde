/**
 * One person's data on request, and a closed household's personal data removed (China's
 * Personal Information Protection Law, PIPL: access and copy, art. 45; deletion, art. 47):
 * the use cases behind the API (api/routes/personal-data.ts) and the admin CLI
 * (admin/lifecycle.ts). docs/privacy.md says what is kept and why.
 */

/** A row as stored: column name → value. */
export type StoredRow = Record<string, unknown>;

export type PersonalDataStore = {
  /** The household with its place and its end (closed_*, anonymised_at); null when none. */
  household(id: number): StoredRow | null;
  householdRecords(id: number): {
    contacts: StoredRow[];
    devices: StoredRow[];
    events: StoredRow[];
    visits: StoredRow[];
    alerts: StoredRow[];
  };
  person(id: number): StoredRow | null;
  personRecords(id: number): {
    logins: StoredRow[];
    dutyShifts: StoredRow[];
    dutyOverrides: StoredRow[];
    notifications: StoredRow[];
  };
  /** In one transaction; `already` when it was anonymised before (nothing changes). */
  anonymise(id: number, now: number): 'anonymised' | 'already' | 'notFound' | 'notClosed';
};

export type Anonymised = { ok: true; changed: boolean } | { ok: false; kind: 'notFound' | 'notClosed' };

/** A closed household's name, contacts and free-text notes removed; anything else: refused. */
export function anonymiseHousehold(store: PersonalDataStore, householdId: number, now: number): Anonymised {
  const outcome = store.anonymise(householdId, now);
  switch (outcome) {
    case 'anonymised':
      return { ok: true, changed: true };
    case 'already':
      return { ok: true, changed: false };
    case 'notFound':
    case 'notClosed':
      return { ok: false, kind: outcome };
    default: {
      const never: never = outcome;
      throw new Error(`unknown outcome ${String(never)}`);
    }
  }
}

const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const JSON_COLUMNS = new Set(['checkin_policy', 'quiet_hours', 'recipient']);

/** A stored row for the file: camelCase keys, instants (`…_at` milliseconds) as ISO 8601, JSON columns read. */
export function exportRow(row: StoredRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    let v = value;
    if (key.endsWith('_at') && typeof value === 'number') v = new Date(value).toISOString();
    else if (JSON_COLUMNS.has(key) && typeof value === 'string') v = JSON.parse(value) as unknown;
    else if (Array.isArray(value)) v = value.map((r) => exportRow(r as StoredRow));
    out[camel(key)] = v;
  }
  return out;
}

const rows = (list: StoredRow[]) => list.map(exportRow);

/** Everything stored about one household (its elder): null when there is no such household. */
export function householdData(store: PersonalDataStore, id: number, now: number): Record<string, unknown> | null {
  const h = store.household(id);
  if (h === null) return null;
  const r = store.householdRecords(id);
  const { compound_id: _compound, ...household } = h;
  return {
    kind: 'household',
    exportedAt: new Date(now).toISOString(),
    household: exportRow(household),
    contacts: rows(r.contacts),
    devices: rows(r.devices),
    events: rows(r.events),
    visits: rows(r.visits),
    alerts: rows(r.alerts),
  };
}

/** Everything stored about one person (a volunteer, a grid worker…): null when there is none. */
export function personData(store: PersonalDataStore, id: number, now: number): Record<string, unknown> | null {
  const p = store.person(id);
  if (p === null) return null;
  const r = store.personRecords(id);
  return {
    kind: 'person',
    exportedAt: new Date(now).toISOString(),
    person: exportRow(p),
    logins: rows(r.logins),
    dutyShifts: rows(r.dutyShifts),
    dutyOverrides: rows(r.dutyOverrides),
    notifications: rows(r.notifications),
  };
}

/** The file's name: ASCII, so it reads the same in every browser (the header carries it as UTF-8 too). */
export function exportFileName(kind: 'household' | 'person', id: number, now: number): string {
  return `personal-data-${kind}-${id}-${new Date(now).toISOString().slice(0, 10)}.json`;
}
