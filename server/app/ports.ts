import type { AlertView, Tier, TransitionRecord } from '../domain/alert.js';
import type { PersonRole, UserRole } from '../domain/community.js';
import type { ScopeEntry } from '../domain/places.js';
import type { AreasStore } from './ports-places.js';
import type { DeviceSettingsStore } from './ports-device-settings.js';
export type { Area, AreasStore, LiveCompoundCounts } from './ports-places.js';
import type { RollUpsStore } from './ports-roll-ups.js';
import type { HouseholdsStore } from './ports-households.js';
import type { EarlierPress } from '../domain/dedupe.js';
import type { AlertKind, RibbonState } from '../domain/ribbon.js';
import type { RejectedStore } from './ports-rejected.js';
export type { RejectedStore } from './ports-rejected.js';
import type { DeviceAck } from '../../protocol/mqtt.js';
import type { Channel } from '../notify/types.js';
import type { Change } from './changes.js';
import type { StoredCallResult } from './call-results.js';
import type { PhoneStatus } from './reach.js';
import type {
  Alert,
  AlertFilter,
  AlertReach,
  AlertTransition,
  ApiToken,
  AuditEntry,
  AuditFilter,
  Building,
  ChannelKind,
  Compound,
  Contact,
  Device,
  DeviceAuth,
  DueAlert,
  Household,
  HouseholdCount,
  NewCommunityDutyOverride,
  NewDutyOverride,
  NewDutyShift,
  NewEvent,
  NewOutboxRow,
  NewUser,
  NewVisit,
  OpenedAlert,
  OutboxRow,
  OutboxStatus,
  OutboxTarget,
  Person,
  PressCount,
  Recipient,
  ScheduleSettings,
  Session,
  StoredChannel,
  StoredCommunityDutyOverride,
  StoredCommunityDutyRoster,
  StoredDutyOverride,
  StoredDutyRoster,
  StoredEvent,
  StoredReport,
  StoredSchedule,
  StoredVisit,
  User,
} from './records.js';

/**
 * What the use cases need from the world, as interfaces they own: the stores (one per table
 * group, over the records in records.ts), the clock, the change feed, notification channels and
 * the database file. `store/` implements the stores (each createXStore is annotated with its
 * interface here, so the compiler checks it); the composition root hands them in. Nothing in
 * `app/` imports `store/`, so a use case can be tested with a small fake instead of SQLite.
 *
 * Every store call is synchronous: a use case runs inside `Stores.transaction` and must not
 * await in the middle of one.
 */

export type * from './records.js';

export interface PlacesStore {
  findOrCreateCompound(name: string, now: number): Compound;
  findBuilding(compoundId: number, name: string): Building | null;
  findOrCreateBuilding(compoundId: number, name: string, now: number): Building;
  /** A new household; its time zone defaults to the community's. Returns its id. */
  createHousehold(input: { buildingId: number; name: string; room: string; timezone?: string }, now: number): number;
  getHousehold(id: number): Household | null;
  /** Keyset pages by id after `afterId`; `compoundIds` null = every compound. */
  pageHouseholds(
    afterId: number,
    limit: number,
    compoundIds: readonly number[] | null,
    /** `closed`: 'open' (default: the wall's), 'closed' or 'all'; `q`: in the name or the room. */
    filter?: {
      compoundId?: number;
      buildingId?: number;
      state?: RibbonState;
      closed?: 'open' | 'closed' | 'all';
      q?: string;
    },
  ): Household[];
  renameHousehold(id: number, name: string, room: string): void;
  /** The households of a building with this room and name (a roster's key; through the building's index). */
  householdIdsAt(buildingId: number, room: string, name: string): number[];
  /**
   * Deletes a row nothing else refers to (a roster import undoing what it wrote); throws (a
   * foreign key) if something does: a household's contacts must go first (`people.setContacts`).
   */
  deleteHousehold(id: number): void;
  deleteBuilding(id: number): void;
  deleteCompound(id: number): void;
  /** New names (unique: compounds by name, buildings within their compound; app/places.ts checks first). */
  renameCompound(id: number, name: string): void;
  renameBuilding(id: number, name: string): void;
  listHouseholds(): Household[];
  listCompounds(): Compound[];
  getCompound(id: number): Compound | null;
  listBuildings(): Building[];
  /** A press or a person's report: the household's ribbon, a check-in, and the next due time. */
  recordReport(householdId: number, state: RibbonState, now: number, checkInDueAt: number | null): void;
  /** What the check-in rules need to know about a household (and its compound's policy). */
  schedule(householdId: number): StoredSchedule | null;
  setSchedule(householdId: number, settings: ScheduleSettings, checkInDueAt: number | null): void;
  setCheckInDue(householdId: number, dueAt: number | null): void;
  /** Households whose check-in is due by `now`, soonest first (an indexed due time, not a scan). */
  dueCheckIns(now: number, limit: number): Array<{ id: number; dueAt: number }>;
  /** Moves a due check-in from `expected` to `next`; true only if this caller changed it. */
  claimCheckIn(householdId: number, expected: number, next: number | null): boolean;
  compoundPolicy(compoundId: number): unknown;
  setCompoundPolicy(compoundId: number, policy: unknown): void;
}

export interface DevicesStore {
  create(id: string, householdId: number, secretHash: Buffer, now: number): void;
  findForAuth(id: string): DeviceAuth | null;
  get(id: string): Device | null;
  list(): Device[];
  /** The devices not retired of these compounds' households. */
  inUseIn(compoundIds: readonly number[]): Device[];
  setOnline(id: string, online: boolean, now: number): void;
  recordBattery(id: string, battery: number, now: number): void;
  /** A heartbeat: the battery, and the model and firmware when reported (null: unchanged). */
  recordHeartbeat(
    id: string,
    report: { battery: number; model: string | null; firmware: string | null },
    now: number,
  ): void;
  /** The moment the device counts as offline if no heartbeat comes; null = never. */
  setHeartbeatDue(id: string, dueAt: number | null): void;
  dueHeartbeats(now: number, limit: number): Array<{ id: string; householdId: number; dueAt: number }>;
  /** Clears a due heartbeat still at `expected`; true only if this caller changed it. */
  claimHeartbeat(id: string, expected: number): boolean;
  /** The household's devices that are not retired. */
  forHousehold(householdId: number): Device[];
  /** A new secret (the old one stops working at the next CONNECT); false if unknown or retired. */
  rotateSecret(id: string, secretHash: Buffer): boolean;
  retire(id: string, now: number): boolean;
  countOnline(): number;
  /** At start: nobody is connected to a broker that has just started. Returns how many changed. */
  markAllOffline(now: number): number;
}

export interface EventsStore {
  insert(event: NewEvent): number;
  /** A household's report with this idempotency key (keys are the sender's, per household). */
  byIdempotencyKey(householdId: number, key: string): StoredEvent | null;
  /** Newest first, after the (receivedAt, id) position `before` (exclusive), at most `limit`. */
  pageForHousehold(
    householdId: number,
    before: { receivedAt: number; id: number } | null,
    limit: number,
  ): StoredEvent[];
  get(id: number): StoredEvent | null;
  /** The last report of this device's (boot, seq), or null: how a resent press is recognised. */
  earlierPress(deviceId: string, boot: number | null, seq: number): EarlierPress;
  listForHousehold(householdId: number, limit?: number): StoredEvent[];
  listForDevice(deviceId: string): StoredEvent[];
}

export interface AlertsStore {
  get(id: number): Alert | null;
  /** The household's alert of this kind that is not resolved (at most one), or null. */
  findOpen(householdId: number, kind: AlertKind): Alert | null;
  /** Inserts a new alert; returns it as stored. */
  insert(householdId: number, view: AlertView, reason: string | null, eventId: number | null, now: number): Alert;
  /** Writes the domain's new view, with who did what (from its transition records); returns it as stored. */
  save(
    alert: Alert,
    view: AlertView,
    records: readonly TransitionRecord[],
    extra: { lastEventId?: number | null; reason?: string | null },
    now: number,
  ): Alert;
  recordTransitions(alertId: number, records: readonly TransitionRecord[], at: number): void;
  transitions(alertId: number): AlertTransition[];
  list(filter?: AlertFilter): Alert[];
  /** Newest first after position `before`; `compoundIds` null = every compound. */
  page(
    filter: AlertFilter & { compoundIds: readonly number[] | null },
    before: { openedAt: number; id: number } | null,
    limit: number,
  ): Alert[];
  /** Alerts whose next step or round of calls is due by `now`, oldest first (at most `limit`). */
  due(now: number, limit: number): DueAlert[];
  /**
   * True only if the alert's due times are still `expected` (a pure claim); with a `lease`,
   * the due times before it move on to it (a failed step is tried again then).
   */
  claimDue(expected: DueAlert, lease?: number | null): boolean;
  /** Records whether a person's phone was reached; true if it changed. */
  setReach(id: number, reach: AlertReach): boolean;
}

export interface OutboxStore {
  insert(row: NewOutboxRow, now: number): number;
  /**
   * The same notification to each of these channels. With no channel it is recorded all the
   * same, as one 'failed' row, so "nobody was told" shows. Returns the row ids.
   */
  insertForChannels(
    channelIds: readonly number[],
    row: Pick<NewOutboxRow, 'alertId' | 'event' | 'recipients' | 'payload'>,
    now: number,
  ): number[];
  /** Pending rows whose next attempt is due by `now`, oldest first. */
  due(now: number, limit: number): OutboxRow[];
  /**
   * Claims a row for one delivery attempt: moves its next attempt to `leaseUntil` (so a crash
   * mid-send retries it after the lease) and counts the attempt. False if someone else has it.
   */
  claim(id: number, expectedNextAttempt: number, leaseUntil: number): boolean;
  markSent(id: number, now: number, providerRef?: string | null): void;
  markRetry(id: number, nextAttemptAt: number, error: string): void;
  markFailed(id: number, error: string): void;
  get(id: number): OutboxRow | null;
  forAlert(alertId: number): OutboxRow[];
  all(): OutboxRow[];
  counts(): Array<{ target: OutboxTarget; status: OutboxStatus; n: number }>;
  /** The SMS and calls of an alert: tier, medium and status of each (server/app/reach.ts). */
  phoneStatuses(alertId: number): PhoneStatus[];
  /** Open emergencies by reach, and the oldest unacknowledged one's press time (for /metrics). */
  reachGauges(): { unreachedOpen: number; oldestOpenEmergencyAt: number | null };
}

export interface PeopleStore {
  /** `communityId` absent: null (a compound's, a building's or the whole district's person). */
  add(person: Omit<Person, 'id' | 'communityId'> & { communityId?: number | null }, now: number): number;
  /** The people not retired, by tier. */
  list(): Person[];
  get(id: number): Person | null;
  update(id: number, person: { name: string; phone: string | null; role: PersonRole; tier: Tier }): void;
  retire(id: number, now: number): boolean;
  /** Deletes a person nothing refers to (a roster import undoing what it wrote); retire is the way otherwise. */
  delete(id: number): void;
  addContact(contact: Omit<Contact, 'id'>, now: number): number;
  /** Replaces a household's contacts with these. */
  setContacts(householdId: number, list: ReadonlyArray<Omit<Contact, 'id' | 'householdId'>>, now: number): void;
  contacts(householdId: number): Contact[];
  /** One family contact by id; null once removed (a household's contacts replaced). */
  contact(id: number): Contact | null;
  /** Whom the given tiers of a household reach, tier by tier, without repeats. */
  recipients(householdId: number, tiers: readonly Tier[]): Recipient[];
}

/** The 处理码 of SMS: a short code standing for one signed one-tap link until it expires. */
export interface AckCodesStore {
  /** A new code for this link (the link's token), valid until `expiresAt`. */
  issue(token: string, expiresAt: number, now: number): string;
  /** The link's token for a code as typed (app/ack-code.ts normaliseAckCode), or null when malformed, unknown or expired. */
  find(code: string, now: number): string | null;
}

export interface ChannelsStore {
  add(kind: ChannelKind, name: string, config: unknown, compoundId: number | null, now: number): number;
  /** The active channels of a compound and those for all compounds: their ids. */
  idsFor(compoundId: number): number[];
  /** The same, with their kinds (group robots and webhooks apart from SMS and calls). */
  forCompound(compoundId: number): Array<{ id: number; kind: ChannelKind }>;
  get(id: number): StoredChannel | null;
  list(): StoredChannel[];
  /** Retires an active channel (nothing new is sent through it); false if none was active. */
  retire(id: number, now: number): boolean;
  /** A voice channel's callback key, as its SHA-256 (api/routes/hooks.ts); one per channel. */
  setHookKey(channelId: number, keyHash: Buffer, now: number): void;
  hookKey(channelId: number): Buffer | null;
}

/** What the voice providers reported about our calls (app/call-results.ts). */
export interface CallResultsStore {
  /** The outbox row of this channel that the provider accepted under `providerRef` (its call id). */
  rowByRef(channelId: number, providerRef: string): { id: number; alertId: number | null } | null;
  /** Stores a result; false when this row already has this result (a report pushed again). */
  record(result: StoredCallResult): boolean;
  /** The results of an alert's calls, oldest first. */
  forAlert(alertId: number): StoredCallResult[];
}

export interface UsersStore {
  create(user: NewUser, now: number): number;
  count(): number;
  /** The user and the stored password hash, for a login; null when unknown. */
  forLogin(username: string): { user: User; passwordHash: string } | null;
  get(id: number): User | null;
  list(): User[];
  setProfile(userId: number, displayName: string, role: UserRole): void;
  setCompounds(userId: number, compoundIds: readonly number[]): void;
  /** Replaces the user's scope: places at any level, each editable or read-only. */
  setScope(userId: number, scope: readonly ScopeEntry[]): void;
  /** A new password hash; the user's sessions end. */
  setPassword(userId: number, hash: string): void;
  /** Disabled at that time (the user's sessions end), or enabled again with null. */
  setDisabled(userId: number, disabledAt: number | null): void;

  createSession(idHash: Buffer, userId: number, csrfToken: string, now: number, expiresAt: number): void;
  session(idHash: Buffer): Session | null;
  touchSession(idHash: Buffer, now: number, expiresAt: number): void;
  deleteSession(idHash: Buffer): void;
  deleteExpiredSessions(now: number): number;

  createToken(tokenHash: Buffer, userId: number, name: string, now: number): number;
  token(tokenHash: Buffer): { id: number; userId: number; revoked: boolean } | null;
  touchToken(id: number, now: number): void;
  revokeToken(id: number, now: number): boolean;
  tokens(): ApiToken[];

  /** Appends to the audit log (never updated or deleted). */
  audit(entry: Omit<AuditEntry, 'id'>): void;
  /** Newest first; `before` is the id to continue below (an opaque cursor to clients). */
  auditPage(before: number, limit: number, filter?: AuditFilter): AuditEntry[];
}

export interface ReportsStore {
  /**
   * Writes the report of (compound, day): inserted the first time, its data replaced after
   * that (its creation time stays the first run's). `created` says which; run it in a transaction.
   */
  upsert(compoundId: number, day: string, data: unknown, now: number): { created: boolean };
  get(compoundId: number, day: string): StoredReport | null;
  forDay(day: string): StoredReport[];
  /** Events received in [from, to), by compound, source and colour. */
  presses(from: number, to: number): PressCount[];
  /** Per compound: households registered before `to`, and those with any event in [from, to). */
  households(from: number, to: number): HouseholdCount[];
  /** Alerts opened in [from, to), whatever their status now, oldest first. */
  openedBetween(from: number, to: number): OpenedAlert[];
  /** Alerts not yet resolved, per compound (a snapshot: as of now, not of the day). */
  unresolvedByCompound(): Map<number, number>;
  /** The query plans of the reads above (tests check that none scans events or alerts). */
  explain(): string[];
}

export interface VisitsStore {
  /**
   * Records a visit once: with a key already used for this household, the earlier visit is
   * returned with `duplicate: true` and nothing is written. Run it in a transaction.
   */
  record(visit: NewVisit): { visitId: number; duplicate: boolean };
  /** Newest first, after the (at, id) position `before` (exclusive), at most `limit`. */
  pageForHousehold(householdId: number, before: { at: number; id: number } | null, limit: number): StoredVisit[];
}

/**
 * Duty rosters (值班表): weekly shifts per compound and tier, and overrides (swaps, leave); the
 * rules are domain/duty.ts. Writes check nothing: the use cases in app/duty.ts do (who may be on
 * a roster, times that read).
 */
export interface DutyStore {
  /**
   * Ids of the active people on duty for this compound and tier at `now`: by the compound's own
   * roster for that tier, or else by its community's (issue 14); null when neither has one (then
   * everyone of the tier covering the household answers, as before rosters existed). An empty
   * array means: a roster exists and nobody is on duty now. Runs on the red-press path inside the
   * core's transaction: two indexed reads with a compound roster, three with the community's; no scan.
   */
  onDuty(compoundId: number, tier: Tier, now: number): number[] | null;
  /** The compound's roster: zone, weekly shifts of every tier, and the overrides not over by `now`. */
  roster(compoundId: number, now: number): StoredDutyRoster;
  /**
   * Replaces all the compound's weekly shifts (every tier) and sets its zone; a tier left without
   * shifts has no roster. Run it in a transaction.
   */
  replaceShifts(compoundId: number, timeZone: string, shifts: readonly NewDutyShift[], now: number): void;
  /** Adds a swap or leave; returns its id. The compound must have a roster (shifts set once). */
  addOverride(override: NewDutyOverride, now: number): number;
  getOverride(id: number): StoredDutyOverride | null;
  /** Removes an override; false if there was none with that id. */
  removeOverride(id: number): boolean;
  /** A community's roster (zone, weekly shifts of every tier, overrides not over by `now`). */
  communityRoster(communityId: number, now: number): StoredCommunityDutyRoster;
  /** As replaceShifts, for a community's roster. Run it in a transaction. */
  replaceCommunityShifts(communityId: number, timeZone: string, shifts: readonly NewDutyShift[], now: number): void;
  addCommunityOverride(override: NewCommunityDutyOverride, now: number): number;
  getCommunityOverride(id: number): StoredCommunityDutyOverride | null;
  removeCommunityOverride(id: number): boolean;
}

/** Every store over one database, and the transaction they share. */
export interface Stores {
  readonly places: PlacesStore;
  readonly areas: AreasStore;
  readonly rollUps: RollUpsStore;
  readonly households: HouseholdsStore;
  readonly devices: DevicesStore;
  readonly deviceSettings: DeviceSettingsStore;
  readonly events: EventsStore;
  readonly rejected: RejectedStore;
  readonly alerts: AlertsStore;
  readonly outbox: OutboxStore;
  readonly people: PeopleStore;
  readonly channels: ChannelsStore;
  readonly users: UsersStore;
  readonly reports: ReportsStore;
  readonly visits: VisitsStore;
  readonly callResults: CallResultsStore;
  readonly ackCodes: AckCodesStore;
  readonly duty: DutyStore;
  /** Runs fn in one transaction that takes the writer lock up front: all of it commits, or none. */
  transaction<T>(fn: () => T): T;
  /**
   * Inside `transaction`: runs fn so that, if it throws, only its own writes are rolled back and
   * the transaction goes on (a savepoint). Outside one, it is a transaction of its own.
   */
  savepoint<T>(fn: () => T): T;
}

/** The database as a file, for backups. */
export interface DatabaseFile {
  /** Copies the live database to `file` as it is at one moment, while writers go on (off the event loop). */
  backupTo(file: string): Promise<void>;
  /**
   * Opens the copy at `file`, leaves it a single self-contained file (no write-ahead log to
   * lose), and rejects unless its integrity check passes (off the event loop).
   */
  checkCopy(file: string): Promise<void>;
}

/** The time, in epoch milliseconds: passed in so tests can set it. */
export type Clock = { now(): number };

/** Where committed changes are announced (the live hub and notifications listen). */
export type ChangeSink = { publish(change: Change): void };

/** The notification channel an outbox row is addressed to; null if it is gone or its settings are invalid. */
export type ChannelLookup = (channelId: number) => Channel | null;

/** Sends an ack to a device (over the broker, at most once: the outbox retries). */
export type DeviceAckPublisher = (deviceId: string, ack: DeviceAck) => void;
