import { Type, type Static } from '@fastify/type-provider-typebox';
import { type CheckInPolicy, MAX_POLICY_SEC, MIN_EVERY_SEC } from '../../domain/check-in.js';
import { CLOSED_REASONS } from '../../../protocol/live.js';
import type { Refusal } from '../../app/households.js';
import { AppError } from '../../errors.js';
import { ObservedAt } from '../observed-at.js';
import { mobileAt, PHONE_SCHEMA } from '../phone-field.js';

/** The request bodies of the household routes (households.ts, household-close.ts) and their conversions. */

export const TimeOfDay = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
export const CheckIn = Type.Union([
  Type.Object(
    {
      everySec: Type.Integer({ minimum: MIN_EVERY_SEC, maximum: MAX_POLICY_SEC }),
      graceSec: Type.Integer({ minimum: 0, maximum: MAX_POLICY_SEC }),
    },
    { additionalProperties: false },
  ),
  Type.Object({ deadline: TimeOfDay }, { additionalProperties: false }),
]);
export const QuietHours = Type.Union([
  Type.Object({ start: TimeOfDay, end: TimeOfDay }, { additionalProperties: false }),
  Type.Null(),
]);
export const Contact = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    phone: Type.String(PHONE_SCHEMA),
    relation: Type.Optional(Type.String({ maxLength: 50 })),
  },
  { additionalProperties: false },
);
export const Name = Type.String({ minLength: 1, maxLength: 100 });

/** Contacts as stored: trimmed, each phone the 11 digits (a 400 naming `body.contacts.N.phone` otherwise). */
export function contactsToStore(contacts: ReadonlyArray<Static<typeof Contact>>) {
  return contacts.map((c, i) => ({
    name: c.name.trim(),
    phone: mobileAt(`body.contacts.${i}.phone`, c.phone),
    relation: c.relation?.trim() ?? '',
  }));
}
export const LocalDate = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' });

export const NewHousehold = Type.Object(
  {
    name: Name,
    compound: Name,
    building: Name,
    room: Type.String({ maxLength: 100 }),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    checkin: Type.Optional(CheckIn),
    quietHours: Type.Optional(QuietHours),
    awayUntil: Type.Optional(Type.Union([LocalDate, Type.Null()])),
    contacts: Type.Optional(Type.Array(Contact, { maxItems: 10 })),
  },
  { additionalProperties: false },
);
export const HouseholdPatch = Type.Object(
  {
    name: Type.Optional(Name),
    room: Type.Optional(Type.String({ maxLength: 100 })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    checkin: Type.Optional(CheckIn),
    quietHours: Type.Optional(QuietHours),
    awayUntil: Type.Optional(Type.Union([LocalDate, Type.Null()])),
    /** Moves it to this building of its compound (by name; made if new). */
    building: Type.Optional(Name),
    /** Replaces the emergency contacts. */
    contacts: Type.Optional(Type.Array(Contact, { maxItems: 10 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ReportBody = Type.Object(
  {
    state: Type.Union([Type.Literal('red'), Type.Literal('yellow'), Type.Literal('blue')]),
    note: Type.Optional(Type.String({ maxLength: 500 })),
    /** An idempotency key (the patrol page sends one per report, so a resend counts once). */
    key: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' })),
    observedAt: Type.Optional(ObservedAt),
  },
  { additionalProperties: false },
);

export const VisitBody = Type.Object(
  {
    /** What was seen instead of a ribbon: only 'none' (an empty window) so far. */
    seen: Type.Literal('none'),
    note: Type.Optional(Type.String({ maxLength: 500 })),
    /** An idempotency key, as for reports: a resend with the same key counts once. */
    key: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' })),
    observedAt: Type.Optional(ObservedAt),
  },
  { additionalProperties: false },
);

export function toApiCheckIn(policy: CheckInPolicy): Static<typeof CheckIn> {
  return policy.kind === 'interval'
    ? { everySec: policy.everySec, graceSec: policy.graceSec }
    : { deadline: policy.time };
}

export function fromApiCheckIn(checkin: Static<typeof CheckIn>): CheckInPolicy {
  return 'deadline' in checkin
    ? { kind: 'deadline', time: checkin.deadline }
    : { kind: 'interval', everySec: checkin.everySec, graceSec: checkin.graceSec };
}

export const CloseBody = Type.Object(
  {
    reason: Type.Union(CLOSED_REASONS.map((r) => Type.Literal(r))),
    /** The local date it happened (not after today). */
    on: LocalDate,
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

/** `closed=false|true|all` of GET /api/households: the open ones (default), the closed ones, or all. */
export const ClosedQuery = Type.Union([Type.Literal('false'), Type.Literal('true'), Type.Literal('all')]);
export const closedFilter = (q: 'false' | 'true' | 'all' | undefined) =>
  q === 'true' ? ('closed' as const) : q === 'all' ? ('all' as const) : ('open' as const);

/** A household use case's refusal as the API answers it (a 409 names the household: details [{householdId}]). */
export function refusalError(r: Refusal): AppError {
  if (r.kind === 'validation') return new AppError('validation', undefined, [{ path: 'body', message: r.message }]);
  const details = r.householdId === undefined ? undefined : [{ householdId: r.householdId }];
  return new AppError(r.kind, r.message, undefined, undefined, details);
}
