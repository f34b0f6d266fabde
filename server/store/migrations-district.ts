/**
 * The migrations of issue 14 (a whole district), spread at the end of MIGRATIONS
 * (migrations.ts, which is at the size rule's limit): the same rules, append only, numbered in
 * the one sequence.
 */
export const DISTRICT_MIGRATIONS: readonly string[] = [
  /* 11: places above the compound — district › street › community (issue 14) — and scopes at any level */ `
  -- One instance serves one district. A small deployment leaves the upper levels at their
  -- defaults (ids 1–3, made here) and sees nothing new. A street's parent is the district, a
  -- community's a street (the store checks the levels); names are unique among siblings.
  CREATE TABLE areas (
    id         INTEGER PRIMARY KEY,
    level      TEXT NOT NULL CHECK (level IN ('district', 'street', 'community')),
    name       TEXT NOT NULL,
    parent_id  INTEGER REFERENCES areas(id),
    created_at INTEGER NOT NULL,
    CHECK ((level = 'district') = (parent_id IS NULL))
  );
  CREATE UNIQUE INDEX areas_one_district ON areas (level) WHERE level = 'district';
  CREATE UNIQUE INDEX areas_sibling_name ON areas (parent_id, name) WHERE parent_id IS NOT NULL;
  INSERT INTO areas (id, level, name, parent_id, created_at) VALUES
    (1, 'district', '本区', NULL, 0), (2, 'street', '本街道', 1, 0), (3, 'community', '本社区', 2, 0);
  -- Every compound belongs to a community (run with foreign keys off: SQLite refuses a new
  -- REFERENCES column with a default otherwise; checked after).
  ALTER TABLE compounds ADD COLUMN community_id INTEGER NOT NULL DEFAULT 3 REFERENCES areas(id);
  CREATE INDEX compounds_community ON compounds (community_id);
  -- A user's scope above the compound (a street official: the street), and read-only entries
  -- (a leader who watches but does not edit). The compounds a user sees are the union.
  CREATE TABLE user_areas (
    user_id   INTEGER NOT NULL REFERENCES users(id),
    area_id   INTEGER NOT NULL REFERENCES areas(id),
    read_only INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1)),
    PRIMARY KEY (user_id, area_id)
  ) WITHOUT ROWID;
  ALTER TABLE user_compounds ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1));
  -- The people who answer for a whole community (a tier set per community): compound_id NULL
  -- and community_id set; both NULL = the whole district, as before.
  ALTER TABLE people ADD COLUMN community_id INTEGER REFERENCES areas(id);
  `,
  /* 12: the roll-ups read a household's devices from the index alone (issue 14) */ `
  -- devices_household widened to cover what a roll-up asks of a household's devices (retired,
  -- online, last heard): a district's 20,000 households are read without one lookup of the
  -- devices table each (halves the district roll-up). Same name and leading column, so every
  -- search by household is served as before; a heartbeat now also moves its index entry.
  DROP INDEX devices_household;
  CREATE INDEX devices_household ON devices (household_id, retired_at, online, last_seen_at);
  `,
  /* 13: duty rosters per community — a tier's roster for every compound of the community without its own (issue 14) */ `
  -- The same shape as migration 9's tables, keyed by the community (an area of level
  -- 'community'). For a compound and tier the compound's own roster wins; without one, its
  -- community's answers (store/duty.ts onDuty). Ids are the tables' own: an override is named
  -- with its community (/api/communities/:id/duty/overrides/:overrideId).
  CREATE TABLE community_duty_rosters (
    community_id INTEGER PRIMARY KEY REFERENCES areas(id),
    timezone     TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    updated_at   INTEGER NOT NULL
  );
  CREATE TABLE community_duty_shifts (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES community_duty_rosters(community_id),
    tier         INTEGER NOT NULL CHECK (tier IN (1, 2, 3)),
    days         INTEGER NOT NULL CHECK (days BETWEEN 1 AND 127),
    start_min    INTEGER NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
    end_min      INTEGER NOT NULL CHECK (end_min BETWEEN 0 AND 1439),
    created_at   INTEGER NOT NULL
  );
  CREATE INDEX community_duty_shifts_community ON community_duty_shifts (community_id, tier);
  CREATE TABLE community_duty_shift_people (
    shift_id  INTEGER NOT NULL REFERENCES community_duty_shifts(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people(id),
    PRIMARY KEY (shift_id, person_id)
  ) WITHOUT ROWID;
  CREATE TABLE community_duty_overrides (
    id             INTEGER PRIMARY KEY,
    community_id   INTEGER NOT NULL REFERENCES community_duty_rosters(community_id),
    tier           INTEGER NOT NULL CHECK (tier IN (1, 2, 3)),
    person_id      INTEGER NOT NULL REFERENCES people(id),
    replacement_id INTEGER REFERENCES people(id),
    starts_at      INTEGER NOT NULL,
    ends_at        INTEGER NOT NULL CHECK (ends_at > starts_at),
    note           TEXT NOT NULL DEFAULT '',
    created_by     TEXT,
    created_at     INTEGER NOT NULL
  );
  CREATE INDEX community_duty_overrides_due ON community_duty_overrides (community_id, tier, ends_at);
  `,
];
