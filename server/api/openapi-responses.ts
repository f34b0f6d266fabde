import { type TSchema, Type } from '@fastify/type-provider-typebox';
import { ERRORS } from '../errors.js';
import { householdOperations } from './openapi-households.js';
import { lifecycleOperations } from './openapi-lifecycle.js';
import { busyToo, ROSTER_FILES } from './openapi-rosters.js';

/**
 * What every operation answers, for the OpenAPI document only (issue 15, point 7). Not the routes'
 * `response` schemas on purpose: fastify serialises an answer THROUGH its response schema and
 * silently drops every field the schema does not name, so a schema written after the fact would
 * change what clients get. Here they only describe: applied by @fastify/swagger's `transform`
 * (api/build-app.ts), keyed "METHOD /path" as the route is registered. A route's own `response`
 * schema, where it has one, wins. test/integration/api/openapi.test.ts checks that every
 * operation has its answer here and that real answers match them (a wrong schema fails it).
 * Objects allow more fields than they name (a client ignores what it does not know).
 */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Iso = Type.String({ description: 'ISO 8601, UTC' });
const Id = Type.Integer({ minimum: 1 });
const page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), next: Nullable(Type.String({ description: 'cursor of the next page' })) });
const Ribbon = Nullable(Type.Union(['red', 'yellow', 'blue'].map((s) => Type.Literal(s))));

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ pattern: '^RIBBON_ERR_[A-Z_]+$' }),
      message: Type.String(),
      fields: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
      details: Type.Optional(Type.Array(Type.Object({}), { description: "a 409's household: [{householdId}]" })),
    }),
  },
  { additionalProperties: false },
);

const Device = Type.Object({
  id: Type.String(),
  householdId: Id,
  online: Type.Boolean(),
  battery: Nullable(Type.Integer()),
  lastSeenAt: Nullable(Iso),
});

const Household = Type.Object({
  id: Id,
  name: Type.String(),
  room: Type.String(),
  building: Type.String(),
  buildingId: Id,
  compound: Type.String(),
  compoundId: Id,
  state: Ribbon,
  stateAt: Nullable(Iso),
  lastCheckInAt: Nullable(Iso),
  awayUntil: Nullable(Type.String()),
  closed: Nullable(Type.Object({ at: Iso, on: Type.String(), reason: Type.String(), note: Type.String() })),
  anonymised: Type.Boolean(),
  checkInDueAt: Nullable(Iso),
  checkin: Nullable(Type.Object({})),
  timezone: Type.String(),
  quietHours: Nullable(Type.Object({ start: Type.String(), end: Type.String() })),
  devices: Type.Array(Device),
  contacts: Type.Optional(
    Type.Array(Type.Object({ name: Type.String(), phone: Type.String(), relation: Type.String() }), {
      description: 'staff and admins only',
    }),
  ),
});

const Alert = Type.Object({
  id: Id,
  kind: Type.Union(['emergency', 'service', 'missed_checkin', 'device'].map((k) => Type.Literal(k))),
  status: Type.Union(['open', 'acknowledged', 'resolved'].map((k) => Type.Literal(k))),
  level: Type.Integer(),
  householdId: Id,
  compoundId: Nullable(Id),
  openedAt: Iso,
  acknowledgedAt: Nullable(Iso),
  acknowledgedBy: Nullable(Type.String()),
  arrivedAt: Nullable(Iso),
  arrivedBy: Nullable(Type.String()),
  resolvedAt: Nullable(Iso),
  resolvedBy: Nullable(Type.String()),
  resolutionNote: Nullable(Type.String()),
  reportCount: Type.Integer(),
  reason: Nullable(Type.String()),
  dueAt: Nullable(Iso),
  reach: Nullable(Type.String()),
  household: Nullable(
    Type.Object({ name: Type.String(), compound: Type.String(), building: Type.String(), room: Type.String() }),
  ),
});

const AlertDetail = Type.Intersect([
  Alert,
  Type.Object({
    transitions: Type.Array(
      Type.Object({
        action: Type.String(),
        by: Nullable(Type.String()),
        note: Nullable(Type.String()),
        level: Type.Integer(),
        at: Iso,
      }),
    ),
    notifications: Type.Array(
      Type.Object({
        event: Type.String(),
        target: Type.String(),
        recipients: Type.Array(
          Type.Object({ name: Type.String(), phone: Nullable(Type.String()), role: Type.String() }),
        ),
        status: Type.String(),
        attempts: Type.Integer(),
        sentAt: Nullable(Iso),
        lastError: Nullable(Type.String()),
        medium: Nullable(Type.Union([Type.Literal('sms'), Type.Literal('call')])),
        callResult: Nullable(Type.Object({ result: Type.String(), detail: Type.String(), at: Iso })),
      }),
    ),
  }),
]);

const Building = Type.Object({ id: Id, compoundId: Id, name: Type.String() });
const Policy = Type.Object({ tier2AfterSec: Type.Integer(), tier3AfterSec: Type.Integer() });
const Compound = Type.Object({
  id: Id,
  name: Type.String(),
  communityId: Nullable(Id),
  policy: Policy,
  buildings: Type.Array(Building),
});
const Person = Type.Object({
  id: Id,
  name: Type.String(),
  phone: Nullable(Type.String()),
  role: Type.String(),
  tier: Type.Integer({ minimum: 1, maximum: 3 }),
  compoundId: Nullable(Id),
  buildingId: Nullable(Id),
  communityId: Nullable(Id),
});
const ScopeEntry = Type.Object({ level: Type.String(), id: Id, readOnly: Type.Boolean() });
const User = Type.Object({
  id: Id,
  username: Type.String(),
  displayName: Type.String(),
  role: Type.Union(['admin', 'staff', 'volunteer'].map((r) => Type.Literal(r))),
  compoundIds: Type.Array(Id),
  readOnlyCompoundIds: Type.Array(Id),
  scope: Type.Array(ScopeEntry),
});
const UserWithState = Type.Intersect([User, Type.Object({ disabled: Type.Boolean() })]);
const Area = Type.Object({
  id: Id,
  level: Type.Union(['district', 'street', 'community'].map((l) => Type.Literal(l))),
  name: Type.String(),
  parentId: Nullable(Id),
});
const Channel = Type.Object({
  id: Id,
  kind: Type.String(),
  name: Type.String(),
  compoundId: Nullable(Id),
  medium: Type.String(),
  config: Type.Object({}, { description: 'secrets shown as "set"' }),
});
const Token = Type.Object({
  id: Id,
  userId: Id,
  name: Type.String(),
  createdAt: Iso,
  revokedAt: Nullable(Iso),
  lastUsedAt: Nullable(Iso),
});
const AuditEntry = Type.Object({
  id: Id,
  at: Iso,
  userId: Nullable(Id),
  username: Nullable(Type.String()),
  method: Type.String(),
  route: Type.String(),
  record: Nullable(Type.String()),
  status: Type.Integer(),
  address: Nullable(Type.String()),
});
const DutyPerson = Type.Object({ id: Id, name: Type.String(), tier: Type.Integer() });
const DutyTier = Type.Object({
  tier: Type.Integer({ minimum: 1, maximum: 3 }),
  roster: Type.Boolean(),
  source: Nullable(Type.String()),
  onDuty: Type.Array(DutyPerson),
  next: Nullable(Type.Object({ at: Type.Integer(), people: Type.Array(DutyPerson) })),
});
const Shift = Type.Object({
  id: Id,
  tier: Type.Integer(),
  days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 })),
  start: Type.String(),
  end: Type.String(),
  personIds: Type.Array(Id),
});
const Override = Type.Object({
  id: Id,
  tier: Type.Integer(),
  personId: Id,
  replacementId: Nullable(Id),
  from: Type.Integer(),
  to: Type.Integer(),
  note: Type.String(),
});
const rosterOf = (owner: Record<string, TSchema>) =>
  Type.Object({
    ...owner,
    timeZone: Type.String(),
    now: Type.Integer({ description: 'epoch ms' }),
    tiers: Type.Array(DutyTier),
    shifts: Type.Array(Shift),
    overrides: Type.Array(Override),
    people: Type.Array(DutyPerson),
  });
const Share = Type.Object({ count: Type.Integer(), of: Type.Integer(), pct: Nullable(Type.Number()) });
const PlaceFigures = Type.Object({
  level: Type.String(),
  id: Id,
  name: Type.String(),
  compounds: Type.Integer(),
  figures: Type.Object({
    households: Type.Integer(),
    coverage: Share,
    heard: Share,
    devices: Type.Integer(),
    devicesOffline: Type.Integer(),
    openAlerts: Type.Object({}),
    missedCheckins: Type.Integer(),
    emergency: Type.Object({ opened: Type.Integer(), ackWithin60s: Share, ackWithin180s: Share }),
  }),
});
const Csv = { description: 'CSV, UTF-8 with a BOM', content: { 'text/csv': { schema: Type.String() } } };
const NoContent = { description: 'done, nothing to say', type: 'null' };
const CallResultAck = Type.Union([
  Type.Object({ code: Type.Integer(), msg: Type.String() }),
  Type.Object({ result: Type.Integer(), errmsg: Type.String() }),
]);

/** Each operation's answers when it succeeds, by "METHOD /path" (the path as registered). */
export const SUCCESS: Readonly<Record<string, Record<number, unknown>>> = {
  'POST /api/session': { 200: Type.Object({ user: User, csrfToken: Type.String() }) },
  'GET /api/session': { 200: Type.Object({ user: User, csrfToken: Nullable(Type.String()) }) },
  'DELETE /api/session': { 204: NoContent },
  'POST /api/tokens': { 201: Type.Object({ id: Id, token: Type.String({ description: 'shown only here' }) }) },
  'GET /api/tokens': { 200: page(Token) },
  'DELETE /api/tokens/:id': { 204: NoContent },
  'GET /api/audit': { 200: page(AuditEntry) },
  'GET /api/households': { 200: page(Household) },
  'POST /api/households': { 201: Household },
  'GET /api/households/:id': { 200: Household },
  'PATCH /api/households/:id': { 200: Household },
  'GET /api/households/:id/events': {
    200: page(
      Type.Object({
        id: Id,
        state: Type.String(),
        source: Type.String(),
        seq: Nullable(Type.Integer()),
        deviceId: Nullable(Type.String()),
        reportedBy: Nullable(Type.String()),
        note: Nullable(Type.String()),
        receivedAt: Iso,
        observedAt: Iso,
        deviceAt: Nullable(Type.Integer()),
      }),
    ),
  },
  'POST /api/households/:id/reports': {
    201: Type.Object({ eventId: Id, duplicate: Type.Literal(false) }),
    200: Type.Object({ eventId: Id, duplicate: Type.Literal(true) }, { description: 'sent again: counted once' }),
  },
  'POST /api/households/:id/visits': {
    201: Type.Object({ visitId: Id, duplicate: Type.Literal(false) }),
    200: Type.Object({ visitId: Id, duplicate: Type.Literal(true) }, { description: 'sent again: counted once' }),
  },
  'GET /api/households/:id/visits': {
    200: page(
      Type.Object({
        id: Id,
        seen: Type.String(),
        by: Type.String(),
        note: Nullable(Type.String()),
        at: Iso,
        receivedAt: Iso,
      }),
    ),
  },
  'GET /api/alerts': { 200: page(Alert) },
  'GET /api/alerts/:id': { 200: AlertDetail },
  'POST /api/alerts/:id/ack': { 200: Alert },
  'POST /api/alerts/:id/claim': { 200: Alert },
  'POST /api/alerts/:id/arrived': { 200: Alert },
  'POST /api/alerts/:id/resolve': { 200: Alert },
  'GET /api/compounds': { 200: page(Compound) },
  'POST /api/compounds': { 201: Type.Object({ id: Id, name: Type.String(), communityId: Nullable(Id) }) },
  'PATCH /api/compounds/:id': {
    200: Type.Object({ id: Id, name: Type.String(), communityId: Nullable(Id), policy: Policy }),
  },
  'GET /api/buildings': { 200: page(Building) },
  'PATCH /api/buildings/:id': { 200: Building },
  ...householdOperations({ Household, Device, Id, Iso, page }),
  ...lifecycleOperations({ Household }),
  'DELETE /api/devices/:id': { 204: NoContent },
  'GET /api/people': { 200: page(Person) },
  'POST /api/people': { 201: Person },
  'PATCH /api/people/:id': { 200: Person },
  'DELETE /api/people/:id': { 204: NoContent },
  'GET /api/users': { 200: page(UserWithState) },
  'POST /api/users': { 201: User },
  'PATCH /api/users/:id': { 200: UserWithState },
  'GET /api/places': {
    200: Type.Object({
      areas: Type.Array(Area),
      compounds: Type.Array(
        Type.Object({ id: Id, name: Type.String(), communityId: Nullable(Id), editable: Type.Boolean() }),
      ),
    }),
  },
  'POST /api/places': { 201: Area },
  'PATCH /api/places/:id': { 200: Area },
  'POST /api/import/households': {},
  'POST /api/import/people': {},
  ...ROSTER_FILES,
  'GET /api/channels': { 200: page(Channel) },
  'POST /api/channels': {
    201: Type.Intersect([
      Channel,
      Type.Object({ callbackUrl: Type.Optional(Type.String({ description: 'voice channels: shown only here' })) }),
    ]),
  },
  'DELETE /api/channels/:id': { 204: NoContent },
  'POST /hooks/voice/:channelId/:key': { 200: CallResultAck, 400: CallResultAck },
  'GET /api/compounds/:id/duty': {
    200: rosterOf({ compoundId: Id, compound: Type.String(), communityId: Nullable(Id) }),
  },
  'PUT /api/compounds/:id/duty': {
    200: rosterOf({ compoundId: Id, compound: Type.String(), communityId: Nullable(Id) }),
  },
  'POST /api/compounds/:id/duty/overrides': { 201: Override },
  'DELETE /api/duty/overrides/:id': { 204: NoContent },
  'GET /api/communities/:id/duty': {
    200: rosterOf({
      communityId: Id,
      community: Type.String(),
      compounds: Type.Array(Type.Object({ id: Id, name: Type.String(), ownTiers: Type.Array(Type.Integer()) })),
    }),
  },
  'PUT /api/communities/:id/duty': {
    200: rosterOf({
      communityId: Id,
      community: Type.String(),
      compounds: Type.Array(Type.Object({ id: Id, name: Type.String(), ownTiers: Type.Array(Type.Integer()) })),
    }),
  },
  'POST /api/communities/:id/duty/overrides': { 201: Override },
  'DELETE /api/communities/:id/duty/overrides/:overrideId': { 204: NoContent },
  'GET /api/reports/daily': {
    200: Type.Object({
      items: Type.Array(Type.Object({ compoundId: Id, day: Type.String(), createdAt: Iso, figures: Type.Object({}) })),
      places: Type.Array(Type.Object({})),
      next: Type.Null(),
    }),
  },
  'GET /api/figures': {
    200: Type.Object({
      items: Type.Array(
        Type.Object({
          compoundId: Id,
          compound: Type.String(),
          from: Type.String(),
          to: Type.String(),
          timezone: Type.String(),
          ackHistogram: Type.Array(Type.Object({})),
          days: Type.Array(Type.Object({ day: Type.String() })),
        }),
      ),
      next: Type.Null(),
    }),
  },
  'GET /api/figures/places': {
    200: Type.Object({
      day: Type.String(),
      timezone: Type.String(),
      computedAt: Iso,
      place: PlaceFigures,
      path: Type.Array(Type.Object({ level: Type.String(), id: Id, name: Type.String() })),
      children: Type.Array(PlaceFigures),
    }),
  },
  'GET /api/figures/places.csv': { 200: Csv },
};

/** An error answer: its shape, and the catalogue's codes of that status (protocol/errors.ts). */
function error(status: number, note = ''): unknown {
  const codes = Object.values(ERRORS)
    .filter((e) => e.status === status)
    .map((e) => e.code);
  return { description: `${codes.join(', ')}${note}`, ...ErrorSchema };
}

/** The errors an operation may answer (docs/api.md, "Errors"), by what it is. */
export function errorResponses(method: string, url: string): Record<number, unknown> {
  const out: Record<number, unknown> = { 400: error(400, ' (fields name what)'), 500: error(500) };
  if (url.startsWith('/api/')) {
    out[401] = error(401);
    out[403] = error(403);
  }
  if (url.includes('/:')) out[404] = error(404, ' (or not yours to see)');
  if (method !== 'GET') {
    out[409] = error(409);
    out[413] = error(413);
  }
  if (method === 'POST' && url === '/api/session') out[429] = error(429, ' (retry-after)');
  if ((method === 'POST' && (url === '/api/session' || url.startsWith('/api/import/'))) || busyToo(method, url))
    out[503] = error(503, ' (retry-after)');
  return out;
}

/** @fastify/swagger's `transform`: each operation's answers added to what the route says itself. */
export function describeResponses({
  schema,
  url,
  route,
}: {
  schema: unknown;
  url: string;
  route: { method: unknown };
}) {
  const own = (schema ?? {}) as Record<string, unknown>;
  if (own.hide === true) return { schema: own, url };
  const method = (Array.isArray(route.method) ? route.method[0] : route.method) as string;
  const documented = SUCCESS[`${method} ${url}`] ?? {};
  const response = {
    ...errorResponses(method, url),
    ...documented,
    ...(own.response as Record<number, unknown> | undefined),
  };
  return { schema: { ...own, response }, url };
}
