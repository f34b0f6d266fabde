import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { hashPassword } from '../../app/passwords.js';
import { checkPolicy, DEFAULT_POLICY } from '../../domain/policy.js';
import { AppError } from '../../errors.js';
import type { Stores, User } from '../../app/ports.js';
import { PERSON_ROLES } from '../../domain/community.js';
import { assertEdits, requireRole, seesCompound, userOf } from '../auth.js';
import { IdParams, PageQuery, pageById } from '../paging.js';
import { mobileAt, PHONE_SCHEMA } from '../phone-field.js';
import { publicUser } from './session.js';
import { placeError, ScopeBody, scopeOf } from './places.js';
import { communityOf, personSeen } from '../../app/places.js';

const Name = Type.String({ minLength: 1, maxLength: 100 });

/**
 * Compounds and their policies, buildings, the people who answer alarms, and the users who log
 * in (devices: devices.ts). Lists here are small (a community's own), so they
 * answer {items, next: null} in one page.
 */
export const communityRoutes: FastifyPluginAsyncTypebox<{
  stores: Stores;
  now: () => number;
  /** Told when a user is changed (role, compounds, password, disabled): their live sockets are rechecked at once. */
  userChanged?: (userId: number) => void;
}> = async (app, { stores, now, userChanged }) => {
  /** 404 for a compound the user does not see; 403 readOnly for one it only watches. */
  const editsIn = (user: User, id: number): void => {
    if (stores.places.getCompound(id) === null || !seesCompound(user, id))
      throw new AppError('notFound', `compound ${id} not found`);
    assertEdits(user, id);
  };

  const Paged = Type.Object(PageQuery, { additionalProperties: false });

  app.get(
    '/compounds',
    {
      schema: { tags: ['community'], summary: 'Compounds you may see, with their response policy', querystring: Paged },
    },
    async (request) => {
      const user = userOf(request);
      const buildings = stores.places.listBuildings();
      const communities = stores.areas.compoundCommunities();
      const all = stores.places
        .listCompounds()
        .filter((c) => seesCompound(user, c.id))
        .map((c) => {
          const stored = stores.places.compoundPolicy(c.id);
          const checked = stored === null ? null : checkPolicy(stored);
          return {
            ...c,
            communityId: communities.get(c.id) ?? null,
            policy: checked?.ok ? checked.value : DEFAULT_POLICY,
            buildings: buildings.filter((b) => b.compoundId === c.id),
          };
        });
      return pageById(all, request.query);
    },
  );

  app.get(
    '/buildings',
    {
      schema: {
        tags: ['community'],
        summary: 'Buildings of the compounds you may see (a building is added with its first household)',
        querystring: Type.Object(
          { compoundId: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,14}$' })), ...PageQuery },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const user = userOf(request);
      const wanted = request.query.compoundId === undefined ? null : Number(request.query.compoundId);
      return pageById(
        stores.places
          .listBuildings()
          .filter((b) => seesCompound(user, b.compoundId) && (wanted === null || b.compoundId === wanted)),
        request.query,
      );
    },
  );

  app.post(
    '/compounds',
    {
      schema: {
        tags: ['community'],
        summary: 'Add a compound (admin), in a community (default: the default community)',
        body: Type.Object(
          { name: Name, communityId: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      requireRole(request, 'admin');
      if (stores.places.listCompounds().some((c) => c.name === request.body.name.trim()))
        throw new AppError('conflict', 'a compound with that name exists');
      const communityId = request.body.communityId;
      if (communityId !== undefined) {
        const community = communityOf(stores, communityId, 'communityId');
        if (!community.ok) throw placeError(community.problem);
      }
      const compound = stores.transaction(() => {
        const made = stores.places.findOrCreateCompound(request.body.name.trim(), now());
        if (communityId !== undefined) stores.areas.setCompoundCommunity(made.id, communityId);
        return made;
      });
      request.auditRecord = `compound:${compound.id}`;
      return reply.code(201).send({ ...compound, communityId: stores.areas.compoundCommunities().get(compound.id) });
    },
  );

  app.get(
    '/people',
    { schema: { tags: ['people'], summary: 'The people who answer alarms, in your compounds', querystring: Paged } },
    async (request) => {
      const user = userOf(request);
      return pageById(
        stores.people.list().filter((p) => personSeen(stores, user, p)),
        request.query,
      );
    },
  );

  app.post(
    '/people',
    {
      schema: {
        tags: ['people'],
        summary: 'Add someone who answers alarms (staff, admin)',
        body: Type.Object(
          {
            name: Name,
            phone: Type.String(PHONE_SCHEMA),
            role: Type.Union(PERSON_ROLES.map((r) => Type.Literal(r))),
            tier: Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)]),
            compoundId: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
            buildingId: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
            /** With compoundId null: the whole community's person (a tier per community); absent or null: the district's. */
            communityId: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'staff');
      const body = request.body;
      const phone = mobileAt('body.phone', body.phone);
      if (body.compoundId === null) {
        // Community-wide people (the duty officer) are the admin's to add.
        if (user.role !== 'admin') throw new AppError('forbidden', 'only an admin adds community-wide people');
        if (body.buildingId !== null)
          throw new AppError('validation', undefined, [{ path: 'body.buildingId', message: 'needs compoundId' }]);
        if (body.communityId != null) {
          const community = communityOf(stores, body.communityId, 'communityId');
          if (!community.ok) throw placeError(community.problem);
        }
      } else {
        if (body.communityId != null)
          throw new AppError('validation', undefined, [
            { path: 'body.communityId', message: "a compound's person is in its compound's community already" },
          ]);
        editsIn(user, body.compoundId);
        if (
          body.buildingId !== null &&
          !stores.places.listBuildings().some((b) => b.id === body.buildingId && b.compoundId === body.compoundId)
        ) {
          throw new AppError('validation', undefined, [
            { path: 'body.buildingId', message: 'is not a building of that compound' },
          ]);
        }
      }
      const id = stores.people.add(
        {
          name: body.name.trim(),
          phone,
          role: body.role,
          tier: body.tier,
          compoundId: body.compoundId,
          buildingId: body.buildingId,
          communityId: body.communityId ?? null,
        },
        now(),
      );
      request.auditRecord = `person:${id}`;
      return reply.code(201).send(stores.people.get(id));
    },
  );

  app.patch(
    '/people/:id',
    {
      schema: {
        tags: ['people'],
        summary: 'Change someone who answers alarms (staff, admin)',
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Name),
            phone: Type.Optional(Type.String(PHONE_SCHEMA)),
            role: Type.Optional(Type.Union(PERSON_ROLES.map((r) => Type.Literal(r)))),
            tier: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)])),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin', 'staff');
      const person = stores.people.get(Number(request.params.id));
      if (
        person === null ||
        (person.compoundId === null ? user.role !== 'admin' : !seesCompound(user, person.compoundId))
      )
        throw new AppError('notFound');
      if (person.compoundId !== null) assertEdits(user, person.compoundId);
      const b = request.body;
      stores.people.update(person.id, {
        name: b.name?.trim() ?? person.name,
        // A number stored before the rule stays as it is until the phone itself is changed.
        phone: b.phone !== undefined ? mobileAt('body.phone', b.phone) : person.phone,
        role: b.role ?? person.role,
        tier: b.tier ?? person.tier,
      });
      request.auditRecord = `person:${person.id}`;
      return stores.people.get(person.id);
    },
  );

  app.delete(
    '/people/:id',
    { schema: { tags: ['people'], summary: 'Remove someone (staff, admin)', params: IdParams } },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'staff');
      const person = stores.people.get(Number(request.params.id));
      if (
        person === null ||
        (person.compoundId === null ? user.role !== 'admin' : !seesCompound(user, person.compoundId))
      )
        throw new AppError('notFound');
      if (person.compoundId !== null) assertEdits(user, person.compoundId);
      stores.people.retire(person.id, now());
      return reply.code(204).send();
    },
  );

  app.get('/users', { schema: { tags: ['users'], summary: 'Users (admin)', querystring: Paged } }, async (request) => {
    requireRole(request, 'admin');
    return pageById(
      stores.users.list().map((u) => ({ ...publicUser(u), disabled: u.disabled })),
      request.query,
    );
  });

  app.patch(
    '/users/:id',
    {
      schema: {
        tags: ['users'],
        summary:
          "Change a user (admin): name, role, compounds or scope (places at any level, read-only per entry), password, or disable (ends the user's sessions)",
        params: IdParams,
        body: Type.Object(
          {
            displayName: Type.Optional(Name),
            role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('staff'), Type.Literal('volunteer')])),
            compoundIds: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 100 })),
            scope: Type.Optional(ScopeBody),
            password: Type.Optional(Type.String({ minLength: 10, maxLength: 200 })),
            disabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
      },
    },
    async (request) => {
      const me = requireRole(request, 'admin');
      const target = stores.users.get(Number(request.params.id));
      if (target === null) throw new AppError('notFound');
      const b = request.body;
      if (target.id === me.id && (b.disabled === true || (b.role !== undefined && b.role !== 'admin'))) {
        throw new AppError('conflict', 'you cannot disable or demote yourself');
      }
      for (const c of b.compoundIds ?? [])
        if (stores.places.getCompound(c) === null)
          throw new AppError('validation', undefined, [
            { path: 'body.compoundIds', message: `compound ${c} does not exist` },
          ]);
      const scope = b.scope === undefined ? undefined : scopeOf(stores, b.scope, b.compoundIds);
      const hash = b.password !== undefined ? await hashPassword(b.password) : null;
      stores.transaction(() => {
        if (b.displayName !== undefined || b.role !== undefined)
          stores.users.setProfile(target.id, b.displayName?.trim() ?? target.displayName, b.role ?? target.role);
        if (b.compoundIds !== undefined) stores.users.setCompounds(target.id, b.compoundIds);
        if (scope !== undefined) stores.users.setScope(target.id, scope);
        if (hash !== null) stores.users.setPassword(target.id, hash);
        if (b.disabled !== undefined) stores.users.setDisabled(target.id, b.disabled ? now() : null);
      });
      request.auditRecord = `user:${target.id}`;
      userChanged?.(target.id);
      const updated = stores.users.get(target.id);
      return updated ? { ...publicUser(updated), disabled: updated.disabled } : null;
    },
  );

  app.post(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Add a user who logs in (admin)',
        body: Type.Object(
          {
            username: Type.String({ pattern: '^[A-Za-z0-9_.-]{2,50}$' }),
            displayName: Name,
            role: Type.Union([Type.Literal('admin'), Type.Literal('staff'), Type.Literal('volunteer')]),
            password: Type.String({ minLength: 10, maxLength: 200 }),
            compoundIds: Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 100 }),
            scope: Type.Optional(ScopeBody),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      requireRole(request, 'admin');
      const body = request.body;
      if (stores.users.forLogin(body.username) !== null) throw new AppError('conflict', 'that username is taken');
      for (const c of body.compoundIds)
        if (stores.places.getCompound(c) === null)
          throw new AppError('validation', undefined, [
            { path: 'body.compoundIds', message: `compound ${c} does not exist` },
          ]);
      const scope = body.scope === undefined ? undefined : scopeOf(stores, body.scope, body.compoundIds);
      const passwordHash = await hashPassword(body.password);
      const id = stores.transaction(() => {
        const made = stores.users.create(
          {
            username: body.username,
            displayName: body.displayName.trim(),
            role: body.role,
            passwordHash,
            compoundIds: body.compoundIds,
          },
          now(),
        );
        if (scope !== undefined) stores.users.setScope(made, scope);
        return made;
      });
      request.auditRecord = `user:${id}`;
      const created = stores.users.get(id);
      return reply.code(201).send(created ? publicUser(created) : null);
    },
  );
};
