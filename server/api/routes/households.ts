import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import { scheduleOf } from '../../app/check-ins.js';
import { AddressTaken, assertAddressFree, moveHousehold } from '../../app/households.js';
import { addHousehold } from '../../app/provision.js';
import type { Announcer } from '../../app/announce.js';
import type { PersonReport, PersonReportResult } from '../../app/record-messages.js';
import { setCheckInSchedule } from '../../app/set-check-in-schedule.js';
import { AppError } from '../../errors.js';
import type { Household, Stores, User } from '../../app/ports.js';
import { assertEdits, requireRole, seesCompound, userOf } from '../auth.js';
import { observedAtOf } from '../observed-at.js';
import { IdParams, keysetPage, PageQuery } from '../paging.js';
import { deviceView, householdView, iso } from '../views.js';
import {
  type CheckIn,
  ClosedQuery,
  closedFilter,
  contactsToStore,
  fromApiCheckIn,
  HouseholdPatch,
  NewHousehold,
  type QuietHours,
  ReportBody,
  toApiCheckIn,
  refusalError,
  VisitBody,
} from './household-schemas.js';

export type HouseholdDeps = {
  stores: Stores;
  now: () => number;
  /** A person's report through the same path as a press, committed and announced. */
  recordPersonReport: (report: PersonReport) => Promise<PersonReportResult>;
  /** Runs a change in one transaction; what it announces goes to the live hub after the commit (app/announce.ts). */
  commit: Announcer['commit'];
};

/** A household as GET /api/households/:id shows it: its schedule, devices and (staff, admins) contacts. */
export function householdDetail(stores: Stores, h: Household, user: User) {
  const stored = stores.places.schedule(h.id);
  const schedule = stored ? scheduleOf(stored) : null;
  const devices = stores.devices.forHousehold(h.id);
  return {
    ...householdView(h),
    checkInDueAt: iso(stored?.checkInDueAt ?? null),
    checkin: schedule ? toApiCheckIn(schedule.policy) : null,
    timezone: h.timezone,
    quietHours: schedule?.quietHours ?? null,
    devices: devices.map(deviceView),
    // Family phone numbers are personal data: staff and admins only.
    ...(user.role !== 'volunteer'
      ? {
          contacts: stores.people.contacts(h.id).map((c) => ({ name: c.name, phone: c.phone, relation: c.relation })),
        }
      : {}),
  };
}

/** 409 naming the household at the address (details: [{householdId}]), as a client matches it. */
function takenError(err: AddressTaken): AppError {
  return refusalError({ ok: false, kind: 'conflict', message: err.message, householdId: err.household.id });
}

export const householdRoutes: FastifyPluginAsyncTypebox<HouseholdDeps> = async (app, deps) => {
  const { stores, now } = deps;

  const view = (h: Household, user: User) => householdDetail(stores, h, user);

  /** The household if this user may see it; 404 otherwise (existence does not leak). `edit`: 403 when only read-only. */
  function visible(id: string, user: User, edit = false): Household {
    const h = stores.places.getHousehold(Number(id));
    if (h === null || !seesCompound(user, h.compoundId)) throw new AppError('notFound', `household ${id} not found`);
    if (edit) assertEdits(user, h.compoundId);
    return h;
  }

  function applySchedule(
    householdId: number,
    patch: {
      checkin?: Static<typeof CheckIn>;
      quietHours?: Static<typeof QuietHours>;
      awayUntil?: string | null;
      timezone?: string;
    },
  ): void {
    const set = setCheckInSchedule(stores, householdId, {
      policy: patch.checkin !== undefined ? fromApiCheckIn(patch.checkin) : undefined,
      timeZone: patch.timezone,
      quietHours: patch.quietHours,
      awayUntil: patch.awayUntil,
    });
    if (set.ok) return;
    if (set.kind === 'notFound') throw new AppError('notFound');
    throw new AppError('validation', undefined, [{ path: 'body', message: set.reason }]);
  }

  app.get(
    '/households',
    {
      schema: {
        tags: ['households'],
        summary:
          'Households you may see, by id; filter by compound, building, current ribbon, closed (default: open ones) and a name or room (q)',
        querystring: Type.Object(
          {
            compoundId: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,14}$' })),
            buildingId: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,14}$' })),
            state: Type.Optional(Type.Union([Type.Literal('red'), Type.Literal('yellow'), Type.Literal('blue')])),
            closed: Type.Optional(ClosedQuery),
            q: Type.Optional(Type.String({ maxLength: 100 })),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const user = userOf(request);
      const filter = {
        ...(request.query.compoundId ? { compoundId: Number(request.query.compoundId) } : {}),
        ...(request.query.buildingId ? { buildingId: Number(request.query.buildingId) } : {}),
        ...(request.query.state ? { state: request.query.state } : {}),
        closed: closedFilter(request.query.closed),
        ...(request.query.q?.trim() ? { q: request.query.q.trim() } : {}),
      };
      const { rows, next } = keysetPage(
        request.query,
        ['id'],
        (cursor, n) =>
          stores.places.pageHouseholds(cursor?.id ?? 0, n, user.role === 'admin' ? null : user.compoundIds, filter),
        (h) => ({ id: h.id }),
      );
      return { items: rows.map((h) => view(h, user)), next };
    },
  );

  app.post(
    '/households',
    { schema: { tags: ['households'], summary: 'Register a household (staff, admin)', body: NewHousehold } },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'staff');
      const body = request.body;
      const compound = stores.places.listCompounds().find((c) => c.name === body.compound.trim());
      // Staff work in their compounds; only an admin opens a new one.
      if (user.role !== 'admin' && (compound === undefined || !seesCompound(user, compound.id))) {
        throw new AppError('forbidden', `you do not look after a compound named ${JSON.stringify(body.compound)}`);
      }
      if (compound !== undefined) assertEdits(user, compound.id);
      const contacts = contactsToStore(body.contacts ?? []);
      const id = deps.commit((announce) => {
        let householdId: number;
        try {
          householdId = addHousehold(
            stores,
            {
              compound: body.compound,
              building: body.building,
              room: body.room,
              name: body.name,
              ...(body.timezone ? { timezone: body.timezone } : {}),
            },
            now(),
          );
        } catch (err) {
          if (err instanceof AddressTaken) throw takenError(err);
          if (err instanceof RangeError)
            throw new AppError('validation', undefined, [{ path: 'body', message: err.message }]);
          throw err;
        }
        if (body.checkin !== undefined || body.quietHours !== undefined || body.awayUntil !== undefined)
          applySchedule(householdId, body);
        for (const c of contacts) stores.people.addContact({ householdId, ...c }, now());
        announce({ type: 'household', householdId, at: now() });
        return householdId;
      });
      request.auditRecord = `household:${id}`;
      return reply.code(201).send(view(stores.places.getHousehold(id) as Household, user));
    },
  );

  app.get(
    '/households/:id',
    { schema: { tags: ['households'], summary: 'One household', params: IdParams } },
    async (request) => {
      const user = userOf(request);
      return view(visible(request.params.id, user), user);
    },
  );

  app.patch(
    '/households/:id',
    {
      schema: {
        tags: ['households'],
        summary: 'Change a household (staff, admin)',
        params: IdParams,
        body: HouseholdPatch,
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin', 'staff');
      const h = visible(request.params.id, user, true);
      const body = request.body;
      // The list replaces the stored one, so every number in it is checked, also one kept from before the rule.
      const contacts = body.contacts === undefined ? undefined : contactsToStore(body.contacts);
      deps.commit((announce) => {
        if (body.building !== undefined) {
          const moved = moveHousehold(stores, h.id, body.building, now());
          if (!moved.ok) throw refusalError(moved);
        }
        if (body.name !== undefined || body.room !== undefined) {
          const at = stores.places.getHousehold(h.id) as Household;
          const name = (body.name ?? h.name).trim();
          const room = (body.room ?? h.room).trim();
          try {
            // The address rule: a room (or, without one, a name) another open household has is refused.
            if (at.closed === null) assertAddressFree(stores, { ...at, name, room }, h.id);
          } catch (err) {
            if (err instanceof AddressTaken) throw takenError(err);
            throw err;
          }
          stores.places.renameHousehold(h.id, name, room);
        }
        if (
          body.checkin !== undefined ||
          body.quietHours !== undefined ||
          body.awayUntil !== undefined ||
          body.timezone !== undefined
        )
          applySchedule(h.id, body);
        if (contacts !== undefined) stores.people.setContacts(h.id, contacts, now());
        announce({ type: 'household', householdId: h.id, at: now() });
      });
      request.auditRecord = `household:${h.id}`;
      return view(stores.places.getHousehold(h.id) as Household, user);
    },
  );

  app.get(
    '/households/:id/events',
    {
      schema: {
        tags: ['households'],
        summary: 'Its events, newest first',
        params: IdParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
      },
    },
    async (request) => {
      const h = visible(request.params.id, userOf(request));
      const { rows, next } = keysetPage(
        request.query,
        ['receivedAt', 'id'],
        (cursor, n) => stores.events.pageForHousehold(h.id, cursor, n),
        (e) => ({ receivedAt: e.receivedAt, id: e.id }),
      );
      return {
        items: rows.map((e) => ({
          id: e.id,
          state: e.state,
          source: e.source,
          seq: e.seq,
          deviceId: e.deviceId,
          reportedBy: e.reportedBy,
          note: e.note,
          receivedAt: new Date(e.receivedAt).toISOString(),
          // When the ribbon was seen: a patrol report sent from an offline queue, earlier than receivedAt.
          observedAt: new Date(e.observedAt).toISOString(),
          deviceAt: e.deviceAt,
        })),
        next,
      };
    },
  );

  app.post(
    '/households/:id/reports',
    {
      schema: {
        tags: ['households'],
        summary: 'Record the ribbon a person saw (counts as a check-in; red opens an emergency)',
        params: IdParams,
        body: ReportBody,
      },
    },
    async (request, reply) => {
      const user = userOf(request);
      const h = visible(request.params.id, user, true);
      // A closed household has no ribbon to report: its check-ins have stopped.
      if (h.closed !== null) throw new AppError('conflict', `住户 #${h.id} 已注销 / household #${h.id} is closed`);
      const observedAt = observedAtOf(request.body.observedAt, now());
      const result = await deps.recordPersonReport({
        householdId: h.id,
        state: request.body.state,
        note: request.body.note?.trim() || null,
        by: user.displayName || user.username,
        idempotencyKey: request.body.key ?? null,
        ...(observedAt !== undefined ? { observedAt } : {}),
      });
      request.auditRecord = `household:${h.id}/event:${result.eventId}`;
      return reply.code(result.duplicate ? 200 : 201).send({ eventId: result.eventId, duplicate: result.duplicate });
    },
  );

  app.post(
    '/households/:id/visits',
    {
      schema: {
        tags: ['households'],
        summary: 'Record a visit on patrol where no ribbon was seen (an observation: no check-in, no alert)',
        params: IdParams,
        body: VisitBody,
      },
    },
    async (request, reply) => {
      const user = userOf(request);
      const h = visible(request.params.id, user, true);
      const t = now();
      // The visit happened when the volunteer looked; a phone's clock a little ahead counts as now.
      const at = Math.min(observedAtOf(request.body.observedAt, t) ?? t, t);
      const result = stores.transaction(() =>
        stores.visits.record({
          householdId: h.id,
          seen: request.body.seen,
          by: user.displayName || user.username,
          note: request.body.note?.trim() || null,
          at,
          receivedAt: t,
          idempotencyKey: request.body.key ?? null,
        }),
      );
      request.auditRecord = `household:${h.id}/visit:${result.visitId}`;
      return reply.code(result.duplicate ? 200 : 201).send({ visitId: result.visitId, duplicate: result.duplicate });
    },
  );

  app.get(
    '/households/:id/visits',
    {
      schema: {
        tags: ['households'],
        summary: 'Its patrol visits without a ribbon, newest first',
        params: IdParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
      },
    },
    async (request) => {
      const h = visible(request.params.id, userOf(request));
      const { rows, next } = keysetPage(
        request.query,
        ['at', 'id'],
        (cursor, n) => stores.visits.pageForHousehold(h.id, cursor, n),
        (v) => ({ at: v.at, id: v.id }),
      );
      return {
        items: rows.map((v) => ({
          id: v.id,
          seen: v.seen,
          by: v.by,
          note: v.note,
          at: new Date(v.at).toISOString(),
          receivedAt: new Date(v.receivedAt).toISOString(),
        })),
        next,
      };
    },
  );
};
