/**
 * The migrations of issue 15 (staff do their work in the dashboard; personal data has a
 * lifecycle), spread at the end of MIGRATIONS after issue 14's: the same rules, append only,
 * numbered in the one sequence.
 */
export const STAFF_MIGRATIONS: readonly string[] = [
  /* 14: a household's end (closed, anonymised) and a journal of household changes from any connection (issue 15) */ `
  -- A household is closed, never deleted: it leaves the wall and its check-ins stop, its
  -- history stays. reason: passed_away 去世, moved_out 搬离, care_home 入住养老机构, other 其他;
  -- closed_on is the local date the staff give (when it happened), closed_at when it was recorded.
  ALTER TABLE households ADD COLUMN closed_at INTEGER;
  ALTER TABLE households ADD COLUMN closed_on TEXT;
  ALTER TABLE households ADD COLUMN closed_reason TEXT
    CHECK (closed_reason IS NULL OR closed_reason IN ('passed_away', 'moved_out', 'care_home', 'other'));
  ALTER TABLE households ADD COLUMN closed_note TEXT;
  -- A closed household's personal data removed on request (PIPL): when, by an audited action.
  ALTER TABLE households ADD COLUMN anonymised_at INTEGER;
  CREATE INDEX households_closed ON households (closed_at) WHERE closed_at IS NOT NULL;
  -- Every household added, or changed in what people see of it (not its ribbon, which the
  -- press path sets and announces itself), whichever connection or process wrote it — the API,
  -- a roster import, the admin CLI: the people side reads the journal after its last seq and
  -- announces the households on /ws. Pruned by the daily retention job.
  CREATE TABLE household_changes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id INTEGER NOT NULL
  );
  CREATE TRIGGER household_added AFTER INSERT ON households
    BEGIN INSERT INTO household_changes (household_id) VALUES (NEW.id); END;
  CREATE TRIGGER household_changed
    AFTER UPDATE OF name, room, building_id, timezone, checkin_policy, quiet_hours, away_until,
                    closed_at, anonymised_at ON households
    BEGIN INSERT INTO household_changes (household_id) VALUES (NEW.id); END;
  `,
  /* 15: the data's lifecycle — the audit log's rows past their retention may be deleted, nothing else (issue 15) */ `
  -- The audit log stays append-only (migration 3's triggers), except that the daily retention
  -- job may delete rows older than its cutoff: it raises the cutoff here (now minus
  -- RETAIN_AUDIT_MONTHS) and deletes below it in the same transaction. Any other delete, and
  -- every update, is still refused. One row.
  CREATE TABLE audit_retention (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    cutoff INTEGER NOT NULL
  );
  INSERT INTO audit_retention (id, cutoff) VALUES (1, 0);
  -- The cutoff only moves forward: lowering it would let nothing new go, raising it past a
  -- row is what the job does; and the row cannot go.
  CREATE TRIGGER audit_retention_forward BEFORE UPDATE ON audit_retention
    WHEN NEW.cutoff < OLD.cutoff OR NEW.id <> OLD.id
    BEGIN SELECT RAISE(ABORT, 'the audit retention cutoff only moves forward'); END;
  CREATE TRIGGER audit_retention_kept BEFORE DELETE ON audit_retention
    BEGIN SELECT RAISE(ABORT, 'the audit retention cutoff cannot be removed'); END;
  DROP TRIGGER audit_log_append_only_delete;
  CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
    WHEN OLD.at >= (SELECT cutoff FROM audit_retention WHERE id = 1)
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
  /* 16: the audit log read by person, record, route and time (GET /api/audit's filters, issue 15) */ `
  -- Newest first within one username (any case), one record or one route: a seek, then a walk
  -- down the id; a time range through at.
  CREATE INDEX audit_log_username ON audit_log (username COLLATE NOCASE, id);
  CREATE INDEX audit_log_record ON audit_log (record, id);
  CREATE INDEX audit_log_route ON audit_log (route, id);
  CREATE INDEX audit_log_at ON audit_log (at);
  `,
  /* 17: a building or compound renamed is a change of each of its open households (issue 15) */ `
  -- A household is shown with its compound's and building's names: renaming either (the API, the
  -- admin CLI, any connection) journals every open household in it, so open walls show the new
  -- name without a reload — one delta, as a roster import's.
  CREATE TRIGGER building_renamed AFTER UPDATE OF name ON buildings WHEN NEW.name IS NOT OLD.name
    BEGIN
      INSERT INTO household_changes (household_id)
        SELECT id FROM households WHERE building_id = NEW.id AND closed_at IS NULL;
    END;
  CREATE TRIGGER compound_renamed AFTER UPDATE OF name ON compounds WHEN NEW.name IS NOT OLD.name
    BEGIN
      INSERT INTO household_changes (household_id)
        SELECT h.id FROM households h JOIN buildings b ON b.id = h.building_id
        WHERE b.compound_id = NEW.id AND h.closed_at IS NULL;
    END;
  `,
  /* 18: a device's model and firmware, as its heartbeats report them (issue 16) */ `
  -- {"battery":87,"model":"RB-3","fw":"1.4.2"} on ribbon/{id}/heartbeat (docs/protocol.md §5): the
  -- inventory shows them, and device settings may be set per model.
  ALTER TABLE devices ADD COLUMN model TEXT;
  ALTER TABLE devices ADD COLUMN firmware TEXT;
  `,
  /* 19: device settings — heartbeat interval and offline grace per compound, model, both, or default (issue 16) */ `
  -- One row per scope (scope_key: 'default', 'compound:12', 'model:RB-3', 'compound:12/model:RB-3';
  -- server/domain/device-settings.ts), so the safety core finds a device's rows with at most four
  -- primary-key lookups when a heartbeat or an online flag comes (never on a press). A null value
  -- leaves it to the next row down. A compound's rows go with the compound.
  CREATE TABLE device_settings (
    scope_key     TEXT PRIMARY KEY,
    compound_id   INTEGER REFERENCES compounds(id) ON DELETE CASCADE,
    model         TEXT,
    heartbeat_sec INTEGER CHECK (heartbeat_sec IS NULL OR heartbeat_sec BETWEEN 60 AND 86400),
    grace_sec     INTEGER CHECK (grace_sec IS NULL OR grace_sec BETWEEN 60 AND 3600),
    updated_at    INTEGER NOT NULL,
    updated_by    TEXT NOT NULL,
    CHECK (heartbeat_sec IS NOT NULL OR grace_sec IS NOT NULL)
  ) WITHOUT ROWID;
  CREATE INDEX device_settings_compound ON device_settings (compound_id) WHERE compound_id IS NOT NULL;
  -- Which devices a model's row reaches (the core tells each its new interval).
  CREATE INDEX devices_model ON devices (model) WHERE model IS NOT NULL;
  `,
  /* 20: per-device tallies of unreadable messages (issue 16, point 4) */ `
  -- One row per device that ever sent an unreadable message: how many since when, and its
  -- current window (server/domain/reject-limit.ts). Written once per group-commit batch per
  -- device, not per message. No foreign key: a tally outlives nothing, and costs one row.
  CREATE TABLE device_rejects (
    device_id         TEXT PRIMARY KEY,
    since             INTEGER NOT NULL,
    total             INTEGER NOT NULL,
    counted           INTEGER NOT NULL,
    window_start      INTEGER NOT NULL,
    kept_in_window    INTEGER NOT NULL,
    counted_in_window INTEGER NOT NULL,
    last_at           INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
];
