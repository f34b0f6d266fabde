import type {} from '@fastify/cookie';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { Stores, User, UserRole } from '../app/ports.js';
import { hashSecret } from '../app/device-credentials.js';

export const SESSION_COOKIE = 'ribbon_session';

export type AuthSettings = {
  /** A session unused this long ends. */
  idleMs: number;
  /** … and any session ends this long after login. */
  absoluteMs: number;
  /** Secure cookies (set when serving over HTTPS). */
  secureCookies: boolean;
};

export const DEFAULT_AUTH: AuthSettings = { idleMs: 12 * 3600_000, absoluteMs: 7 * 86_400_000, secureCookies: false };

export type Auth = { user: User; via: 'session' | 'token'; csrfToken: string | null; sessionHash: Buffer | null };

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth | null;
  }
  interface FastifyContextConfig {
    /** 'public': no login needed (the login route itself, health). */
    access?: 'public';
  }
}

/** Session cookies and API tokens are stored as their SHA-256, as device secrets are. */
export const sha256: (value: string) => Buffer = hashSecret;

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The session with this hash and its user, if the session has not expired and the user exists
 * and is not disabled; null otherwise. No side effects: the HTTP API and the live hub both ask.
 */
export function sessionUser(
  stores: Stores,
  hash: Buffer,
  now: number,
): { session: NonNullable<ReturnType<Stores['users']['session']>>; user: User } | null {
  const session = stores.users.session(hash);
  if (session === null || session.expiresAt <= now) return null;
  const user = stores.users.get(session.userId);
  if (user === null || user.disabled) return null;
  return { session, user };
}

/**
 * Who is asking: a bearer token (scripts; no CSRF token needed, the header cannot be sent
 * cross-site) or the session cookie (the dashboard; state-changing requests must echo the
 * session's CSRF token in x-csrf-token).
 */
export function createAuthenticator(deps: { stores: Stores; now: () => number; settings: AuthSettings }) {
  const { stores, settings } = deps;

  function fromBearer(header: string): Auth {
    const token = header.slice('Bearer '.length).trim();
    const found = token === '' ? null : stores.users.token(sha256(token));
    if (found === null || found.revoked) throw new AppError('unauthenticated', 'unknown or revoked token');
    const user = stores.users.get(found.userId);
    if (user === null || user.disabled) throw new AppError('unauthenticated', 'the token’s user is disabled');
    stores.users.touchToken(found.id, deps.now());
    return { user, via: 'token', csrfToken: null, sessionHash: null };
  }

  function fromCookie(value: string): Auth | null {
    const hash = sha256(value);
    const now = deps.now();
    const found = sessionUser(stores, hash, now);
    if (found === null) {
      // An expired session is removed when it is next shown.
      if ((stores.users.session(hash)?.expiresAt ?? Infinity) <= now) stores.users.deleteSession(hash);
      return null;
    }
    const { session, user } = found;
    // Sliding idle expiry, never past the absolute limit; written at most once a minute.
    if (now - session.lastSeenAt > 60_000) {
      stores.users.touchSession(hash, now, Math.min(now + settings.idleMs, session.createdAt + settings.absoluteMs));
    }
    return { user, via: 'session', csrfToken: session.csrfToken, sessionHash: hash };
  }

  return {
    /** onRequest: sets request.auth, or refuses (401 / 403 CSRF) unless the route is public. */
    authenticate(request: FastifyRequest): void {
      request.auth = null;
      const header = request.headers.authorization;
      if (typeof header === 'string' && header.startsWith('Bearer ')) {
        request.auth = fromBearer(header);
        return;
      }
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie) request.auth = fromCookie(cookie);
      const isPublic = request.routeOptions.config.access === 'public';
      if (request.auth === null) {
        if (isPublic) return;
        throw new AppError('unauthenticated');
      }
      if (request.auth.via === 'session' && STATE_CHANGING.has(request.method)) {
        const sent = request.headers['x-csrf-token'];
        const expected = Buffer.from(request.auth.csrfToken ?? '');
        const given = Buffer.from(typeof sent === 'string' ? sent : '');
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AppError('csrf');
      }
    },

    /** Starts a session; returns the cookie value and the CSRF token. */
    startSession(user: User): { cookie: string; csrfToken: string; expiresAt: number } {
      const cookie = newSecret();
      const csrfToken = newSecret();
      const now = deps.now();
      const expiresAt = now + Math.min(settings.idleMs, settings.absoluteMs);
      stores.users.createSession(sha256(cookie), user.id, csrfToken, now, expiresAt);
      return { cookie, csrfToken, expiresAt };
    },

    setCookie(reply: FastifyReply, value: string, expiresAt: number | null): void {
      reply.setCookie(SESSION_COOKIE, value, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: settings.secureCookies,
        ...(expiresAt === null ? { maxAge: 0 } : { expires: new Date(expiresAt) }),
      });
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

/** The signed-in user, or 401 (for handlers of non-public routes). */
export function userOf(request: FastifyRequest): User {
  if (request.auth === null) throw new AppError('unauthenticated');
  return request.auth.user;
}

/** 403 unless the user has one of these roles. */
export function requireRole(request: FastifyRequest, ...roles: UserRole[]): User {
  const user = userOf(request);
  if (!roles.includes(user.role)) throw new AppError('forbidden');
  return user;
}

/** Whether the user's compounds include this one (an admin sees all). */
export function seesCompound(user: User, compoundId: number): boolean {
  return user.role === 'admin' || user.compoundIds.includes(compoundId);
}

/**
 * 403 readOnly when the user sees this compound only through read-only scope entries. Call it
 * after the visibility check (which answers 404 for a compound not seen at all), on every route
 * that changes something in a compound.
 */
export function assertEdits(user: User, compoundId: number): void {
  if (seesCompound(user, compoundId) && !editsCompound(user, compoundId)) throw new AppError('readOnly');
}

/** Whether the user may change things in this compound: sees it, and not only read-only. */
export function editsCompound(user: User, compoundId: number): boolean {
  return (
    user.role === 'admin' || (user.compoundIds.includes(compoundId) && !user.readOnlyCompoundIds.includes(compoundId))
  );
}

/**
 * Whether the user sees a whole community (issue 14: its duty roster names people of all its
 * compounds): an admin, or a user who sees every one of its compounds. A community without
 * compounds is the admin's alone.
 */
export function seesCommunity(user: User, compoundIds: readonly number[]): boolean {
  return user.role === 'admin' || (compoundIds.length > 0 && compoundIds.every((id) => seesCompound(user, id)));
}

/**
 * 403 readOnly unless the user may change things in every compound of the community (a
 * community's roster answers for all of them). Call it after seesCommunity (404 otherwise).
 */
export function assertEditsCommunity(user: User, compoundIds: readonly number[]): void {
  if (!compoundIds.every((id) => editsCompound(user, id))) throw new AppError('readOnly');
}

/**
 * A file of many rows (a roster import, a fleet's households) from someone who only watches every
 * compound it sees changes nothing, whatever the file holds: 403 read-only before it is read.
 */
export function refuseOnlyWatching(user: User): void {
  if (
    user.role !== 'admin' &&
    user.compoundIds.length > 0 &&
    user.compoundIds.every((c) => user.readOnlyCompoundIds.includes(c))
  )
    throw new AppError('readOnly');
}
