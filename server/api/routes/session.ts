import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { passwordHashPool, verifyPassword } from '../../app/passwords.js';
import { AppError } from '../../errors.js';
import type { Stores, User } from '../../app/ports.js';
import { newSecret, requireRole, sha256, userOf, type Authenticator } from '../auth.js';
import { keysetPage, PageQuery, pageById } from '../paging.js';
import { iso } from '../views.js';
import { createWindowBudget } from '../../log.js';

/** Failed logins allowed per address and per username in a window, before 429. */
export const LOGIN_LIMITS = { perAddress: 20, perUser: 5, windowMs: 15 * 60_000 } as const;

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

/**
 * Attempts counted in a sliding window, per key (in memory: a restart forgives). An attempt is
 * counted when it starts, before its password is hashed: counted after, concurrent attempts all
 * passed the check together (issue 12). A successful login takes its own attempt back.
 */
export function createAttemptCounter(limit: number, windowMs: number) {
  const attempts = new Map<string, number[]>();
  return {
    blockedFor(key: string, now: number): number {
      const recent = (attempts.get(key) ?? []).filter((t) => now - t < windowMs);
      attempts.set(key, recent);
      if (recent.length < limit) return 0;
      return Math.ceil((windowMs - (now - (recent[0] ?? now))) / 1000);
    },
    count(key: string, now: number): void {
      const list = attempts.get(key) ?? [];
      list.push(now);
      attempts.set(key, list.slice(-limit));
      if (attempts.size > 100_000) attempts.clear();
    },
    /** Takes back one attempt counted at `at` (one that was not a failure). */
    uncount(key: string, at: number): void {
      const list = attempts.get(key);
      const i = list?.lastIndexOf(at) ?? -1;
      if (i >= 0) list?.splice(i, 1);
    },
    clear(key: string): void {
      attempts.delete(key);
    },
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
  const byAddress = createAttemptCounter(LOGIN_LIMITS.perAddress, LOGIN_LIMITS.windowMs);
  const byUser = createAttemptCounter(LOGIN_LIMITS.perUser, LOGIN_LIMITS.windowMs);
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
      const name = username.toLowerCase();
      const t = now();
      const wait = Math.max(byAddress.blockedFor(request.ip, t), byUser.blockedFor(name, t));
      if (wait > 0) throw new AppError('rateLimited', undefined, undefined, wait);
      byAddress.count(request.ip, t);
      byUser.count(name, t);
      const found = stores.users.forLogin(username);
      const check = await verifyPassword(password, found?.passwordHash ?? null);
      if (check === 'busy') {
        // Nothing was checked: not a failure of this name or address.
        byAddress.uncount(request.ip, t);
        byUser.uncount(name, t);
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
      // As when only failures were counted: a success clears its username's and is not one of
      // its address's.
      byUser.clear(name);
      byAddress.uncount(request.ip, t);
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
        summary: 'The audit log, newest first (admin)',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
      },
    },
    async (request) => {
      requireRole(request, 'admin');
      const { rows, next } = keysetPage(
        request.query,
        ['id'],
        (cursor, n) => stores.users.auditPage(cursor?.id ?? Number.MAX_SAFE_INTEGER, n),
        (e) => ({ id: e.id }),
      );
      return { items: rows.map((e) => ({ ...e, at: iso(e.at) })), next };
    },
  );
};
