import type { ScopeEntry } from '../domain/places.js';
import type { AlertView, Tier, TransitionRecord } from '../domain/alert.js';
import type { PersonRole, UserRole, VisitSeen } from '../domain/community.js';
import type { Weekday } from '../domain/duty.js';
import type { AlertKind, AlertStatus, ReportSource, RibbonState } from '../domain/ribbon.js';
import type { ClosedReason } from '../../protocol/live.js';

// The roles and what a visit saw are the community's vocabulary (domain/); records speak it.
export type { PersonRole, UserRole, VisitSeen } from '../domain/community.js';

/**
 * The records the use cases read and write, as they speak of them (camelCase, parsed JSON,
 * booleans): what a store returns and takes, whatever its tables look like. Declared here, on
 * the use cases' side, so that `store/` depends on `app/` and never the other way (ports.ts
 * holds the store interfaces over these).
 */

// Places: compounds (小区), buildings (楼栋) and households (户).

export type Compound = { id: number; name: string };
export type Building = { id: number; compoundId: number; name: string };
export type Household = {
  id: number;
  name: string;
  room: string;
  buildingId: number;
  building: string;
  compoundId: number;
  compound: string;
  state: RibbonState | null;
  stateAt: number | null;
  lastCheckInAt: number | null;
  timezone: string;
  /** Away (no check-in expected) through this local day 'YYYY-MM-DD', or null. */
  awayUntil: string | null;
  /** Closed (issue 15): when recorded, the local date given, why, a note; null while open. */
  closed: HouseholdClosed | null;
  /** When its personal data was removed (only a closed household), or null. */
  anonymisedAt: number | null;
};

export type HouseholdClosed = { at: number; on: string; reason: ClosedReason; note: string };

/** Stored check-in settings; JSON fields are returned unparsed-as-unknown for the domain to check. */
export type StoredSchedule = {
  householdId: number;
  compoundId: number;
  policy: unknown;
  quietHours: unknown;
  awayUntil: string | null;
  timezone: string;
  lastCheckInAt: number | null;
  createdAt: number;
  checkInDueAt: number | null;
  compoundPolicy: unknown;
};

/** A household's check-in settings as a person sets them (JSON fields as parsed values, null = none). */
export type ScheduleSettings = { policy: unknown; quietHours: unknown; awayUntil: string | null; timezone: string };

// Devices.

export type DeviceAuth = {
  id: string;
  householdId: number;
  secretHash: Buffer;
  retired: boolean;
};

export type Device = {
  id: string;
  householdId: number;
  online: boolean;
  onlineChangedAt: number | null;
  battery: number | null;
  batteryAt: number | null;
  lastSeenAt: number | null;
  retiredAt: number | null;
  /** The model and firmware version its heartbeats last reported (or staff recorded); null: not known. */
  model: string | null;
  firmware: string | null;
};

// Events: every report of a ribbon, from a device or a person.

export type NewEvent = {
  householdId: number;
  source: ReportSource;
  deviceId: string | null;
  state: RibbonState;
  seq: number | null;
  boot: number | null;
  deviceAt: string | null;
  battery: number | null;
  reportedBy: string | null;
  note: string | null;
  receivedAt: number;
  /**
   * When the ribbon was seen: a person's tap (a report queued offline arrives later); absent =
   * `receivedAt` (a device press is seen when it arrives).
   */
  observedAt?: number;
  /** A person's report sent again (offline sync) is recognised by this key. */
  idempotencyKey?: string | null;
};

export type StoredEvent = NewEvent & { id: number; observedAt: number };

/** A message a device sent that could not be read or was not allowed, kept for diagnosis. */
export type RejectedMessage = {
  id: number;
  deviceId: string;
  topic: string;
  payload: Buffer;
  reason: string;
  receivedAt: number;
};

// Alerts.

/** An alert as stored: the domain's view plus identity and the events it joined. */
export type Alert = AlertView & {
  id: number;
  householdId: number;
  reason: string | null;
  firstEventId: number | null;
  lastEventId: number | null;
  acknowledgedBy: string | null;
  arrivedBy: string | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
  /** Whether a person's phone was reached (server/app/reach.ts); null when no phone was tried. */
  reach: AlertReach | null;
};

export type AlertReach = 'pending' | 'reached' | 'unreached';

/** An alert the sweep has to look at: its next step, or its next round of calls, is due. */
export type DueAlert = { id: number; dueAt: number | null; callDueAt: number | null };

export type AlertTransition = TransitionRecord & { id: number; alertId: number; at: number };

export type AlertFilter = { status?: AlertStatus; kind?: AlertKind; householdId?: number };

// The outbox: notifications and device acks waiting to be delivered.

export type OutboxTarget = 'channel' | 'device' | 'none';
export type OutboxStatus = 'pending' | 'sent' | 'failed';

/** Whom a notification is for; `personId` or `contactId` says which row (for one-tap links), when known. */
export type Recipient = { name: string; phone: string | null; role: string; personId?: number; contactId?: number };

/**
 * A household's family contact among an alert's recipients has the role `contact`, or
 * `contact:<relation>` (女儿, 儿子…); people who answer alarms have their PersonRole, never this.
 */
export const CONTACT_ROLE = 'contact';

export function isFamilyContact(r: Pick<Recipient, 'role'>): boolean {
  return r.role === CONTACT_ROLE || r.role.startsWith(`${CONTACT_ROLE}:`);
}

export type OutboxRow = {
  id: number;
  target: OutboxTarget;
  channelId: number | null;
  deviceId: string | null;
  alertId: number | null;
  event: string;
  recipients: Recipient[];
  payload: unknown;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
  /** The provider's id for an accepted SMS or call (call results come back by it). */
  providerRef: string | null;
};

export type NewOutboxRow = {
  target: OutboxTarget;
  channelId: number | null;
  deviceId: string | null;
  alertId: number | null;
  event: string;
  recipients: readonly Recipient[];
  payload: unknown;
  /** 'failed' at once when there is nowhere to send it (recorded, so it shows). */
  status?: OutboxStatus;
  lastError?: string | null;
  /** Not sent before this time (an SMS for a service request waits for the daytime). */
  notBefore?: number;
};

// People, their households' contacts, and the channels notifications go to.

export type Person = {
  id: number;
  name: string;
  phone: string | null;
  role: PersonRole;
  tier: Tier;
  compoundId: number | null;
  buildingId: number | null;
  /** A whole community's person (a tier set per community): compoundId and buildingId null. Null with them: the whole district. */
  communityId: number | null;
};

export type Contact = { id: number; householdId: number; name: string; phone: string; relation: string };

/** A weekly shift of a duty roster as stored (domain/duty.ts reads it). */
export type StoredDutyShift = {
  id: number;
  tier: Tier;
  days: Weekday[];
  /** Local "HH:MM". */
  start: string;
  end: string;
  personIds: number[];
};

/** A swap (replacementId set) or leave (null) on a compound's roster for one tier, over [from, to). */
export type StoredDutyOverride = {
  id: number;
  compoundId: number;
  tier: Tier;
  personId: number;
  replacementId: number | null;
  from: number;
  to: number;
  note: string;
  createdBy: string | null;
  createdAt: number;
};

/** A compound's roster: its zone, its weekly shifts (all tiers), and the overrides not over yet. */
export type StoredDutyRoster = {
  compoundId: number;
  /** null: the compound has no roster yet (its zone would be the default). */
  timeZone: string | null;
  shifts: StoredDutyShift[];
  overrides: StoredDutyOverride[];
};

export type NewDutyShift = {
  tier: Tier;
  days: readonly Weekday[];
  start: string;
  end: string;
  personIds: readonly number[];
};
export type NewDutyOverride = Omit<StoredDutyOverride, 'id' | 'createdAt'>;

/** A swap or leave on a community's roster (issue 14): as a compound's, named by its community. */
export type StoredCommunityDutyOverride = Omit<StoredDutyOverride, 'compoundId'> & { communityId: number };

/**
 * A community's roster: for each tier it has shifts, the roster of every compound of the
 * community that has none of its own at that tier.
 */
export type StoredCommunityDutyRoster = {
  communityId: number;
  /** null: the community has no roster yet. */
  timeZone: string | null;
  shifts: StoredDutyShift[];
  overrides: StoredCommunityDutyOverride[];
};
export type NewCommunityDutyOverride = Omit<StoredCommunityDutyOverride, 'id' | 'createdAt'>;

export type ChannelKind =
  | 'webhook'
  | 'wecom'
  | 'dingtalk'
  | 'aliyun-sms'
  | 'aliyun-voice'
  | 'tencent-sms'
  | 'tencent-voice';
export type StoredChannel = { id: number; kind: ChannelKind; name: string; config: unknown; compoundId: number | null };

// Users, sessions, API tokens and the audit log.

export type User = {
  id: number;
  username: string;
  displayName: string;
  role: UserRole;
  personId: number | null;
  /** The compounds the user may see (its scope's, at every level); empty for an admin, who sees all. */
  compoundIds: number[];
  /** Of those, the ones the user may only watch (every scope entry covering them is read-only). */
  readOnlyCompoundIds: number[];
  /** The scope as set: places at any level (district, street, community, compound). */
  scope: ScopeEntry[];
  disabled: boolean;
};

export type NewUser = {
  username: string;
  displayName: string;
  role: UserRole;
  passwordHash: string;
  personId?: number | null;
  compoundIds?: readonly number[];
};

export type Session = { userId: number; csrfToken: string; createdAt: number; expiresAt: number; lastSeenAt: number };

export type ApiToken = {
  id: number;
  userId: number;
  name: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
};

export type AuditEntry = {
  id: number;
  at: number;
  userId: number | null;
  username: string | null;
  method: string;
  route: string;
  record: string | null;
  status: number;
  address: string | null;
};

/**
 * Which audit rows to read (GET /api/audit's filters): each one given narrows; none: every row.
 * Prefixes match from the start, case and all; the username any case; `at` in [from, to).
 */
export type AuditFilter = {
  username?: string;
  method?: string;
  routePrefix?: string;
  recordPrefix?: string;
  /** One status, or a range [min, max] (a class such as 4xx). */
  status?: { min: number; max: number };
  from?: number;
  to?: number;
};

// Daily reports and the figures they are built from.

export type StoredReport = { id: number; compoundId: number; day: string; data: unknown; createdAt: number };

/** Reports (events) of one compound in the range, by source and colour. */
export type PressCount = { compoundId: number; source: ReportSource; state: RibbonState; n: number };

/** Households of a compound registered before the range ends, and how many reported in it. */
export type HouseholdCount = { compoundId: number; households: number; checkedIn: number };

/** An alert opened in the range, with its response times (null: not yet). */
export type OpenedAlert = {
  compoundId: number;
  kind: AlertKind;
  openedAt: number;
  acknowledgedAt: number | null;
  arrivedAt: number | null;
};

// Visits: a volunteer's look at a window.

export type NewVisit = {
  householdId: number;
  seen: VisitSeen;
  /** The display name of the user who recorded it. */
  by: string;
  note: string | null;
  /** When the volunteer looked (sent with the visit when it was queued offline), in ms. */
  at: number;
  /** When the server received it. */
  receivedAt: number;
  /** A resend of the same visit (offline sync) is recognised by this key, per household. */
  idempotencyKey: string | null;
};

export type StoredVisit = NewVisit & { id: number };
