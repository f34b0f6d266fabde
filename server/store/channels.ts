import type { ChannelKind, ChannelsStore, StoredChannel } from '../app/ports.js';
import type { Db } from './db.js';

/** Where notifications go: each active channel for the household's compound, or for all (null). */
export function createChannelsStore(db: Db): ChannelsStore {
  const insert = db.prepare<[ChannelKind, string, string, number | null, number]>(
    'INSERT INTO channels (kind, name, config, compound_id, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const idsFor = db.prepare<[number], { id: number }>(
    'SELECT id FROM channels WHERE retired_at IS NULL AND (compound_id IS NULL OR compound_id = ?) ORDER BY id',
  );
  const forCompound = db.prepare<[number], { id: number; kind: ChannelKind }>(
    'SELECT id, kind FROM channels WHERE retired_at IS NULL AND (compound_id IS NULL OR compound_id = ?) ORDER BY id',
  );
  const get = db.prepare<
    [number],
    { id: number; kind: ChannelKind; name: string; config: string; compound_id: number | null }
  >('SELECT * FROM channels WHERE id = ?');
  const all = db.prepare<
    [],
    { id: number; kind: ChannelKind; name: string; config: string; compound_id: number | null }
  >('SELECT * FROM channels WHERE retired_at IS NULL ORDER BY id');
  const toChannel = (r: {
    id: number;
    kind: ChannelKind;
    name: string;
    config: string;
    compound_id: number | null;
  }): StoredChannel => ({
    id: r.id,
    kind: r.kind,
    name: r.name,
    config: JSON.parse(r.config) as unknown,
    compoundId: r.compound_id,
  });
  return {
    add(kind: ChannelKind, name: string, config: unknown, compoundId: number | null, now: number): number {
      return Number(insert.run(kind, name, JSON.stringify(config), compoundId, now).lastInsertRowid);
    },
    /** The active channels of a compound and those for all compounds: their ids (enough to address outbox rows). */
    idsFor(compoundId: number): number[] {
      return idsFor.all(compoundId).map((r) => r.id);
    },
    forCompound(compoundId: number): Array<{ id: number; kind: ChannelKind }> {
      return forCompound.all(compoundId);
    },
    get(id: number): StoredChannel | null {
      const row = get.get(id);
      return row ? toChannel(row) : null;
    },
    list(): StoredChannel[] {
      return all.all().map(toChannel);
    },
  };
}
