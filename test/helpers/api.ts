import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { newSecret, sha256 } from '../../server/api/auth.js';
import { hashPassword } from '../../server/app/passwords.js';
import type { UserRole } from '../../server/app/ports.js';
import { ManualClock } from './clock.js';
import { phoneChannels } from './phones.js';
import { startTestSystem, TEST_ADMIN_PASSWORD, type TestSystem } from './system.js';

// Driving the HTTP API as a person would: log in, keep the cookie and the CSRF token, send both.

export type InjectResponse = LightMyRequestResponse;
export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** The password of every user made by addUser (hashed once: scrypt is slow on purpose). */
export const TEST_USER_PASSWORD = 'test-user-password';
let userHash: Promise<string> | null = null;

/** Who is asking: a logged-in session, a bearer token, or nobody. */
export type Caller =
  | { kind: 'session'; cookie: string; csrfToken: string; userId: number }
  | { kind: 'bearer'; token: string }
  | { kind: 'anonymous' };

export const ANONYMOUS: Caller = { kind: 'anonymous' };

/** The session cookie's attributes as set by the server (name=value first). */
export function sessionCookieOf(res: InjectResponse): { pair: string; attributes: string[] } {
  const header = res.headers['set-cookie'];
  const line = (Array.isArray(header) ? header : [header]).find(
    (h): h is string => typeof h === 'string' && h.startsWith('ribbon_session='),
  );
  if (line === undefined) throw new Error(`no session cookie in ${JSON.stringify(res.headers['set-cookie'])}`);
  const [pair, ...attributes] = line.split(';').map((p) => p.trim());
  return { pair: pair ?? '', attributes };
}

export function loginRequest(app: FastifyInstance, username: string, password: string): Promise<InjectResponse> {
  return app.inject({ method: 'POST', url: '/api/session', payload: { username, password } });
}

/** POST /api/session; fails the test unless it answers 200 with a cookie and a CSRF token. */
export async function login(
  app: FastifyInstance,
  username: string,
  password = TEST_USER_PASSWORD,
): Promise<Caller & { kind: 'session' }> {
  const res = await loginRequest(app, username, password);
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as { user: { id: number }; csrfToken: string };
  expect(body.csrfToken).toEqual(expect.any(String));
  return { kind: 'session', cookie: sessionCookieOf(res).pair, csrfToken: body.csrfToken, userId: body.user.id };
}

/**
 * A session made straight in the store, as a login makes it, without the password's scrypt: for
 * tests of what a signed-in user may do (the authorization matrix builds a world per route), not
 * of logging in (test/integration/api/auth.test.ts).
 */
export function sessionFor(system: TestSystem, userId: number): Caller & { kind: 'session' } {
  const cookie = newSecret();
  const csrfToken = newSecret();
  const now = Date.now();
  system.stores.users.createSession(sha256(cookie), userId, csrfToken, now, now + 3_600_000);
  return { kind: 'session', cookie: `ribbon_session=${cookie}`, csrfToken, userId };
}

/** Every role's session made straight in the store (sessionFor), anonymous a caller without any. */
export function sessionsFor(system: TestSystem, cast: Cast): Record<Role, Caller> {
  return {
    admin: sessionFor(system, cast.users.admin.id),
    staffA: sessionFor(system, cast.users.staffA.id),
    volunteerA: sessionFor(system, cast.users.volunteerA.id),
    staffB: sessionFor(system, cast.users.staffB.id),
    volunteerB: sessionFor(system, cast.users.volunteerB.id),
    anonymous: ANONYMOUS,
  };
}

export function loginAdmin(app: FastifyInstance): Promise<Caller & { kind: 'session' }> {
  return login(app, 'admin', TEST_ADMIN_PASSWORD);
}

export type TestUser = { id: number; username: string; role: UserRole; compoundIds: number[] };

/** A user who logs in with TEST_USER_PASSWORD. */
export async function addUser(
  system: TestSystem,
  u: { username: string; role: UserRole; compoundIds?: number[]; displayName?: string },
): Promise<TestUser> {
  userHash ??= hashPassword(TEST_USER_PASSWORD);
  const compoundIds = u.compoundIds ?? [];
  const id = system.stores.users.create(
    {
      username: u.username,
      displayName: u.displayName ?? u.username,
      role: u.role,
      passwordHash: await userHash,
      compoundIds,
    },
    Date.now(),
  );
  return { id, username: u.username, role: u.role, compoundIds };
}

export const ROLES = ['admin', 'staffA', 'volunteerA', 'staffB', 'volunteerB', 'anonymous'] as const;
export type Role = (typeof ROLES)[number];

export type Cast = {
  compoundA: { id: number; name: string };
  compoundB: { id: number; name: string };
  /** A household (with a device) in each compound, made when the cast is. */
  householdA: number;
  householdB: number;
  users: Record<Exclude<Role, 'anonymous'>, TestUser>;
};

export const COMPOUND_A = '阳光小区';
export const COMPOUND_B = '幸福里';

/**
 * Two compounds, a household in each, and a person of every role: the first admin, and a staff
 * member and a volunteer of each compound.
 */
export async function makeCast(system: TestSystem): Promise<Cast> {
  const a = system.provision({ compound: COMPOUND_A, building: '1号楼' });
  const b = system.provision({ compound: COMPOUND_B, building: '9号楼' });
  const compoundIdOf = (householdId: number): number => {
    const h = system.stores.places.getHousehold(householdId);
    if (h === null) throw new Error(`household ${householdId} is gone`);
    return h.compoundId;
  };
  const A = compoundIdOf(a.householdId);
  const B = compoundIdOf(b.householdId);
  const admin = system.stores.users.forLogin('admin');
  if (admin === null) throw new Error('no first admin');
  return {
    compoundA: { id: A, name: COMPOUND_A },
    compoundB: { id: B, name: COMPOUND_B },
    householdA: a.householdId,
    householdB: b.householdId,
    users: {
      admin: { id: admin.user.id, username: 'admin', role: 'admin', compoundIds: [] },
      staffA: await addUser(system, { username: 'staff-a', role: 'staff', compoundIds: [A], displayName: '王主任' }),
      volunteerA: await addUser(system, {
        username: 'volunteer-a',
        role: 'volunteer',
        compoundIds: [A],
        displayName: '李志愿',
      }),
      staffB: await addUser(system, { username: 'staff-b', role: 'staff', compoundIds: [B], displayName: '赵主任' }),
      volunteerB: await addUser(system, {
        username: 'volunteer-b',
        role: 'volunteer',
        compoundIds: [B],
        displayName: '钱志愿',
      }),
    },
  };
}

/**
 * The usual world of an API test: a system on a manual clock at `t0` (no scheduler: the test
 * drives the sweep), the cast, and API clients of volunteer A, staff A and volunteer B (who
 * sees only compound B).
 */
export async function castWorld(t0: number, opts: { phones?: boolean } = {}) {
  const clock = new ManualClock(t0);
  const system = await startTestSystem({ clock, scheduler: false });
  const cast = await makeCast(system);
  // SMS and voice for every compound, as a deployment has: a tier no phone can reach would be
  // skipped at once. `phones: false` for tests of the channels themselves.
  const phones = opts.phones === false ? null : await phoneChannels(system.stores, t0);
  const as = async (who: keyof Cast['users']) => client(system.app, await login(system.app, cast.users[who].username));
  return {
    clock,
    system,
    cast,
    phones,
    volunteer: await as('volunteerA'),
    staff: await as('staffA'),
    outsider: await as('volunteerB'),
  };
}

/** Logs every role in (anonymous stays a caller without credentials). */
export async function loginAll(system: TestSystem, cast: Cast): Promise<Record<Role, Caller>> {
  return {
    admin: await loginAdmin(system.app),
    staffA: await login(system.app, cast.users.staffA.username),
    volunteerA: await login(system.app, cast.users.volunteerA.username),
    staffB: await login(system.app, cast.users.staffB.username),
    volunteerB: await login(system.app, cast.users.volunteerB.username),
    anonymous: ANONYMOUS,
  };
}

export type ApiRequest = { method: Method; url: string; payload?: unknown; headers?: Record<string, string> };

/** Sends a request as this caller: the cookie and x-csrf-token for a session, the bearer header for a token. */
export function send(app: FastifyInstance, caller: Caller, req: ApiRequest): Promise<InjectResponse> {
  const headers: Record<string, string> = {};
  if (caller.kind === 'session') {
    headers.cookie = caller.cookie;
    headers['x-csrf-token'] = caller.csrfToken;
  } else if (caller.kind === 'bearer') {
    headers.authorization = `Bearer ${caller.token}`;
  }
  const options: InjectOptions = { method: req.method, url: req.url, headers: { ...headers, ...req.headers } };
  if (req.payload !== undefined) options.payload = req.payload as NonNullable<InjectOptions['payload']>;
  return app.inject(options);
}

/** A caller bound to an app: `api('POST', '/api/…', body)`. */
export function client(app: FastifyInstance, caller: Caller) {
  return (method: Method, url: string, payload?: unknown, headers?: Record<string, string>) =>
    send(app, caller, { method, url, ...(payload !== undefined ? { payload } : {}), ...(headers ? { headers } : {}) });
}

/**
 * Asserts the one error shape of the API: exactly {error:{code,message,fields?}}, the code a
 * stable RIBBON_ERR_…, each field problem {path,message}.
 */
export function expectError(
  res: InjectResponse,
  status: number,
  code?: string,
): { code: string; message: string; fields?: Array<{ path: string; message: string }> } {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as {
    error: { code: string; message: string; fields?: Array<{ path: string; message: string }> };
  };
  expect(Object.keys(body)).toEqual(['error']);
  expect(
    Object.keys(body.error).every((k) => ['code', 'message', 'fields'].includes(k)),
    JSON.stringify(body),
  ).toBe(true);
  expect(body.error.code).toMatch(/^RIBBON_ERR_[A-Z_]+$/);
  if (code !== undefined) expect(body.error.code).toBe(code);
  expect(body.error.message).toEqual(expect.any(String));
  for (const f of body.error.fields ?? []) expect(Object.keys(f).sort()).toEqual(['message', 'path']);
  return body.error;
}

/**
 * Every route the app has, as "METHOD /path" (HEAD, added by fastify for each GET, left out).
 * fastify 5 has no public route list once built, so this reads printRoutes({commonPrefix:false}):
 * a tree whose lines are "<indent>├── <segment> (METHODS)", four characters of indent a level, a
 * node's path being its ancestors' segments joined.
 */
export function listRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (m === null) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(m[2] ?? '');
    let path = stack.join('');
    // find-my-way prints the root wildcard `/*` under a static sibling that shares its first
    // letter (`/a` beside `/*` prints as `/a` › `*`): a `*` right after a letter is that `/*`.
    if (/[^/]\*$/.test(path)) path = '/*';
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) {
      if (method !== '' && method !== 'HEAD') routes.push(`${method} ${path}`);
    }
  }
  return [...new Set(routes)].sort();
}
