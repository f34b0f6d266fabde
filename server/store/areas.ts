import type { Db } from './db.js';
import type { Area, AreasStore } from '../app/ports.js';
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
  return {
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
