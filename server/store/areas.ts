import type { Db } from './db.js';
import type { Area, AreasStore, LiveCompoundCounts } from '../app/ports.js';
import type { AreaLevel } from '../domain/places.js';

type AreaRow = { id: number; level: AreaLevel; name: string; parent_id: number | null };

const toArea = (row: AreaRow): Area => ({ id: row.id, level: row.level, name: row.name, parentId: row.parent_id });

/**
 * The places above the compound (district › street › community, docs/design.md §1) and which
 * community each compound is in. Levels are checked by the use cases (domain/places.ts); the
 * schema keeps one district and unique names among siblings.
 */
export function createAreasStore(db: Db): AreasStore {
  const all = db.prepare<[], AreaRow>('SELECT id, level, name, parent_id FROM areas ORDER BY level, name, id');
  const byId = db.prepare<[number], AreaRow>('SELECT id, level, name, parent_id FROM areas WHERE id = ?');
  const insert = db.prepare<[AreaLevel, string, number, number]>(
    'INSERT INTO areas (level, name, parent_id, created_at) VALUES (?, ?, ?, ?)',
  );
  const rename = db.prepare<[string, number]>('UPDATE areas SET name = ? WHERE id = ?');
  const remove = db.prepare<[number]>('DELETE FROM areas WHERE id = ?');
  const move = db.prepare<[number, number]>('UPDATE areas SET parent_id = ? WHERE id = ?');
  const compoundCommunities = db.prepare<[], { id: number; community_id: number }>(
    'SELECT id, community_id FROM compounds',
  );
  const setCommunity = db.prepare<[number, number]>('UPDATE compounds SET community_id = ? WHERE id = ?');
  // The compounds under a place at any level: the community itself, or its streets' communities.
  const compoundsUnder = db.prepare<[number, number, number], { id: number }>(
    `SELECT c.id FROM compounds c JOIN areas cm ON cm.id = c.community_id JOIN areas st ON st.id = cm.parent_id
     WHERE cm.id = ? OR st.id = ? OR st.parent_id = ? ORDER BY c.id`,
  );
  // A compound's counts now (protocol/live.ts, CompoundCountsJson), for the given compounds (a
  // JSON array) or all (NULL): three grouped reads, by households' building (the open ones: a
  // closed household has left the wall), the unresolved
  // alerts (alerts_one_open's rows) and the devices.
  const inSet = '(@compounds IS NULL OR c.id IN (SELECT value FROM json_each(@compounds)))';
  const householdCounts = db.prepare<
    [{ compounds: string | null }],
    Omit<LiveCompoundCounts, 'emergencies' | 'unacknowledged' | 'service' | 'missed' | 'offline'>
  >(
    `SELECT c.id AS compoundId, c.name, c.community_id AS communityId, count(h.id) AS households,
            coalesce(sum(h.state = 'red'), 0) AS red, coalesce(sum(h.state = 'yellow'), 0) AS yellow,
            coalesce(sum(h.state = 'blue'), 0) AS blue, coalesce(sum(h.id IS NOT NULL AND h.state IS NULL), 0) AS none
     FROM compounds c LEFT JOIN buildings b ON b.compound_id = c.id
       LEFT JOIN households h ON h.building_id = b.id AND h.closed_at IS NULL
     WHERE ${inSet} GROUP BY c.id ORDER BY c.name, c.id`,
  );
  const alertCounts = db.prepare<
    [{ compounds: string | null }],
    { id: number; kind: string; status: string; n: number }
  >(
    `SELECT c.id, a.kind, a.status, count(*) AS n
     FROM alerts a JOIN households h ON h.id = a.household_id JOIN buildings b ON b.id = h.building_id
     JOIN compounds c ON c.id = b.compound_id
     WHERE a.status IN ('open', 'acknowledged') AND ${inSet} GROUP BY c.id, a.kind, a.status`,
  );
  const offlineCounts = db.prepare<[{ compounds: string | null }], { id: number; n: number }>(
    `SELECT c.id, count(*) AS n
     FROM devices d JOIN households h ON h.id = d.household_id JOIN buildings b ON b.id = h.building_id
     JOIN compounds c ON c.id = b.compound_id
     WHERE d.retired_at IS NULL AND d.online = 0 AND ${inSet} GROUP BY c.id`,
  );
  return {
    compoundCounts(compoundIds: readonly number[] | null): LiveCompoundCounts[] {
      const params = { compounds: compoundIds === null ? null : JSON.stringify(compoundIds) };
      const byId = new Map<number, LiveCompoundCounts>();
      for (const row of householdCounts.all(params))
        byId.set(row.compoundId, { ...row, emergencies: 0, unacknowledged: 0, service: 0, missed: 0, offline: 0 });
      for (const a of alertCounts.all(params)) {
        const c = byId.get(a.id);
        if (c === undefined) continue;
        if (a.kind === 'emergency') {
          c.emergencies += a.n;
          if (a.status === 'open') c.unacknowledged += a.n;
        } else if (a.kind === 'service' && a.status === 'open') c.service += a.n;
        else if (a.kind === 'missed_checkin') c.missed += a.n;
      }
      for (const d of offlineCounts.all(params)) {
        const c = byId.get(d.id);
        if (c !== undefined) c.offline = d.n;
      }
      return [...byId.values()];
    },
    list(): Area[] {
      return all.all().map(toArea);
    },
    get(id: number): Area | null {
      const row = byId.get(id);
      return row ? toArea(row) : null;
    },
    create(level: AreaLevel, name: string, parentId: number, now: number): number {
      return Number(insert.run(level, name, parentId, now).lastInsertRowid);
    },
    rename(id: number, name: string): void {
      rename.run(name, id);
    },
    delete(id: number): void {
      remove.run(id);
    },
    move(id: number, parentId: number): void {
      move.run(parentId, id);
    },
    /** compound id → its community's id, for every compound. */
    compoundCommunities(): Map<number, number> {
      return new Map(compoundCommunities.all().map((r) => [r.id, r.community_id]));
    },
    setCompoundCommunity(compoundId: number, communityId: number): void {
      setCommunity.run(communityId, compoundId);
    },
    compoundsUnder(areaId: number): number[] {
      return compoundsUnder.all(areaId, areaId, areaId).map((r) => r.id);
    },
  };
}
