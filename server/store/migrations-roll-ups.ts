/**
 * Migrations of the roll-ups (issue 14, point 3), spread at the end of MIGRATIONS
 * (migrations.ts, which is at the size rule's limit): the same rules, append only, numbered in
 * the one sequence.
 */
export const ROLL_UP_MIGRATIONS: readonly string[] = [
  /* 12: the roll-ups read a household's devices from the index alone (issue 14) */ `
  -- devices_household widened to cover what a roll-up asks of a household's devices (retired,
  -- online, last heard): a district's 20,000 households are read without one lookup of the
  -- devices table each (halves the district roll-up). Same name and leading column, so every
  -- search by household is served as before; a heartbeat now also moves its index entry.
  DROP INDEX devices_household;
  CREATE INDEX devices_household ON devices (household_id, retired_at, online, last_seen_at);
  `,
];
