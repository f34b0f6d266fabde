import type { AlertJson, DeviceJson, HouseholdJson } from '../../protocol/live.js';
import type { Alert, Device, Household, OutboxRow, Stores, User } from '../app/ports.js';
import { latestResult, type CallResultWord, type StoredCallResult } from '../app/call-results.js';
import { isFamilyContact } from '../app/records.js';
import { maskPhone } from '../notify/providers/phone.js';

/**
 * The JSON a household, a device and an alert are shown as, the same over HTTP (/api/…) and on
 * the live feed (/ws), so a dashboard can merge a delta into what it listed (the shapes are in
 * protocol/live.ts).
 */

/** Times go out as ISO 8601 (UTC); null stays null. */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function householdView(h: Household): HouseholdJson {
  return {
    id: h.id,
    name: h.name,
    room: h.room,
    building: h.building,
    buildingId: h.buildingId,
    compound: h.compound,
    compoundId: h.compoundId,
    state: h.state,
    stateAt: iso(h.stateAt),
    lastCheckInAt: iso(h.lastCheckInAt),
    awayUntil: h.awayUntil,
    closed: h.closed === null ? null : { ...h.closed, at: iso(h.closed.at) },
    anonymised: h.anonymisedAt !== null,
  };
}

export function deviceView(d: Device): DeviceJson {
  return { id: d.id, householdId: d.householdId, online: d.online, battery: d.battery, lastSeenAt: iso(d.lastSeenAt) };
}

/** An alert with its household (the caller has usually read it already: pass it in). */
export function alertView(a: Alert, h: Household | null): AlertJson {
  return {
    id: a.id,
    kind: a.kind,
    status: a.status,
    level: a.level,
    householdId: a.householdId,
    compoundId: h?.compoundId ?? null,
    openedAt: iso(a.openedAt),
    acknowledgedAt: iso(a.acknowledgedAt),
    acknowledgedBy: a.acknowledgedBy,
    arrivedAt: iso(a.arrivedAt),
    arrivedBy: a.arrivedBy,
    resolvedAt: iso(a.resolvedAt),
    resolvedBy: a.resolvedBy,
    resolutionNote: a.resolutionNote,
    reportCount: a.reportCount,
    reason: a.reason,
    dueAt: iso(a.dueAt),
    reach: a.reach,
    household: h ? { name: h.name, compound: h.compound, building: h.building, room: h.room } : null,
  };
}

/** alertView, reading the household. */
export function alertViewOf(stores: Stores, a: Alert): AlertJson {
  return alertView(a, stores.places.getHousehold(a.householdId));
}

/** One notification of an alert, as GET /api/alerts/:id lists it. */
export type NotificationJson = {
  event: string;
  target: OutboxRow['target'];
  recipients: Array<{ name: string; phone: string | null; role: string }>;
  status: OutboxRow['status'];
  attempts: number;
  sentAt: string | null;
  lastError: string | null;
  /** A person's own phone: 'sms' or 'call' (issue 13); null for group robots, webhooks and devices. */
  medium: 'sms' | 'call' | null;
  /** What became of a call, as its provider reported it (POST /hooks/voice/…); null until it does. */
  callResult: { result: CallResultWord; detail: string; at: string } | null;
};

/**
 * A notification as `user` may see it. Family phone numbers are personal data: staff and admins
 * only (as on GET /api/households/:id). A volunteer still sees that the family was told — the
 * contact's name and relation (`contact:女儿`) — but `phone` is null: nothing a volunteer does
 * with an alert needs the family's number, and even a masked tail beside a name and a relation
 * is more than needed. A receiver's answer may quote what it was sent (`HTTP 400: bad mobile
 * 139…`): the contacts' numbers in `lastError` are masked for a volunteer too.
 */
export function notificationView(
  n: OutboxRow,
  user: Pick<User, 'role'>,
  callResults: readonly StoredCallResult[] = [],
): NotificationJson {
  const hide = user.role === 'volunteer';
  const contactPhones = hide
    ? n.recipients.filter(isFamilyContact).flatMap((r) => (r.phone === null ? [] : [r.phone]))
    : [];
  return {
    event: n.event,
    target: n.target,
    // The documented three fields only: the stored ids (personId, contactId) are the server's own.
    recipients: n.recipients.map((r) => ({
      name: r.name,
      phone: hide && isFamilyContact(r) ? null : r.phone,
      role: r.role,
    })),
    status: n.status,
    attempts: n.attempts,
    sentAt: iso(n.sentAt),
    lastError: n.lastError === null ? null : maskNumbers(n.lastError, contactPhones),
    medium: mediumOfRow(n),
    callResult: callResultView(latestResult(callResults.filter((r) => r.outboxId === n.id)), contactPhones),
  };
}

function mediumOfRow(n: OutboxRow): 'sms' | 'call' | null {
  const payload = n.payload as { phone?: { medium?: unknown } } | null;
  const medium = n.target === 'channel' ? payload?.phone?.medium : undefined;
  return medium === 'sms' || medium === 'call' ? medium : null;
}

function callResultView(r: StoredCallResult | null, hidden: readonly string[]): NotificationJson['callResult'] {
  return r === null ? null : { result: r.result, detail: maskNumbers(r.detail, hidden), at: iso(r.at) };
}

/** `text` with each of `phones` masked, however its digits are spaced or hyphenated there. */
function maskNumbers(text: string, phones: readonly string[]): string {
  let out = text;
  for (const phone of phones) {
    const digits = phone.replace(/\D/g, '');
    // A short "number" would mask unrelated figures (an HTTP status, a count).
    if (digits.length < 5) continue;
    out = out.replace(new RegExp(digits.split('').join('[\\s-]?'), 'g'), maskPhone(digits));
  }
  return out;
}
