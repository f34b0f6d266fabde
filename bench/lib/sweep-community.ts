// The community the sweep benchmark sweeps: n households with their devices, people, a channel
// and alert history, seeded straight into a real SQLite file with INSERT … SELECT in one
// transaction, every due time in the future of `now` (so a sweep at `now` must find nothing).
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../../server/store/db.js';

export const HOUSEHOLDS_PER_BUILDING = 50;
export const BUILDINGS_PER_COMPOUND = 20;
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The default check-in policy (24 h + 2 h grace): a household is due this long after its last check-in. */
const CHECKIN_WINDOW_MS = 26 * HOUR;
/** Offline after 3 missed hourly heartbeats (server/domain/device-health.ts). */
const HEARTBEAT_WINDOW_MS = 3 * HOUR;

function seqCte(n: number): string {
  return `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${Math.floor(n)})`;
}

/** What was built, and how long it took. */
export type Community = {
  households: number;
  compounds: number;
  buildings: number;
  devices: number;
  alerts: { resolved: number; open: number; openWithDue: number };
  buildMs: number;
};

/**
 * A community of `n` households, built in one transaction with INSERT … SELECT: compounds of 20
 * buildings of 50 households, a device per household, people at each tier, one notification
 * channel, and alert history. Every due time is in the future of `now`.
 */
export function buildCommunity(dataDir: string, n: number, now: number): Community {
  const started = performance.now();
  const db = openDatabase(dataDir);
  try {
    db.pragma('cache_size = -262144'); // 256 MiB for the build only; measured connections use the default
    const buildings = Math.ceil(n / HOUSEHOLDS_PER_BUILDING);
    const compounds = Math.ceil(buildings / BUILDINGS_PER_COMPOUND);
    const created = now - 400 * DAY;
    const counts = db.transaction(() => {
      db.prepare(
        `${seqCte(compounds)} INSERT INTO compounds (id, name, created_at) SELECT i, 'compound ' || i, ? FROM seq`,
      ).run(created);
      db.prepare(
        `${seqCte(buildings)} INSERT INTO buildings (id, compound_id, name, created_at)
         SELECT i, (i - 1) / ${BUILDINGS_PER_COMPOUND} + 1, 'building ' || ((i - 1) % ${BUILDINGS_PER_COMPOUND} + 1), ? FROM seq`,
      ).run(created);
      // Check-ins spread over the last 26 h, so each household's due time is spread over the next
      // 26 h (at least a minute ahead); the ribbon is blue since the last check-in.
      db.prepare(
        `${seqCte(n)}, h(i, due) AS (SELECT i, :now + :min + (i * 2654435761) % (:window - :min) FROM seq)
         INSERT INTO households (id, building_id, name, room, state, state_at, last_checkin_at, timezone, created_at, checkin_due_at)
         SELECT i, (i - 1) / ${HOUSEHOLDS_PER_BUILDING} + 1, 'elder ' || i, (((i - 1) % ${HOUSEHOLDS_PER_BUILDING}) / 4 + 1) || '0' || ((i - 1) % 4 + 1),
                'blue', due - :window, due - :window, 'Asia/Shanghai', :created, due
         FROM h`,
      ).run({ now, min: MIN, window: CHECKIN_WINDOW_MS, created });
      // One device a household, online, last heard within the last 3 h: offline due in the next 3 h.
      db.prepare(
        `${seqCte(n)}, d(i, due) AS (SELECT i, :now + :min + (i * 40503 + 17) % (:window - :min) FROM seq)
         INSERT INTO devices (id, household_id, secret_hash, online, online_changed_at, battery, battery_at, last_seen_at,
                              created_at, heartbeat_every_sec, heartbeat_due_at)
         SELECT printf('rp%08d', i), i, randomblob(32), 1, :created, 60 + i % 40, due - :window, due - :window, :created, 3600, due
         FROM d`,
      ).run({ now, min: MIN, window: HEARTBEAT_WINDOW_MS, created });
      // History: every 20th household has a resolved alert (no due time), of each kind in turn.
      db.prepare(
        `${seqCte(Math.floor(n / 20))}, a(hh, kind, opened) AS (
           SELECT (i - 1) * 20 + 3, CASE i % 4 WHEN 0 THEN 'emergency' WHEN 1 THEN 'service' WHEN 2 THEN 'missed_checkin' ELSE 'device' END,
                  :now - (i * 7919) % (30 * :day) - :hour FROM seq)
         INSERT INTO alerts (household_id, kind, status, level, reason, opened_at, updated_at, acknowledged_at, acknowledged_by,
                             resolved_at, resolved_by, due_at)
         SELECT hh, kind, 'resolved', 1 + hh % 2, NULL, opened, opened + 1800000, opened + 120000, 'volunteer',
                opened + 1800000, 'volunteer', NULL
         FROM a`,
      ).run({ now, day: DAY, hour: HOUR });
      // Open now: every 200th household (offset 11): an unclaimed service request (its reminder due
      // in the next 4 h) or a device with a low battery (no due time). No open emergency, so the
      // due burst below opens new ones rather than joining these.
      db.prepare(
        `${seqCte(Math.floor(n / 200))}, a(hh, kind) AS (SELECT (i - 1) * 200 + 11, CASE i % 2 WHEN 0 THEN 'service' ELSE 'device' END FROM seq)
         INSERT INTO alerts (household_id, kind, status, level, reason, opened_at, updated_at, due_at)
         SELECT hh, kind, 'open', 1, CASE kind WHEN 'device' THEN 'low_battery' END, :now - :hour, :now - :hour,
                CASE kind WHEN 'service' THEN :now + :min + (hh * 31) % (4 * :hour) END
         FROM a`,
      ).run({ now, min: MIN, hour: HOUR });
      // People: a volunteer per building (tier 1), a grid worker per compound (tier 2), three duty officers.
      db.prepare(
        `${seqCte(buildings)} INSERT INTO people (name, phone, role, tier, compound_id, building_id, created_at)
         SELECT 'volunteer ' || i, '138' || printf('%08d', i), 'volunteer', 1, (i - 1) / ${BUILDINGS_PER_COMPOUND} + 1, i, ? FROM seq`,
      ).run(created);
      db.prepare(
        `${seqCte(compounds)} INSERT INTO people (name, phone, role, tier, compound_id, building_id, created_at)
         SELECT 'grid worker ' || i, '139' || printf('%08d', i), 'grid_worker', 2, i, NULL, ? FROM seq`,
      ).run(created);
      db.prepare(
        `${seqCte(3)} INSERT INTO people (name, phone, role, tier, compound_id, building_id, created_at)
         SELECT 'duty officer ' || i, '137' || printf('%08d', i), 'duty_officer', 3, NULL, NULL, ? FROM seq`,
      ).run(created);
      // One channel for every compound, so each notification step writes one outbox row.
      db.prepare(
        "INSERT INTO channels (kind, name, config, compound_id, created_at) VALUES ('webhook', 'community group', ?, NULL, ?)",
      ).run(JSON.stringify({ url: 'http://127.0.0.1:9/bench', secret: 'bench-secret' }), created);
      // And SMS and calls, as a deployment has (a tier no phone can reach would be skipped at
      // once): each step also writes an SMS and (reds) a call row per person told.
      const phone = { accessKeyId: 'bench', accessKeySecret: 'bench-secret', endpoint: 'http://127.0.0.1:9' };
      const addChannel = db.prepare(
        'INSERT INTO channels (kind, name, config, compound_id, created_at) VALUES (?, ?, ?, NULL, ?)',
      );
      addChannel.run(
        'aliyun-sms',
        'sms',
        JSON.stringify({
          ...phone,
          signName: 'bench',
          templates: { emergency: 'SMS_1', service: 'SMS_2', missed_checkin: 'SMS_3' },
        }),
        created,
      );
      addChannel.run('aliyun-voice', 'voice', JSON.stringify({ ...phone, ttsCode: 'TTS_1' }), created);
      const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
      return {
        devices: count('SELECT count(*) AS n FROM devices'),
        resolved: count("SELECT count(*) AS n FROM alerts WHERE status = 'resolved'"),
        open: count("SELECT count(*) AS n FROM alerts WHERE status <> 'resolved'"),
        openWithDue: count('SELECT count(*) AS n FROM alerts WHERE due_at IS NOT NULL'),
        earliest: count(
          `SELECT min(x) AS n FROM (SELECT min(checkin_due_at) AS x FROM households UNION ALL SELECT min(heartbeat_due_at) FROM devices
           UNION ALL SELECT min(due_at) FROM alerts)`,
        ),
      };
    })();
    if (!(counts.earliest > now))
      throw new Error(`the built database has something due at now (earliest due ${counts.earliest} ≤ ${now})`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    return {
      households: n,
      compounds,
      buildings,
      devices: counts.devices,
      alerts: { resolved: counts.resolved, open: counts.open, openWithDue: counts.openWithDue },
      buildMs: performance.now() - started,
    };
  } finally {
    db.close();
  }
}
