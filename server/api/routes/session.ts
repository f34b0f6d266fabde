import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { passwordHashPool, verifyPassword } from '../../app/passwords.js';
import { AppError } from '../../errors.js';
import type { Stores, User } from '../../app/ports.js';
import { newSecret, requireRole, sha256, userOf, type Authenticator } from '../auth.js';
import { keysetPage, PageQuery, pageById } from '../paging.js';
import { iso } from '../views.js';
import { createWindowBudget } from '../../log.js';
import { createLoginThrottle, lockedOutMessage } from '../login-throttle.js';
import { AuditQuery, auditFilterOf } from '../audit-query.js';

export const ScopeLevelSchema = Type.Union([
  Type.Literal('district'),
  Type.Literal('street'),
  Type.Literal('community'),
  Type.Literal('compound'),
]);

export const UserSchema = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  displayName: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('staff'), Type.Literal('volunteer')]),
  compoundIds: Type.Array(Type.Integer()),
  /** Of compoundIds, those the user only watches (every scope entry covering them is read-only). */
  readOnlyCompoundIds: Type.Array(Type.Integer()),
  /** The scope as set: places at any level (docs/api.md, "Places and scopes"). */
  scope: Type.Array(
    Type.Object({
      level: ScopeLevelSchema,
      id: Type.Integer(),
      readOnly: Type.Boolean(),
    }),
  ),
});

export function publicUser(user: User) {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    role: user.role,
    compoundIds: user.compoundIds,
    readOnlyCompoundIds: user.readOnlyCompoundIds,
    scope: user.scope,
  };
}

/** Refused logins are logged at most this often (with how many since the last line). */
const BUSY_LOG_EVERY_MS = 10_000;

export const sessionRoutes: FastifyPluginAsyncTypebox<{
  stores: Stores;
  authenticator: Authenticator;
  now: () => number;
  /** Told of a logout: that user's live sockets on this session end at once. */
  userChanged?: (userId: number) => void;
}> = async (app, opts) => {
  const { stores, authenticator, now } = opts;
  const throttle = createLoginThrottle();
  const busyLines = createWindowBudget(1, BUSY_LOG_EVERY_MS, now);

  app.post(
    '/session',
    {
      config: { access: 'public' },
      schema: {
        tags: ['session'],
        summary: 'Log in (sets an HttpOnly session cookie)',
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 100 }),
            password: Type.String({ minLength: 1, maxLength: 200 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ user: UserSchema, csrfToken: Type.String() }) },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      request.auditUsername = username.slice(0, 100);
      const attempt = throttle.begin(username, request.ip, now());
      if (typeof attempt === 'number') throw new AppError('rateLimited', lockedOutMessage(attempt), undefined, attempt);
      const found = stores.users.forLogin(username);
      const check = await verifyPassword(password, found?.passwordHash ?? null);
      if (check === 'busy') {
        // Nothing was checked: not a failure of this name or address.
        attempt.undo();
        const line = busyLines.take();
        if (line !== null) {
          request.log.warn(
            { ...passwordHashPool.stats(), refusedSinceLastLine: line.refusedBefore + 1 },
            'logins refused: hashing is busy',
          );
        }
        throw new AppError('busy', undefined, undefined, passwordHashPool.retryAfterSec());
      }
      if (check !== 'match' || found === null || found.user.disabled) throw new AppError('badCredentials');
      attempt.succeeded();
      const session = authenticator.startSession(found.user);
      authenticator.setCookie(reply, session.cookie, session.expiresAt);
      request.auditRecord = `user:${found.user.id}`;
      request.auditUser = { id: found.user.id, username: found.user.username };
      return { user: publicUser(found.user), csrfToken: session.csrfToken };
    },
  );

  app.get(
    '/session',
    {
      schema: {
        tags: ['session'],
        summary: 'Who am I (and my CSRF token)',
        response: { 200: Type.Object({ user: UserSchema, csrfToken: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request) => ({ user: publicUser(userOf(request)), csrfToken: request.auth?.csrfToken ?? null }),
  );

  app.delete('/session', { schema: { tags: ['session'], summary: 'Log out' } }, async (request, reply) => {
    const hash = request.auth?.sessionHash;
    if (hash) stores.users.deleteSession(hash);
    authenticator.setCookie(reply, '', null);
    if (hash && request.auth) opts.userChanged?.(request.auth.user.id);
    return reply.code(204).send();
  });

  /** Scripts: tokens an admin issues and revokes (`Authorization: Bearer …`). */
  app.post(
    '/tokens',
    {
      schema: {
        tags: ['session'],
        summary: 'Issue an API token for a user (admin); the token is shown only here',
        body: Type.Object(
          { userId: Type.Integer({ minimum: 1 }), name: Type.String({ minLength: 1, maxLength: 100 }) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ id: Type.Integer(), token: Type.String() }) },
      },
    },
    async (request, reply) => {
      requireRole(request, 'admin');
      if (stores.users.get(request.body.userId) === null)
        throw new AppError('notFound', `user ${request.body.userId} does not exist`);
      const token = `rpt_${newSecret()}`;
      const id = stores.users.createToken(sha256(token), request.body.userId, request.body.name, now());
      request.auditRecord = `token:${id}`;
      return reply.code(201).send({ id, token });
    },
  );

  app.get(
    '/tokens',
    {
      schema: {
        tags: ['session'],
        summary: 'API tokens (admin): names and use, never the token itself',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
      },
    },
    async (request) => {
      requireRole(request, 'admin');
      return pageById(
        stores.users.tokens().map((t) => ({
          id: t.id,
          userId: t.userId,
          name: t.name,
          createdAt: iso(t.createdAt),
          revokedAt: iso(t.revokedAt),
          lastUsedAt: iso(t.lastUsedAt),
        })),
        request.query,
      );
    },
  );

  app.delete(
    '/tokens/:id',
    {
      schema: {
        tags: ['session'],
        summary: 'Revoke an API token (admin)',
        params: Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) }),
      },
    },
    async (request, reply) => {
      requireRole(request, 'admin');
      if (!stores.users.revokeToken(Number(request.params.id), now())) throw new AppError('notFound');
      return reply.code(204).send();
    },
  );

  app.get(
    '/audit',
    {
      schema: {
        tags: ['session'],
        summary: 'The audit log, newest first (admin), narrowed by any of its filters',
        querystring: AuditQuery,
      },
    },
    async (request) => {
      requireRole(request, 'admin');
      const filter = auditFilterOf(request.query);
      const { rows, next } = keysetPage(
        request.query,
        ['id'],
        (cursor, n) => stores.users.auditPage(cursor?.id ?? Number.MAX_SAFE_INTEGER, n, filter),
        (e) => ({ id: e.id }),
      );
      return { items: rows.map((e) => ({ ...e, at: iso(e.at) })), next };
    },
  );
};
