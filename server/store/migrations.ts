import { DISTRICT_MIGRATIONS } from './migrations-district.js';
import { STAFF_MIGRATIONS } from './migrations-staff.js';
/**
 * Versioned schema migrations, applied in order at start inside one transaction each;
 * `PRAGMA user_version` records the last one applied. Append only: never edit a released one.
 * Times are integer milliseconds since the epoch (UTC), stamped by the server's clock.
 * `households.timezone DEFAULT 'Asia/Shanghai'` (1) is DEFAULT_TIME_ZONE of protocol/ribbon.ts,
 * written out because a released migration's text never changes.
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

  -- One alert model for everything a person must act on (docs/design.md §3).
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
  /* 2: the rules — due times, alert history, check-in policy, people, channels, outbox, reports */ `
  -- The next timed step of an alert (escalation, reminder); NULL when none. The sweep reads
  -- only what is due through this index, never every alert.
  ALTER TABLE alerts ADD COLUMN due_at INTEGER;
  ALTER TABLE alerts ADD COLUMN reminders_sent INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX alerts_due ON alerts (due_at) WHERE due_at IS NOT NULL;

  -- Every transition of an alert, with who, when and a note (the history a report is built on).
  CREATE TABLE alert_transitions (
    id       INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts(id),
    action   TEXT NOT NULL CHECK (action IN ('opened', 'escalated', 'reminded', 'acknowledged', 'arrived', 'resolved', 'cleared')),
    by       TEXT,
    note     TEXT,
    level    INTEGER NOT NULL,
    at       INTEGER NOT NULL
  );
  CREATE INDEX alert_transitions_alert ON alert_transitions (alert_id, id);

  -- Check-in policy (JSON; NULL = the default 24 h + 2 h), quiet hours (JSON), away until a
  -- local date (inclusive), and the stored, indexed moment a missed check-in is due.
  ALTER TABLE households ADD COLUMN checkin_policy TEXT;
  ALTER TABLE households ADD COLUMN quiet_hours TEXT;
  ALTER TABLE households ADD COLUMN away_until TEXT;
  ALTER TABLE households ADD COLUMN checkin_due_at INTEGER;
  CREATE INDEX households_checkin_due ON households (checkin_due_at) WHERE checkin_due_at IS NOT NULL;
  -- Households from before: the default policy (24 h + 2 h) from their last check-in or creation.
  UPDATE households SET checkin_due_at = coalesce(last_checkin_at, created_at) + 93600000;

  -- Device health: offline after 3 missed heartbeat intervals.
  ALTER TABLE devices ADD COLUMN heartbeat_every_sec INTEGER NOT NULL DEFAULT 3600;
  ALTER TABLE devices ADD COLUMN heartbeat_due_at INTEGER;
  CREATE INDEX devices_heartbeat_due ON devices (heartbeat_due_at) WHERE heartbeat_due_at IS NOT NULL;

  -- A compound's response policy: JSON of the fields that differ from the defaults.
  ALTER TABLE compounds ADD COLUMN policy TEXT;

  -- The people of the community and the tier they answer at. Scope: a building (tier 1:
  -- volunteers, 党员中心户), a compound (tier 2: grid worker, party branch) or the whole
  -- community (NULL compound: tier 3 duty officer).
  CREATE TABLE people (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    phone       TEXT,
    role        TEXT NOT NULL CHECK (role IN ('volunteer', 'center_household', 'grid_worker', 'party_branch', 'duty_officer', 'staff')),
    tier        INTEGER NOT NULL CHECK (tier IN (1, 2, 3)),
    compound_id INTEGER REFERENCES compounds(id),
    building_id INTEGER REFERENCES buildings(id),
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
  );
  CREATE INDEX people_scope ON people (tier, compound_id, building_id);

  -- A household's emergency contacts (family): told at tier 3.
  CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id),
    name         TEXT NOT NULL,
    phone        TEXT NOT NULL,
    relation     TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
  );
  CREATE INDEX contacts_household ON contacts (household_id);

  -- Where notifications go: a generic webhook or a work-group robot, for one compound or all.
  CREATE TABLE channels (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('webhook', 'wecom', 'dingtalk')),
    name        TEXT NOT NULL,
    config      TEXT NOT NULL,
    compound_id INTEGER REFERENCES compounds(id),
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
  );

  -- The outbox: a notification is decided and written in the same transaction as what caused
  -- it, then delivered by a worker, so a crash between the two loses nothing. Each row records
  -- whom it was for and whether it went out.
  CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    target          TEXT NOT NULL CHECK (target IN ('channel', 'device', 'none')),
    channel_id      INTEGER REFERENCES channels(id),
    device_id       TEXT,
    alert_id        INTEGER REFERENCES alerts(id),
    event           TEXT NOT NULL,
    recipients      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
  );
  CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
  CREATE INDEX outbox_alert ON outbox (alert_id);

  -- The daily report per compound and local day.
  CREATE TABLE reports (
    id          INTEGER PRIMARY KEY,
    compound_id INTEGER NOT NULL REFERENCES compounds(id),
    day         TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (compound_id, day)
  );
  `,
  /* 3: people who log in — users, their compounds, sessions, API tokens, the audit log */ `
  CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'volunteer')),
    -- scrypt: "scrypt$N$r$p$<salt b64>$<hash b64>"
    password_hash TEXT NOT NULL,
    person_id     INTEGER REFERENCES people(id),
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER
  );
  -- The compounds a staff member or volunteer may see (an admin sees all).
  CREATE TABLE user_compounds (
    user_id     INTEGER NOT NULL REFERENCES users(id),
    compound_id INTEGER NOT NULL REFERENCES compounds(id),
    PRIMARY KEY (user_id, compound_id)
  ) WITHOUT ROWID;
  -- Sessions and tokens are stored as SHA-256 of the random value the client holds.
  CREATE TABLE sessions (
    id_hash      BLOB PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    csrf_token   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX sessions_user ON sessions (user_id);
  CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_used_at INTEGER
  );
  -- Every state-changing request: who, what, which record, when, from where. Append-only.
  CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    user_id   INTEGER,
    username  TEXT,
    method    TEXT NOT NULL,
    route     TEXT NOT NULL,
    record    TEXT,
    status    INTEGER NOT NULL,
    address   TEXT
  );
  CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  -- A volunteer's report may be sent again (offline sync): the key makes it count once.
  ALTER TABLE events ADD COLUMN idempotency_key TEXT;
  CREATE UNIQUE INDEX events_idempotency ON events (household_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
  `,
  /* 4: visits — a volunteer looked at the window and saw no ribbon */ `
  -- An observation, not a report: it sets no ribbon, counts as no check-in and opens no alert
  -- (a missing ribbon may mean the elder is out, or only that it fell); it is kept so the
  -- household's history shows that someone came by. 'none' is the only thing seen so far.
  CREATE TABLE visits (
    id              INTEGER PRIMARY KEY,
    household_id    INTEGER NOT NULL REFERENCES households(id),
    seen            TEXT NOT NULL CHECK (seen IN ('none')),
    by              TEXT NOT NULL,
    note            TEXT,
    at              INTEGER NOT NULL,
    -- the patrol page's key: a resend (offline sync) counts once; keys are per household
    idempotency_key TEXT
  );
  CREATE INDEX visits_household ON visits (household_id, at DESC, id DESC);
  CREATE UNIQUE INDEX visits_idempotency ON visits (household_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
  `,
  /* 5: the moment a report or visit was observed, apart from when it reached the server */ `
  -- A patrol report queued offline arrives hours after the volunteer saw the ribbon: the check-in
  -- counts at observed_at (the volunteer's tap, checked by the API to be within the last 7 days),
  -- while received_at still orders the events. A device press is observed when it is received
  -- (its own clock, device_at, is kept for the record only). Rows from before: the same as received.
  ALTER TABLE events ADD COLUMN observed_at INTEGER;
  UPDATE events SET observed_at = received_at;
  -- A visit's "at" is when the volunteer looked (the observed time); received_at is when it
  -- reached the server.
  ALTER TABLE visits ADD COLUMN received_at INTEGER;
  UPDATE visits SET received_at = at;
  `,
  /* 6: a person's own phone — SMS and voice channels, calls repeated until acknowledged, whom an alert reached */ `
  -- The channel kinds of Alibaba Cloud and Tencent Cloud SMS and voice (issue 13). SQLite cannot
  -- change a CHECK in place: the table is copied (migrate() runs this one with foreign keys
  -- off and checks them after, docs: sqlite.org/lang_altertable.html "other kinds of changes").
  CREATE TABLE channels_new (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('webhook', 'wecom', 'dingtalk', 'aliyun-sms', 'aliyun-voice', 'tencent-sms', 'tencent-voice')),
    name        TEXT NOT NULL,
    config      TEXT NOT NULL,
    compound_id INTEGER REFERENCES compounds(id),
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
  );
  INSERT INTO channels_new (id, kind, name, config, compound_id, created_at, retired_at)
    SELECT id, kind, name, config, compound_id, created_at, retired_at FROM channels;
  DROP TABLE channels;
  ALTER TABLE channels_new RENAME TO channels;
  -- The provider's id for a sent SMS or call (BizId, CallId, SerialNo): call results come back by it.
  ALTER TABLE outbox ADD COLUMN provider_ref TEXT;
  CREATE INDEX outbox_provider_ref ON outbox (provider_ref) WHERE provider_ref IS NOT NULL;
  -- An open emergency's next round of calls to the tiers told so far (every 60 s by default).
  ALTER TABLE alerts ADD COLUMN call_due_at INTEGER;
  CREATE INDEX alerts_call_due ON alerts (call_due_at) WHERE call_due_at IS NOT NULL;
  -- Whether a person's phone was reached: 'pending' while an SMS or call is on its way,
  -- 'reached' once a provider accepted one, 'unreached' when none can or did; NULL when no
  -- phone was ever tried (kinds not sent to phones, alerts from before).
  ALTER TABLE alerts ADD COLUMN reach TEXT CHECK (reach IN ('pending', 'reached', 'unreached'));
  `,
  /* 7: the server's own secrets (the key of the one-tap links in SMS, issue 13) */ `
  -- Made once by the first connection that needs one (INSERT OR IGNORE: two threads racing keep
  -- the first), shared by the core's and the people side's connections and kept across restarts.
  -- Never shown by the API nor logged; a backup carries them like every other row.
  CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  /* 8: the 处理码 of an SMS: a short code that opens the one-tap page from PUBLIC_URL/a */ `
  -- Tencent Cloud forbids variables inside links, so its SMS carries the fixed PUBLIC_URL/a and
  -- this code; the page looks the code up and goes on to the signed link. Expired codes are
  -- refused (and purged by the code's issuer as it goes).
  CREATE TABLE ack_codes (
    code       TEXT PRIMARY KEY,
    token      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX ack_codes_expiry ON ack_codes (expires_at);
  `,
  /* 9: duty rosters (值班表) — weekly shifts per compound and tier, and overrides (swaps, leave) */ `
  -- A compound's roster: the zone its shifts' wall-clock times are read in. A tier has a roster
  -- while it has shifts; without, everyone of the tier covering a household answers.
  CREATE TABLE duty_rosters (
    compound_id INTEGER PRIMARY KEY REFERENCES compounds(id),
    timezone    TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    updated_at  INTEGER NOT NULL
  );
  -- A weekly shift: days is a mask (bit d-1 for ISO weekday d, 1 = Monday), start and end are
  -- minutes after local midnight; an end at or before the start is on the next day.
  CREATE TABLE duty_shifts (
    id          INTEGER PRIMARY KEY,
    compound_id INTEGER NOT NULL REFERENCES duty_rosters(compound_id),
    tier        INTEGER NOT NULL CHECK (tier IN (1, 2, 3)),
    days        INTEGER NOT NULL CHECK (days BETWEEN 1 AND 127),
    start_min   INTEGER NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
    end_min     INTEGER NOT NULL CHECK (end_min BETWEEN 0 AND 1439),
    created_at  INTEGER NOT NULL
  );
  CREATE INDEX duty_shifts_compound ON duty_shifts (compound_id, tier);
  CREATE TABLE duty_shift_people (
    shift_id  INTEGER NOT NULL REFERENCES duty_shifts(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people(id),
    PRIMARY KEY (shift_id, person_id)
  ) WITHOUT ROWID;
  -- A swap (person replaced by replacement) or leave (replacement NULL) over [starts_at, ends_at).
  -- The red press reads those in force through the index: compound, tier, then the end.
  CREATE TABLE duty_overrides (
    id             INTEGER PRIMARY KEY,
    compound_id    INTEGER NOT NULL REFERENCES duty_rosters(compound_id),
    tier           INTEGER NOT NULL CHECK (tier IN (1, 2, 3)),
    person_id      INTEGER NOT NULL REFERENCES people(id),
    replacement_id INTEGER REFERENCES people(id),
    starts_at      INTEGER NOT NULL,
    ends_at        INTEGER NOT NULL CHECK (ends_at > starts_at),
    note           TEXT NOT NULL DEFAULT '',
    created_by     TEXT,
    created_at     INTEGER NOT NULL
  );
  CREATE INDEX duty_overrides_due ON duty_overrides (compound_id, tier, ends_at);
  `,
  /* 10: call results from the voice providers' callbacks, and each voice channel's callback key */ `
  -- The key in a voice channel's callback URL (/hooks/voice/<channel>/<key>), as its SHA-256:
  -- shown once when the channel is added, like a device's secret. Kept apart from channels.config
  -- (the channel's settings for the provider, which its parser checks field by field).
  CREATE TABLE channel_hooks (
    channel_id INTEGER PRIMARY KEY REFERENCES channels(id),
    key_hash   BLOB NOT NULL,
    created_at INTEGER NOT NULL
  );
  -- What became of a call, as the provider reported it (issue 13): one row per outbox row and
  -- result word, so a report pushed again changes nothing. at: the provider's time of the
  -- event (its clock; received_at when it gave none), received_at: ours.
  CREATE TABLE call_results (
    id          INTEGER PRIMARY KEY,
    outbox_id   INTEGER NOT NULL REFERENCES outbox(id),
    result      TEXT NOT NULL CHECK (result IN ('answered', 'busy', 'no_answer', 'unreachable', 'failed', 'throttled')),
    detail      TEXT NOT NULL,
    at          INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (outbox_id, result)
  );
  `,
  ...DISTRICT_MIGRATIONS,
  ...STAFF_MIGRATIONS,
];

/** Migrations that copy a table referenced by others (6) or add a REFERENCES column with a default (11): run with foreign keys off, then checked (1-based versions). */
export const FOREIGN_KEYS_OFF: ReadonlySet<number> = new Set([6, 11]);
