// The district the roll-up benchmark reads (issue 14): 6 streets, 30 communities, 600 compounds,
// 20,000 households with a device each, a week of check-ins and a realistic day of alerts,
// seeded straight into a real SQLite file with INSERT … SELECT in one transaction. Sizes scale
// down for the smoke run; the shape stays.
import { performance } from 'node:perf_hooks';
import { DEFAULT_AREAS } from '../../server/domain/places.js';
import { openDatabase } from '../../server/store/db.js';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export type DistrictSize = { streets: number; communities: number; compounds: number; households: number };

export const FULL_DISTRICT: DistrictSize = { streets: 6, communities: 30, compounds: 600, households: 20_000 };
export const SMOKE_DISTRICT: DistrictSize = { streets: 2, communities: 4, compounds: 12, households: 600 };

export const BUILDINGS_PER_COMPOUND = 4;

export type District = DistrictSize & {
  buildings: number;
  devices: number;
  events: number;
  alertsToday: number;
  /** Ids of one street, one community and one compound to read (the first of each). */
  streetId: number;
  communityId: number;
  compoundId: number;
  buildMs: number;
};

function seqCte(n: number): string {
  return `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${Math.floor(n)})`;
}

/**
 * Builds the district in `dataDir`; `dayStart` is the local midnight of the day read and `now`
 * a moment in it (the week of history is before it). The defaults of migration 11 (ids 1–3)
 * stay: the streets and communities are new rows from id 100.
 */
export function buildDistrict(dataDir: string, size: DistrictSize, dayStart: number, now: number): District {
  const started = performance.now();
  const db = openDatabase(dataDir);
  try {
    db.pragma('cache_size = -262144');
    const buildings = size.compounds * BUILDINGS_PER_COMPOUND;
    const created = dayStart - 400 * DAY;
    const firstStreet = 100;
    const firstCommunity = firstStreet + size.streets;
    const p = { created, dayStart, now, min: MIN, hour: HOUR, day: DAY };
    const counts = db.transaction(() => {
      db.prepare(
        `${seqCte(size.streets)} INSERT INTO areas (id, level, name, parent_id, created_at)
         SELECT ${firstStreet} - 1 + i, 'street', '街道' || i, ${DEFAULT_AREAS.district}, ? FROM seq`,
      ).run(created);
      db.prepare(
        `${seqCte(size.communities)} INSERT INTO areas (id, level, name, parent_id, created_at)
         SELECT ${firstCommunity} - 1 + i, 'community', '社区' || i, ${firstStreet} + (i - 1) * ${size.streets} / ${size.communities}, ? FROM seq`,
      ).run(created);
      db.prepare(
        `${seqCte(size.compounds)} INSERT INTO compounds (id, name, created_at, community_id)
         SELECT i, '小区' || i, ?, ${firstCommunity} + (i - 1) * ${size.communities} / ${size.compounds} FROM seq`,
      ).run(created);
      db.prepare(
        `${seqCte(buildings)} INSERT INTO buildings (id, compound_id, name, created_at)
         SELECT i, (i - 1) / ${BUILDINGS_PER_COMPOUND} + 1, ((i - 1) % ${BUILDINGS_PER_COMPOUND} + 1) || '号楼', ? FROM seq`,
      ).run(created);
      // Households spread evenly over the buildings; blue since a check-in this morning or yesterday.
      db.prepare(
        `${seqCte(size.households)} INSERT INTO households (id, building_id, name, room, state, state_at, last_checkin_at, created_at, checkin_due_at)
         SELECT i, (i - 1) * ${buildings} / ${size.households} + 1, '住户' || i, (100 + i % 40) || '',
                'blue', :dayStart + (i * 7919) % (10 * :hour) - 12 * :hour, :dayStart + (i * 7919) % (10 * :hour) - 12 * :hour,
                :created, :now + :hour + (i * 31) % (20 * :hour)
         FROM seq`,
      ).run({ dayStart, hour: HOUR, created, now });
      // A device each: 3 % offline since yesterday, the rest heard within the last hour.
      db.prepare(
        `${seqCte(size.households)} INSERT INTO devices (id, household_id, secret_hash, online, online_changed_at, battery,
                                                        battery_at, last_seen_at, created_at, heartbeat_every_sec, heartbeat_due_at)
         SELECT printf('rp%08d', i), i, randomblob(32), i % 33 <> 0, :created, 40 + i % 60, :now - (i * 13) % :hour,
                CASE WHEN i % 33 = 0 THEN :dayStart - 5 * :hour ELSE :now - (i * 13) % :hour END, :created, 3600,
                CASE WHEN i % 33 = 0 THEN NULL ELSE :now + 2 * :hour END
         FROM seq`,
      ).run({ created, now, dayStart, hour: HOUR });
      // A week of check-ins: most households press blue once a day; today, those whose turn came by now.
      db.prepare(
        `${seqCte(size.households * 8)}, e(hh, at) AS (
           SELECT (i - 1) % ${size.households} + 1, :dayStart - 7 * :day + ((i - 1) / ${size.households}) * :day + 7 * :hour + (i * 7919) % (12 * :hour)
           FROM seq WHERE i % 10 <> 0)
         INSERT INTO events (household_id, source, device_id, state, seq, boot, received_at, observed_at)
         SELECT hh, 'device', printf('rp%08d', hh), 'blue', NULL, NULL, at, at FROM e WHERE at < :now`,
      ).run({ dayStart, day: DAY, hour: HOUR, now });
      // Today's alerts, each opened, answered and resolved before now: 1 red per 1,000 households
      // (answered in 20 s … 6 min, a few reached the door after 45 min, one in 7 not yet
      // acknowledged), 1 yellow per 100, 1 missed check-in per 80, a device alert per offline
      // device; open or resolved as a day leaves them.
      const alert = db.prepare(
        `${'WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n)'}
         INSERT INTO alerts (household_id, kind, status, level, opened_at, updated_at, acknowledged_at, arrived_at, resolved_at)
         SELECT hh, :kind, CASE WHEN ack IS NULL THEN 'open' WHEN i % 3 = 0 THEN 'acknowledged' ELSE 'resolved' END, 1,
                opened, opened, opened + ack, CASE WHEN ack IS NULL OR :kind <> 'emergency' THEN NULL ELSE opened + ack + arrive END,
                CASE WHEN ack IS NOT NULL AND i % 3 <> 0 THEN opened + ack + arrive + 10 * :min END
         FROM (SELECT i, (i * :stride + :offset) % ${size.households} + 1 AS hh, :dayStart + :min + (i * 104729) % (:now - :dayStart - 75 * :min) AS opened,
                      CASE WHEN i % 7 = 6 THEN NULL ELSE (20 + (i * 37) % 340) * 1000 END AS ack,
                      (5 + (i * 11) % 50) * :min AS arrive
               FROM seq)`,
      );
      const n = size.households;
      alert.run({ ...p, n: Math.max(3, Math.floor(n / 1000)), kind: 'emergency', stride: 997, offset: 5 });
      alert.run({ ...p, n: Math.floor(n / 100), kind: 'service', stride: 389, offset: 7 });
      alert.run({ ...p, n: Math.floor(n / 80), kind: 'missed_checkin', stride: 211, offset: 9 });
      db.prepare(
        `INSERT INTO alerts (household_id, kind, status, level, reason, opened_at, updated_at)
         SELECT household_id, 'device', 'open', 1, 'offline', :dayStart + 5 * :min, :dayStart + 5 * :min FROM devices WHERE online = 0`,
      ).run({ dayStart, min: MIN });
      const count = (sql: string, ...args: unknown[]): number => (db.prepare(sql).get(...args) as { n: number }).n;
      return {
        devices: count('SELECT count(*) AS n FROM devices'),
        events: count('SELECT count(*) AS n FROM events'),
        alertsToday: count('SELECT count(*) AS n FROM alerts WHERE opened_at >= ?', dayStart),
      };
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    return {
      ...size,
      buildings,
      ...counts,
      streetId: firstStreet,
      communityId: firstCommunity,
      compoundId: 1,
      buildMs: performance.now() - started,
    };
  } finally {
    db.close();
  }
}
