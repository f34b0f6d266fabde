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
  const retire = db.prepare<[number, number]>('UPDATE channels SET retired_at = ? WHERE id = ? AND retired_at IS NULL');
  const setHook = db.prepare<[number, Buffer, number]>(
    'INSERT INTO channel_hooks (channel_id, key_hash, created_at) VALUES (?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET key_hash = excluded.key_hash, created_at = excluded.created_at',
  );
  const hook = db.prepare<[number], { key_hash: Buffer }>('SELECT key_hash FROM channel_hooks WHERE channel_id = ?');
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
    retire(id: number, now: number): boolean {
      return retire.run(now, id).changes === 1;
    },
    setHookKey(channelId: number, keyHash: Buffer, now: number): void {
      setHook.run(channelId, keyHash, now);
    },
    hookKey(channelId: number): Buffer | null {
      return hook.get(channelId)?.key_hash ?? null;
    },
  };
}
