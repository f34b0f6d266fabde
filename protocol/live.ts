/**
 * The live feed: `/ws`, a WebSocket that keeps a dashboard current (issue 5, "Live updates"; the
 * public description is docs/api.md), and the JSON a household, an alert, a device and a receipt
 * are shown as, the same over HTTP (/api/…) and on the feed, so a dashboard can merge a delta into
 * what it listed. Part of the wire contract that server and dashboard both import: types and
 * constants only, no I/O.
 *
 * Handshake (HTTP upgrade on path `/ws` only; any other upgrade path is dropped):
 *  - authenticated by the session cookie `ribbon_session` (as the HTTP API does); none, unknown,
 *    expired, or a disabled user → `401` and the socket is closed;
 *  - `Origin` must name the same host as `Host` (or be accepted by the hub's `allowedOrigins`);
 *    otherwise → `403`. This stops cross-site WebSocket hijacking (a page elsewhere riding the cookie).
 *  - no permessage-deflate; client messages larger than the hub's `maxPayload` (4 KiB) close the
 *    socket (1009).
 *
 * Server → client: JSON text frames, a {@link ServerFrame}. `seq` increases by exactly 1 per frame
 * on a connection, snapshot and delta frames sharing the counter; a tick has none.
 * Client → server: a {@link ClientFrame}.
 *
 * Rules for the client: a gap in `seq` means something was missed → send `resync`. Close codes:
 * {@link TOO_SLOW} (4000), {@link SESSION_ENDED} (4001), and 1001: the server is stopping;
 * reconnect with backoff.
 */
import type { AlertKind, AlertStatus, ReportSource, RibbonState } from './ribbon.js';

export const LIVE_PATH = '/ws';

/**
 * 4000 "too slow, resync": what waited for this client alone (bytes not yet taken by the network,
 * frames queued behind a snapshot on its way) and the next delta would have passed the hub's
 * `maxBufferedBytes` (1 MiB; a frame on a socket with nothing waiting always goes, and a snapshot
 * always goes, in 64 KiB fragments as the client takes them, so a large snapshot or burst alone
 * does not cut a client that reads); reconnect (with backoff) and start from the new snapshot.
 */
export const TOO_SLOW = 4000;
/** 4001 "session ended": the session expired or was logged out (or the user disabled); log in again. */
export const SESSION_ENDED = 4001;

/**
 * The server's ping period (its `pingIntervalMs`), and so the period of {@link TickFrame}s. A client
 * that hears nothing (no frame of any type) for 2.5 intervals should take the connection for dead
 * and reconnect.
 */
export const TICK_INTERVAL_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// Views: times are ISO 8601 strings (UTC); null stays null.

export type HouseholdJson = {
  id: number;
  name: string;
  room: string;
  building: string;
  buildingId: number;
  compound: string;
  compoundId: number;
  state: RibbonState | null;
  stateAt: string | null;
  lastCheckInAt: string | null;
  /** Away (no check-in expected) through this local day 'YYYY-MM-DD', or null. */
  awayUntil: string | null;
  /**
   * Closed (issue 15): the household has ended (passed away 去世, moved out 搬离, to a care home
   * 入住养老机构, other 其他) — it leaves the wall, its check-ins stop, its history stays. `at` is
   * when it was recorded, `on` the local date given. Null while open. A closed household arriving
   * in a `household` change is removed from the dashboard.
   */
  closed: HouseholdClosedJson | null;
  /** Its personal data removed on request (only a closed household). */
  anonymised: boolean;
};

/** Why a household was closed: passed_away 去世 · moved_out 搬离 · care_home 入住养老机构 · other 其他. */
export const CLOSED_REASONS = ['passed_away', 'moved_out', 'care_home', 'other'] as const;
export type ClosedReason = (typeof CLOSED_REASONS)[number];
export type HouseholdClosedJson = { at: string; on: string; reason: ClosedReason; note: string };

export type DeviceJson = {
  id: string;
  householdId: number;
  online: boolean;
  battery: number | null;
  lastSeenAt: string | null;
};

export type AlertJson = {
  id: number;
  kind: AlertKind;
  status: AlertStatus;
  level: number;
  householdId: number;
  /** Null only if the household is gone. */
  compoundId: number | null;
  openedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  arrivedAt: string | null;
  arrivedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
  reportCount: number;
  reason: string | null;
  dueAt: string | null;
  /**
   * Whether a person's phone was reached (SMS or call accepted by a provider): `pending` while
   * one is on its way, `unreached` when all failed or none could be tried — an open emergency
   * `unreached` is shown on every dashboard as 紧急求助未能通知到任何人 until acknowledged; null
   * when no phone was tried (kinds not sent to phones).
   */
  reach: 'pending' | 'reached' | 'unreached' | null;
  household: { name: string; compound: string; building: string; room: string } | null;
};

/**
 * Where a red press on its way to disk stands: `recording` when it arrives (before its commit),
 * then `recorded` after the commit (this press, or an earlier copy of it, is on disk), or
 * `unrecorded` if the commit failed (the device got no PUBACK and will send it again).
 */
export type ReceiptStatus = 'recording' | 'recorded' | 'unrecorded';

/**
 * A red press the server has received but not yet (or not) written to disk, as a snapshot lists
 * it: only `recording` or `unrecorded` ones, each kept until a red of its household is on disk
 * (its resend, or a person's report) or for 24 hours. Not an alert: it has no alert id and
 * cannot be acknowledged; show it as an emergency until the household's emergency alert arrives
 * or `recorded` does.
 */
export type ReceiptJson = {
  id: number;
  householdId: number;
  compoundId: number;
  deviceId: string;
  state: 'red';
  status: ReceiptStatus;
  receivedAt: string;
};

// ---------------------------------------------------------------------------------------------
// Views (issue 14): what a dashboard watches.

/**
 * A place a dashboard watches: the district, a street, a community or a compound, within the
 * user's scope (a street official's district is the district's compounds they may see). Asked
 * for on connect (`/ws?view=street:2`) or later with a {@link ViewFrame}; no view = everything
 * the user may see, household by household (as before issue 14).
 *  - above the compound (an "area view"): the feed carries each compound's counts
 *    ({@link CompoundCountsJson}) and every open alert and red receipt of the user's scope, not
 *    the households: a district of 20,000 households is a snapshot of under 200 KB; household
 *    details come on drill-down (a compound view, or the HTTP API);
 *  - a compound: its households and devices, and the alerts and receipts of the whole scope
 *    (an emergency elsewhere is still on screen).
 */
export type LiveView = { level: 'district' | 'street' | 'community' | 'compound'; id: number };

export const VIEW_LEVELS = ['district', 'street', 'community', 'compound'] as const;

/** A place above the compound, as a view names its tiles (district, street, community). */
export type AreaJson = {
  id: number;
  level: 'district' | 'street' | 'community';
  name: string;
  parentId: number | null;
};

/**
 * A compound's counts now, for a place tile: its households by ribbon (`none`: no ribbon yet),
 * its unresolved alerts by kind (`emergencies`: open or acknowledged; `unacknowledged`: of
 * those, not yet acknowledged; `service`: service requests not yet claimed; `missed`: missed
 * check-ins not resolved) and its devices offline (not retired). A tile's colour is the worst:
 * an emergency, then a service request, then a missed check-in.
 */
export type CompoundCountsJson = {
  compoundId: number;
  name: string;
  communityId: number;
  households: number;
  red: number;
  yellow: number;
  blue: number;
  none: number;
  emergencies: number;
  unacknowledged: number;
  service: number;
  missed: number;
  offline: number;
};

/**
 * A view's changes carry its compounds' counts: in an area view, a report, household, device or
 * alert change in a compound of the view is followed, in the same delta, by the compound's new
 * counts (once per compound per delta); the report, household and device changes themselves are
 * not sent there.
 */
export type CompoundCountsChangeJson = { type: 'compound'; compoundId: number; at: string; counts: CompoundCountsJson };

// ---------------------------------------------------------------------------------------------
// Changes: one shape in the process, one on the wire.

/**
 * A change as published on the server's in-process change feed (server/app/changes.ts), times in
 * ms. Emitted only after its commit, so a listener never sees what may roll back — with ONE
 * exception, `receipt`, which says what has not been committed yet; a listener that acts on what
 * is on disk ignores it. On the wire each becomes a {@link ChangeJson}.
 */
export type Change =
  | { type: 'report'; householdId: number; eventId: number; state: RibbonState; source: ReportSource; at: number }
  | {
      type: 'alert';
      alertId: number;
      householdId: number;
      kind: AlertKind;
      opened: boolean;
      status: AlertStatus;
      level: number;
      at: number;
    }
  | { type: 'device'; deviceId: string; householdId: number; online?: boolean; battery?: number; at: number }
  /**
   * A household registered, changed or closed, whichever path wrote it (the API, a roster import,
   * the admin CLI in another process: the people side reads the `household_changes` journal).
   */
  | { type: 'household'; householdId: number; at: number }
  /**
   * A red press on its way to disk (server/ingest/pipeline.ts): `recording` is published when
   * the press arrives, BEFORE its commit, so the dashboards learn of an emergency without waiting
   * for the disk (red to screen, issue 6); then `recorded` after the commit (the report and alert
   * changes of the same commit come first), or `unrecorded` if the commit failed. `at` is when the
   * press arrived.
   */
  | { type: 'receipt'; receiptId: number; householdId: number; deviceId: string; status: ReceiptStatus; at: number };

/** A change of type `T` as sent: `at` as ISO text, its household's compound, and `Extra`. */
type Sent<T extends Change['type'], Extra = unknown> = Omit<Extract<Change, { type: T }>, 'at'> & {
  at: string;
  compoundId: number;
} & Extra;

/**
 * A change as an element of a delta's `changes`: the {@link Change} with its compound (for the
 * per-user filter) and, where the dashboard needs it, the whole current view, so applying a
 * change twice is harmless.
 *  - `{"type":"report","householdId","compoundId","eventId","state","source","at","household":Household|null}`
 *  - `{"type":"alert","alertId","householdId","compoundId","kind","status","level","opened","at","alert":Alert|null}`:
 *    a resolved alert arrives with status "resolved": drop it from the open list;
 *  - `{"type":"device","deviceId","householdId","compoundId","online"?,"battery"?,"at"}`
 *  - `{"type":"receipt","receiptId","householdId","compoundId","deviceId","status","at"}`: a red
 *    press announced BEFORE its commit (the one change that is not committed), `recording`, then
 *    `recorded` after the commit (after its report and alert) or `unrecorded` if the commit failed
 *  - `{"type":"household","householdId","compoundId","at","household":Household|null}` (registered,
 *    changed or closed by any path — API, roster import, admin CLI; a household whose `closed` is
 *    set leaves the dashboard)
 */
export type ChangeJson =
  | CompoundCountsChangeJson
  | Sent<'report', { household: HouseholdJson | null }>
  | Sent<'alert', { alert: AlertJson | null }>
  | Sent<'device'>
  | Sent<'receipt'>
  | Sent<'household', { household: HouseholdJson | null }>;

// ---------------------------------------------------------------------------------------------
// Frames.

/**
 * First on connect and after each `resync`: what the user may see (their compounds; an admin all);
 * alerts are the `open` and `acknowledged` ones, newest first. `truncated` = more than the hub's
 * `snapshotLimit` (20,000) households or alerts (the list then holds the first ones only). A
 * snapshot already holds every change committed before it. A device batch's changes are published
 * only once its WAL sync is done (server/store/db.ts), so a snapshot read meanwhile holds them and
 * they follow it as a delta too; applying a change twice is harmless (each carries the whole view).
 * `receipts` are those still `recording` or `unrecorded`.
 */
export type SnapshotFrame = {
  type: 'snapshot';
  seq: number;
  at: string;
  /** The place watched ({@link LiveView}), or null: everything the user may see, household by household. */
  view: LiveView | null;
  truncated: boolean;
  /** An area view: none (its compounds' counts instead); a compound view: its own. */
  households: HouseholdJson[];
  /** An area view: every compound of the view the user may see, with its counts; otherwise empty. */
  compounds: CompoundCountsJson[];
  /** An area or compound view: the areas its compounds are in, and an area view's own (names for the tiles, the way back up); with no view, empty. */
  areas: AreaJson[];
  alerts: AlertJson[];
  devices: DeviceJson[];
  receipts: ReceiptJson[];
};

/**
 * The changes in the user's compounds that were committed together, in commit order; never
 * empty. "Together" = published in one run of the event loop's current callback: one group commit
 * of device messages (all that arrived in one turn, server/ingest/group-commit.ts), one request,
 * one sweep — or several of these (the core's changes that arrived by the time a request starts go
 * out with it, server/lanes/thread.ts); sent as ONE frame per connection (server/live/batch.ts says
 * why).
 */
export type DeltaFrame = { type: 'delta'; seq: number; changes: ChangeJson[] };

/**
 * Every {@link TICK_INTERVAL_MS}: a heartbeat browser code can see (the ws ping/pong is invisible
 * to it). It has NO `seq` and does not count in the sequence (the next snapshot or delta is still
 * the previous seq + 1). It is skipped on a socket that still has bytes waiting: those frames will
 * be heard first, and a tick is never the reason a socket is cut off as too slow.
 */
export type TickFrame = { type: 'tick'; at: string };

export type ServerFrame = SnapshotFrame | DeltaFrame | TickFrame;

/**
 * A fresh snapshot, please (with the next seq). Anything else a client sends is ignored; more than
 * the hub's `maxMessagesPerWindow` (60) messages in 10 s closes the socket (1008).
 */
export type ResyncFrame = { type: 'resync' };

/**
 * Watch another place (a drill-down, or back up): answered by a snapshot of that view, counted
 * against the session's snapshots as a resync is; `view: null` = everything, household by
 * household; `'auto'` (also `/ws?view=auto`): the district's where the user's compounds lie in
 * more than one community, else everything (what a wall with no place named shows; the
 * snapshot's `view` says which). A view that names no place the user may see closes the socket (1008).
 */
export type ViewFrame = { type: 'view'; view: LiveView | null | 'auto' };

export type ClientFrame = ResyncFrame | ViewFrame;
