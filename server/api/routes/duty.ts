import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  addCommunityDutyOverride,
  addDutyOverride,
  communityDutyNow,
  dutyNow,
  eligibleForCommunity,
  setCommunityDutyShifts,
  setDutyShifts,
  type DutyProblem,
  type TierDuty,
} from '../../app/duty.js';
import { mayBeOnRoster } from '../../domain/duty.js';
import { AppError } from '../../errors.js';
import type { Person, Stores, User } from '../../app/ports.js';
import { DEFAULT_TIME_ZONE } from '../../../protocol/ribbon.js';
import { assertEdits, assertEditsCommunity, requireRole, seesCommunity, seesCompound, userOf } from '../auth.js';
import { IdParams } from '../paging.js';

const TierField = Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)]);
const PersonId = Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 });
const Shift = Type.Object(
  {
    tier: TierField,
    days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7 }),
    start: Type.String({ maxLength: 5, description: 'local HH:MM' }),
    end: Type.String({ maxLength: 5, description: 'local HH:MM; at or before start: the next day' }),
    personIds: Type.Array(PersonId, { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);

const ShiftsBody = Type.Object(
  {
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    shifts: Type.Array(Shift, { maxItems: 100 }),
  },
  { additionalProperties: false },
);
const OverrideBody = Type.Object(
  {
    tier: TierField,
    personId: PersonId,
    replacementId: Type.Union([PersonId, Type.Null()]),
    from: Type.String({
      maxLength: 40,
      description: 'ISO 8601 with a zone, or local YYYY-MM-DDTHH:MM in the roster’s zone',
    }),
    to: Type.String({ maxLength: 40 }),
    note: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
const OverrideParams = Type.Object(
  {
    id: Type.String({ pattern: '^[1-9][0-9]{0,14}$' }),
    overrideId: Type.String({ pattern: '^[1-9][0-9]{0,14}$' }),
  },
  { additionalProperties: false },
);

const fieldsOf = (problems: readonly DutyProblem[]) =>
  new AppError(
    'validation',
    undefined,
    problems.map((p) => ({ path: `body.${p.path}`, message: p.message })),
  );

/**
 * Duty rosters (值班表): a compound's weekly shifts per tier and its overrides (swaps, leave),
 * and who is on duty now and next. Everyone of the compound reads; its staff and admins edit.
 * The rules are app/duty.ts and domain/duty.ts.
 */
export const dutyRoutes: FastifyPluginAsyncTypebox<{ stores: Stores; now: () => number }> = async (
  app,
  { stores, now },
) => {
  const compoundIn = (user: User, id: number, edit = false) => {
    const compound = stores.places.getCompound(id);
    if (compound === null || !seesCompound(user, id)) throw new AppError('notFound', `compound ${id} not found`);
    if (edit) assertEdits(user, id);
    return compound;
  };

  const personJson = (p: Person) => ({ id: p.id, name: p.name, phone: p.phone, role: p.role, tier: p.tier });

  const tiersJson = (tiers: readonly TierDuty[], people: readonly Person[]) => {
    const byId = new Map(people.map((p) => [p.id, p]));
    const who = (ids: readonly number[]) =>
      ids.flatMap((id) => (byId.has(id) ? [personJson(byId.get(id) as Person)] : []));
    return tiers.map((t) => ({
      tier: t.tier,
      roster: t.roster,
      source: t.source,
      onDuty: who(t.onDuty),
      next: t.next === null ? null : { at: t.next.at, people: who(t.next.personIds) },
    }));
  };

  /** The roster as the dashboard shows it: who is on now and next per tier, the week, the overrides. */
  function view(compoundId: number, name: string) {
    const at = now();
    const roster = stores.duty.roster(compoundId, at);
    const people = stores.people.list();
    return {
      compoundId,
      compound: name,
      // A tier with no shifts here is served by this community's roster, if it has one (source 'community').
      communityId: stores.areas.compoundCommunities().get(compoundId) ?? null,
      timeZone: roster.timeZone ?? DEFAULT_TIME_ZONE,
      now: at,
      tiers: tiersJson(dutyNow(stores, roster, at), people),
      shifts: roster.shifts,
      overrides: roster.overrides,
      // Whom the roster may name, and whom it names (by id): a retired person shows as absent here.
      people: people
        .filter((p) => [1, 2, 3].some((tier) => mayBeOnRoster(p, compoundId, tier as 1 | 2 | 3)))
        .map(personJson),
    };
  }

  app.get(
    '/compounds/:id/duty',
    {
      schema: {
        tags: ['duty'],
        summary:
          "A compound's duty roster (值班表): who is on duty now and next per tier, the weekly shifts, the overrides",
        params: IdParams,
      },
    },
    async (request) => {
      const compound = compoundIn(userOf(request), Number(request.params.id));
      return view(compound.id, compound.name);
    },
  );

  app.put(
    '/compounds/:id/duty',
    {
      schema: {
        tags: ['duty'],
        summary:
          "Replace a compound's weekly shifts, every tier (staff of it, admin); a tier without shifts has no roster",
        params: IdParams,
        body: ShiftsBody,
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin', 'staff');
      const compound = compoundIn(user, Number(request.params.id), true);
      const b = request.body;
      const set = setDutyShifts(
        stores,
        compound.id,
        {
          timeZone: b.timeZone,
          shifts: b.shifts.map((s) => ({ ...s, days: s.days as Array<1 | 2 | 3 | 4 | 5 | 6 | 7> })),
        },
        now(),
      );
      if (!set.ok) throw fieldsOf(set.problems);
      request.auditRecord = `compound:${compound.id}:duty`;
      return view(compound.id, compound.name);
    },
  );

  app.post(
    '/compounds/:id/duty/overrides',
    {
      schema: {
        tags: ['duty'],
        summary: 'Add a swap (replacementId) or leave (replacementId null) to a compound’s roster (staff of it, admin)',
        params: IdParams,
        body: OverrideBody,
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'staff');
      const compound = compoundIn(user, Number(request.params.id), true);
      const added = addDutyOverride(stores, compound.id, { ...request.body, by: user.username }, now());
      if (!added.ok) throw fieldsOf(added.problems);
      request.auditRecord = `duty-override:${added.override.id}`;
      return reply.code(201).send(added.override);
    },
  );

  app.delete(
    '/duty/overrides/:id',
    { schema: { tags: ['duty'], summary: 'Remove a swap or leave (staff of its compound, admin)', params: IdParams } },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'staff');
      const override = stores.duty.getOverride(Number(request.params.id));
      if (override === null || !seesCompound(user, override.compoundId)) throw new AppError('notFound');
      assertEdits(user, override.compoundId);
      stores.duty.removeOverride(override.id);
      request.auditRecord = `duty-override:${override.id}`;
      return reply.code(204).send();
    },
  );
  /** A community and its compounds, if the user sees all of them (404 otherwise); edit: and may change each (403 readOnly). */
  const communityIn = (user: User, id: number, edit = false) => {
    const community = stores.areas.get(id);
    const compoundIds = community?.level === 'community' ? stores.areas.compoundsUnder(id) : [];
    if (community === null || community.level !== 'community' || !seesCommunity(user, compoundIds))
      throw new AppError('notFound', `community ${id} not found`);
    if (edit) assertEditsCommunity(user, compoundIds);
    return { community, compoundIds };
  };

  function communityView(communityId: number, name: string, compoundIds: readonly number[]) {
    const at = now();
    const roster = stores.duty.communityRoster(communityId, at);
    const people = stores.people.list();
    const eligible = eligibleForCommunity(stores, communityId);
    return {
      communityId,
      community: name,
      timeZone: roster.timeZone ?? DEFAULT_TIME_ZONE,
      now: at,
      tiers: tiersJson(communityDutyNow(stores, roster, at), people),
      shifts: roster.shifts,
      overrides: roster.overrides,
      // The compounds it serves, and the tiers each has a roster of its own for (those win there).
      compounds: compoundIds.map((id) => ({
        id,
        name: stores.places.getCompound(id)?.name ?? '',
        ownTiers: [...new Set(stores.duty.roster(id, at).shifts.map((s) => s.tier))].sort(),
      })),
      people: people.filter(eligible).map(personJson),
    };
  }

  app.get(
    '/communities/:id/duty',
    {
      schema: {
        tags: ['duty'],
        summary:
          "A community's duty roster (值班表): for each tier it has shifts, the roster of its compounds without one of their own",
        params: IdParams,
      },
    },
    async (request) => {
      const { community, compoundIds } = communityIn(userOf(request), Number(request.params.id));
      return communityView(community.id, community.name, compoundIds);
    },
  );

  app.put(
    '/communities/:id/duty',
    {
      schema: {
        tags: ['duty'],
        summary: "Replace a community's weekly shifts, every tier (admin, staff who may change every compound of it)",
        params: IdParams,
        body: ShiftsBody,
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin', 'staff');
      const { community, compoundIds } = communityIn(user, Number(request.params.id), true);
      const b = request.body;
      const set = setCommunityDutyShifts(
        stores,
        community.id,
        {
          timeZone: b.timeZone,
          shifts: b.shifts.map((s) => ({ ...s, days: s.days as Array<1 | 2 | 3 | 4 | 5 | 6 | 7> })),
        },
        now(),
      );
      if (!set.ok) throw fieldsOf(set.problems);
      request.auditRecord = `community:${community.id}:duty`;
      return communityView(community.id, community.name, compoundIds);
    },
  );

  app.post(
    '/communities/:id/duty/overrides',
    {
      schema: {
        tags: ['duty'],
        summary: 'Add a swap or leave to a community’s roster (admin, staff who may change every compound of it)',
        params: IdParams,
        body: OverrideBody,
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'staff');
      const { community } = communityIn(user, Number(request.params.id), true);
      const added = addCommunityDutyOverride(stores, community.id, { ...request.body, by: user.username }, now());
      if (!added.ok) throw fieldsOf(added.problems);
      request.auditRecord = `community-duty-override:${added.override.id}`;
      return reply.code(201).send(added.override);
    },
  );

  app.delete(
    '/communities/:id/duty/overrides/:overrideId',
    {
      schema: {
        tags: ['duty'],
        summary: 'Remove a swap or leave from a community’s roster (admin, staff who may change every compound of it)',
        params: OverrideParams,
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'staff');
      const { community } = communityIn(user, Number(request.params.id), true);
      const override = stores.duty.getCommunityOverride(Number(request.params.overrideId));
      if (override === null || override.communityId !== community.id) throw new AppError('notFound');
      stores.duty.removeCommunityOverride(override.id);
      request.auditRecord = `community-duty-override:${override.id}`;
      return reply.code(204).send();
    },
  );
};
