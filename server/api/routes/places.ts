import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import {
  changeCompound,
  changePlace,
  checkScope,
  createPlace,
  type PlaceProblem,
  placeTree,
  renameBuilding,
} from '../../app/places.js';
import type { Stores } from '../../app/ports.js';
import { checkPolicy, DEFAULT_POLICY } from '../../domain/policy.js';
import type { ScopeEntry } from '../../domain/places.js';
import { AppError } from '../../errors.js';
import { assertEdits, requireRole, seesCompound, userOf } from '../auth.js';
import { IdParams } from '../paging.js';
import { ScopeLevelSchema } from './session.js';

const Name = Type.String({ minLength: 1, maxLength: 100 });
const AreaId = Type.Integer({ minimum: 1 });

/** A user's scope as the API takes it (PATCH/POST /api/users): places at any level, read-only per entry. */
export const ScopeBody = Type.Array(
  Type.Object(
    { level: ScopeLevelSchema, id: Type.Integer({ minimum: 1 }), readOnly: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
  { maxItems: 200 },
);

/** A problem of app/places.ts as the API's error: 400 with the field, 404, or 409 with the message. */
export function placeError(problem: PlaceProblem): AppError {
  if (problem.kind === 'validation')
    return new AppError('validation', undefined, [{ path: `body.${problem.field}`, message: problem.message }]);
  return new AppError(problem.kind, problem.message);
}

/** The scope of a users request checked; `compoundIds` given beside it is refused (one or the other). */
export function scopeOf(
  stores: Stores,
  body: Static<typeof ScopeBody>,
  compoundIds: readonly number[] | undefined,
): ScopeEntry[] {
  if (compoundIds !== undefined && compoundIds.length > 0)
    throw new AppError('validation', undefined, [
      { path: 'body.scope', message: 'give scope or compoundIds, not both (a compound is a scope entry too)' },
    ]);
  const checked = checkScope(
    stores,
    body.map((e) => ({ level: e.level, id: e.id, readOnly: e.readOnly ?? false })),
  );
  if (!checked.ok) throw placeError(checked.problem);
  return checked.value;
}

/**
 * Places above the compound (district › street › community, docs/api.md "Places and scopes"),
 * a compound's name, community and policy, a building's name. The admin arranges the places; a
 * compound's staff rename it and set its policy. Moving a place or a compound changes which
 * compounds a scope covers: every user's live sockets are rechecked.
 */
export const placeRoutes: FastifyPluginAsyncTypebox<{
  stores: Stores;
  now: () => number;
  userChanged?: (userId: number) => void;
}> = async (app, { stores, now, userChanged }) => {
  /** A place moved: anyone's compounds may have changed (admins see all anyway). */
  const everyoneChanged = () => {
    for (const u of stores.users.list()) if (u.role !== 'admin') userChanged?.(u.id);
  };

  app.get(
    '/places',
    {
      schema: {
        tags: ['places'],
        summary:
          'The places you may see: the district, streets and communities above your compounds (and in your scope), and the compounds with their community',
      },
    },
    async (request) => placeTree(stores, userOf(request)),
  );

  app.post(
    '/places',
    {
      schema: {
        tags: ['places'],
        summary: 'Add a street (under the district) or a community (under a street) (admin)',
        body: Type.Object(
          {
            level: Type.Union([Type.Literal('street'), Type.Literal('community')]),
            name: Name,
            parentId: Type.Optional(AreaId),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      requireRole(request, 'admin');
      const b = request.body;
      const made = createPlace(stores, { level: b.level, name: b.name, parentId: b.parentId ?? null }, now());
      if (!made.ok) throw placeError(made.problem);
      request.auditRecord = `place:${made.value.id}`;
      return reply.code(201).send(made.value);
    },
  );

  app.patch(
    '/places/:id',
    {
      schema: {
        tags: ['places'],
        summary: 'Rename a place, or move it under another parent of the right level (admin)',
        params: IdParams,
        body: Type.Object(
          { name: Type.Optional(Name), parentId: Type.Optional(AreaId) },
          { additionalProperties: false, minProperties: 1 },
        ),
      },
    },
    async (request) => {
      requireRole(request, 'admin');
      const changed = changePlace(stores, Number(request.params.id), request.body);
      if (!changed.ok) throw placeError(changed.problem);
      request.auditRecord = `place:${changed.value.area.id}${changed.value.moved ? `:moved to ${changed.value.area.parentId}` : ''}`;
      if (changed.value.moved) everyoneChanged();
      return changed.value.area;
    },
  );

  app.patch(
    '/compounds/:id',
    {
      schema: {
        tags: ['community'],
        summary:
          "Change a compound: its response policy or name (staff of it, admin), its community (admin: moves it to another community's scopes)",
        params: IdParams,
        body: Type.Object(
          {
            policy: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Integer(), Type.String()]))),
            name: Type.Optional(Name),
            communityId: Type.Optional(AreaId),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin', 'staff');
      const id = Number(request.params.id);
      if (stores.places.getCompound(id) === null || !seesCompound(user, id))
        throw new AppError('notFound', `compound ${id} not found`);
      assertEdits(user, id);
      const b = request.body;
      if (b.communityId !== undefined && user.role !== 'admin')
        throw new AppError('forbidden', 'only an admin moves a compound to another community');
      const checked = b.policy === undefined ? null : checkPolicy(b.policy);
      if (checked !== null && !checked.ok)
        throw new AppError('validation', undefined, [{ path: 'body.policy', message: checked.reason }]);
      const changed = changeCompound(stores, id, { name: b.name, communityId: b.communityId });
      if (!changed.ok) throw placeError(changed.problem);
      if (b.policy !== undefined) stores.places.setCompoundPolicy(id, b.policy);
      request.auditRecord = `compound:${id}${changed.value.moved ? `:community ${b.communityId}` : ''}`;
      if (changed.value.moved) everyoneChanged();
      const policy = stores.places.compoundPolicy(id);
      const current = policy === null ? null : checkPolicy(policy);
      return {
        id,
        name: stores.places.getCompound(id)?.name ?? '',
        communityId: stores.areas.compoundCommunities().get(id) ?? null,
        policy: current?.ok ? current.value : DEFAULT_POLICY,
      };
    },
  );

  app.patch(
    '/buildings/:id',
    {
      schema: {
        tags: ['community'],
        summary: 'Rename a building (staff of its compound, admin)',
        params: IdParams,
        body: Type.Object({ name: Name }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin', 'staff');
      const id = Number(request.params.id);
      const building = stores.places.listBuildings().find((b) => b.id === id);
      if (building === undefined || !seesCompound(user, building.compoundId))
        throw new AppError('notFound', `building ${id} not found`);
      assertEdits(user, building.compoundId);
      const renamed = renameBuilding(stores, id, request.body.name);
      if (!renamed.ok) throw placeError(renamed.problem);
      request.auditRecord = `building:${id}`;
      return stores.places.listBuildings().find((b) => b.id === id);
    },
  );
};
