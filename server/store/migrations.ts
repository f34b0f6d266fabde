/**
 * Versioned schema migrations, applied in order at start inside one transaction each;
 * `PRAGMA user_version` records the last one applied. Append only: never edit a released one.
 * Times are integer milliseconds since the epoch (UTC), stamped by the server's clock.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1: places, devices, events, rejected messages, alerts */ `
  CREATE TABLE compounds (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
  );
  CREATE TABLE buildings (
    id          INTEGER PRIMARY KEY,
    compound_id INTEGER NOT NULL REFERENCES compounds(id),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (compound_id, name)
  );
  CREATE TABLE households (
    id              INTEGER PRIMARY KEY,
    building_id     INTEGER NOT NULL REFERENCES buildings(id),
    name            TEXT NOT NULL,
    room            TEXT NOT NULL DEFAULT '',
    -- the current ribbon: the state of the latest report; NULL before the first one
    state           TEXT CHECK (state IN ('red', 'yellow', 'blue')),
    state_at        INTEGER,
    -- any press or a person's report counts as a check-in; a heartbeat does not
    last_checkin_at INTEGER,
    timezone        TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    created_at      INTEGER NOT NULL
  );
  CREATE INDEX households_building ON households (building_id);

  CREATE TABLE devices (
    id                TEXT PRIMARY KEY,
    household_id      INTEGER NOT NULL REFERENCES households(id),
    -- SHA-256 of the secret; the secret itself is shown once at provisioning and never stored
    secret_hash       BLOB NOT NULL,
    online            INTEGER NOT NULL DEFAULT 0,
    online_changed_at INTEGER,
    battery           INTEGER,
    battery_at        INTEGER,
    last_seen_at      INTEGER,
    created_at        INTEGER NOT NULL,
    retired_at        INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX devices_household ON devices (household_id);

  -- Every report, from a device or a person. Ordered by the server's receive time (and id),
  -- never by the device's own clock (device_at is kept for the record only).
  CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id),
    source       TEXT NOT NULL CHECK (source IN ('device', 'person')),
    device_id    TEXT,
    state        TEXT NOT NULL CHECK (state IN ('red', 'yellow', 'blue')),
    seq          INTEGER,
    boot         INTEGER,
    device_at    TEXT,
    battery      INTEGER,
    reported_by  TEXT,
    note         TEXT,
    received_at  INTEGER NOT NULL
  );
  CREATE INDEX events_household ON events (household_id, received_at DESC, id DESC);
  -- deduplication of redelivered presses: (device, boot, seq)
  CREATE INDEX events_device_seq ON events (device_id, boot, seq) WHERE device_id IS NOT NULL;

  -- A known device's message that could not be read: kept raw (an unreadable press is still a press).
  CREATE TABLE rejected_messages (
    id          INTEGER PRIMARY KEY,
    device_id   TEXT NOT NULL,
    topic       TEXT NOT NULL,
    payload     BLOB NOT NULL,
    reason      TEXT NOT NULL,
    received_at INTEGER NOT NULL
  );
  CREATE INDEX rejected_device ON rejected_messages (device_id, received_at);

  -- One alert model for everything a person must act on (DESIGN.md §3).
  CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    household_id    INTEGER NOT NULL REFERENCES households(id),
    kind            TEXT NOT NULL CHECK (kind IN ('emergency', 'service', 'missed_checkin', 'device')),
    status          TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    level           INTEGER NOT NULL DEFAULT 1,
    reason          TEXT,
    -- presses joined to this alert (repeated presses add to it, never a second alert)
    report_count    INTEGER NOT NULL DEFAULT 1,
    first_event_id  INTEGER,
    last_event_id   INTEGER,
    opened_at       INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    arrived_at      INTEGER,
    arrived_by      TEXT,
    resolved_at     INTEGER,
    resolved_by     TEXT,
    resolution_note TEXT
  );
  -- at most one unresolved alert per household and kind
  CREATE UNIQUE INDEX alerts_one_open ON alerts (household_id, kind) WHERE status <> 'resolved';
  CREATE INDEX alerts_status ON alerts (status, kind, opened_at);
  `,
];
