import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { newSecret, sha256 } from '../../server/api/auth.js';
import { ACK_LINK_TTL_MS, signAckToken } from '../../server/app/ack-link.js';
import { loadLinkSecret } from '../../server/store/secrets.js';
import { DEFAULT_DASHBOARD_DIR } from '../../server/api/routes/home.js';
import { addChannel } from '../../server/app/channels.js';
import { DEFAULT_AREAS } from '../../server/domain/places.js';
import { makeCast, sessionsFor, TEST_USER_PASSWORD, type ApiRequest, type Cast, type Role } from './api.js';
import { startTestSystem, type TestSystem } from './system.js';

// The authorization matrix's table (issue 4, "Proof"; test/integration/api/matrix.test.ts, and
// read-only.test.ts for scopes that only watch): every route the app has × every role, against a
// target in compound A, generated from the one table below. A route the app has and the table
// lacks fails the first test, so a new route cannot ship without deciding who may call it.

export type Ctx = { system: TestSystem; cast: Cast; n: () => number };
/** What a request is about: `id` fills the route's :id; the rest feeds the body. */
export type Target = Record<string, string | number>;

export type Row = {
  /** "METHOD /path" exactly as fastify lists the route. */
  route: string;
  /** Made afresh for each role (so one role's ack does not turn the next one's into a 409). */
  target?: (ctx: Ctx) => Target;
  /** The same request about something that does not exist: outsiders must not tell it apart. */
  missing?: Target;
  query?: string;
  /** For a body that is not JSON (a CSV file). */
  contentType?: string;
  body?: (t: Target, ctx: Ctx, role: Role) => unknown;
  /** Expected status for: admin, staff of A, volunteer of A, staff of B, volunteer of B, anonymous. */
  expect: readonly [number, number, number, number, number, number];
};

export const NONE = 999_999;

/** The default community (compounds A and B): only an admin, or someone who sees both, sees it whole. */
export const inC = {
  /** A tier-2 person of the whole community, who may be on its roster. */
  dutyPerson: ({ system }: Ctx): Target => ({
    id: DEFAULT_AREAS.community,
    person: system.stores.people.add(
      {
        name: '社区值班员',
        phone: '13800000013',
        role: 'duty_officer',
        tier: 2,
        compoundId: null,
        buildingId: null,
        communityId: DEFAULT_AREAS.community,
      },
      Date.now(),
    ),
  }),
  /** … on a Monday shift of the community's tier-2 roster. */
  roster: (ctx: Ctx): Target => {
    const t = inC.dutyPerson(ctx);
    const shift = { tier: 2 as const, days: [1 as const], start: '08:00', end: '20:00', personIds: [Number(t.person)] };
    ctx.system.stores.transaction(() =>
      ctx.system.stores.duty.replaceCommunityShifts(Number(t.id), 'Asia/Shanghai', [shift], Date.now()),
    );
    return t;
  },
  /** … and leave for that person. */
  dutyOverride: (ctx: Ctx): Target => {
    const t = inC.roster(ctx);
    const overrideId = ctx.system.stores.duty.addCommunityOverride(
      {
        communityId: Number(t.id),
        tier: 2,
        personId: Number(t.person),
        replacementId: null,
        from: Date.now(),
        to: Date.now() + 86_400_000,
        note: '',
        createdBy: 'test',
      },
      Date.now(),
    );
    return { id: t.id as number, overrideId };
  },
};

export const inA = {
  household: ({ system, cast }: Ctx): Target => ({
    id: system.provision({ compound: cast.compoundA.name }).householdId,
  }),
  device: ({ system, cast }: Ctx): Target => ({ id: system.provision({ compound: cast.compoundA.name }).id }),
  compound: ({ cast }: Ctx): Target => ({ id: cast.compoundA.id }),
  alert:
    (state: 'red' | 'yellow') =>
    ({ system, cast }: Ctx): Target => {
      const { householdId } = system.provision({ compound: cast.compoundA.name });
      const result = system.recordPersonReport({ householdId, state, note: null, by: 'test', idempotencyKey: null });
      const alert = result.alerts.find((a) => a.householdId === householdId);
      if (alert === undefined) throw new Error(`no alert opened by ${state}`);
      return { id: alert.alertId };
    },
  person: ({ system, cast }: Ctx): Target => ({
    id: system.stores.people.add(
      {
        name: '周志愿',
        phone: '13800000009',
        role: 'volunteer',
        tier: 1,
        compoundId: cast.compoundA.id,
        buildingId: null,
      },
      Date.now(),
    ),
  }),
  channel: ({ system, cast }: Ctx): Target => ({
    id: system.stores.channels.add('wecom', '群', { url: 'https://example.cn/?key=k' }, cast.compoundA.id, Date.now()),
  }),
  voiceHook: ({ system, cast }: Ctx): Target => {
    const added = addChannel(
      system.stores,
      {
        compoundId: cast.compoundA.id,
        config: { kind: 'aliyun-voice', accessKeyId: 'id', accessKeySecret: 's', ttsCode: 'TTS_1' },
      },
      Date.now(),
    );
    if (!added.ok || added.callbackKey === null) throw new Error('no voice channel');
    return { channelId: added.channel.id, key: added.callbackKey };
  },
  /** Compound A and a tier-2 person of it who may be on its roster. */
  dutyPerson: ({ system, cast }: Ctx): Target => ({
    id: cast.compoundA.id,
    person: system.stores.people.add(
      {
        name: '值班网格员',
        phone: '13800000012',
        role: 'grid_worker',
        tier: 2,
        compoundId: cast.compoundA.id,
        buildingId: null,
      },
      Date.now(),
    ),
  }),
  /** … with that person on a Monday shift of tier 2. */
  roster: (ctx: Ctx): Target => {
    const t = inA.dutyPerson(ctx);
    const shift = { tier: 2 as const, days: [1 as const], start: '08:00', end: '20:00', personIds: [Number(t.person)] };
    ctx.system.stores.transaction(() =>
      ctx.system.stores.duty.replaceShifts(Number(t.id), 'Asia/Shanghai', [shift], Date.now()),
    );
    return t;
  },
  /** … and leave for that person on the roster. */
  dutyOverride: (ctx: Ctx): Target => {
    const t = inA.roster(ctx);
    const id = ctx.system.stores.duty.addOverride(
      {
        compoundId: Number(t.id),
        tier: 2,
        personId: Number(t.person),
        replacementId: null,
        from: Date.now(),
        to: Date.now() + 86_400_000,
        note: '',
        createdBy: 'test',
      },
      Date.now(),
    );
    return { id };
  },
  token: ({ system, cast }: Ctx): Target => ({
    id: system.stores.users.createToken(sha256(newSecret()), cast.users.volunteerA.id, 'script', Date.now()),
  }),
  /** A one-tap link's token (as an SMS carries it) for a fresh red alert and a person of A. */
  ackLink: (ctx: Ctx): Target => ({
    token: signAckToken(loadLinkSecret(ctx.system.stores.db), {
      alertId: Number(inA.alert('red')(ctx).id),
      recipient: { kind: 'person', id: Number(inA.person(ctx).id) },
      expiresAt: Date.now() + ACK_LINK_TTL_MS,
    }),
  }),
  /** … and its 处理码, as a Tencent SMS carries it. */
  ackCode: (ctx: Ctx): Target => ({
    code: ctx.system.stores.ackCodes.issue(String(inA.ackLink(ctx).token), Date.now() + ACK_LINK_TTL_MS, Date.now()),
  }),
};

export const today = new Date().toISOString().slice(0, 10);

// The dashboard's files are routes only once it is built (`npm test` builds it first): public,
// like the page at / (the page logs in through the API).
const dashboardAsset = existsSync(join(DEFAULT_DASHBOARD_DIR, 'index.html'))
  ? readdirSync(join(DEFAULT_DASHBOARD_DIR, 'assets')).find((f) => f.endsWith('.js'))
  : undefined;
const DASHBOARD_ROWS: Row[] =
  dashboardAsset === undefined
    ? []
    : [
        { route: 'GET /favicon.svg', expect: [200, 200, 200, 200, 200, 200] },
        {
          route: 'GET /*',
          target: () => ({ '*': `assets/${dashboardAsset}` }),
          expect: [200, 200, 200, 200, 200, 200],
        },
        // The offline service worker, when the build has one.
        ...(existsSync(join(DEFAULT_DASHBOARD_DIR, 'sw.js'))
          ? [{ route: 'GET /sw.js', expect: [200, 200, 200, 200, 200, 200] } as const]
          : []),
      ];

// prettier-ignore
export const TABLE: Row[] = [
  //                                                                                          admin staffA volA staffB volB anon
  { route: 'GET /', expect: [200, 200, 200, 200, 200, 200] },
  { route: 'GET /healthz', expect: [200, 200, 200, 200, 200, 200] },
  { route: 'GET /metrics', expect: [200, 200, 200, 200, 200, 200] },
  { route: 'GET /docs', expect: [200, 200, 200, 200, 200, 200] },
  ...DASHBOARD_ROWS,
  { route: 'GET /docs/', expect: [200, 200, 200, 200, 200, 200] },
  { route: 'GET /docs/*', target: () => ({ '*': 'static/swagger-ui.css' }), expect: [200, 200, 200, 200, 200, 200] },
  { route: 'GET /docs/json', expect: [200, 200, 200, 200, 200, 200] },
  { route: 'GET /docs/yaml', expect: [200, 200, 200, 200, 200, 200] },
  // The static copy of the page redirects to /docs/.
  { route: 'GET /docs/static/index.html', expect: [302, 302, 302, 302, 302, 302] },
  { route: 'GET /docs/static/swagger-initializer.js', expect: [200, 200, 200, 200, 200, 200] },
  // The one-tap page of an SMS: the token is the credential, whoever else is signed in or not.
  { route: 'GET /a/ack.css', expect: [200, 200, 200, 200, 200, 200] },
  { route: 'GET /a/:token', target: inA.ackLink, expect: [200, 200, 200, 200, 200, 200] },
  {
    route: 'POST /a/:token',
    target: inA.ackLink,
    contentType: 'application/x-www-form-urlencoded',
    body: () => 'action=ack',
    expect: [303, 303, 303, 303, 303, 303],
  },
  // The form of a Tencent SMS's fixed address: its 处理码 stands for the token, for anyone.
  { route: 'GET /a', expect: [200, 200, 200, 200, 200, 200] },
  {
    route: 'POST /a',
    target: inA.ackCode,
    contentType: 'application/x-www-form-urlencoded',
    body: (t) => `code=${t.code}`,
    expect: [303, 303, 303, 303, 303, 303],
  },

  // Logging in is open to all (here everyone logs in as volunteer-a); the rest needs a login.
  {
    route: 'POST /api/session',
    body: (_t, { cast }) => ({ username: cast.users.volunteerA.username, password: TEST_USER_PASSWORD }),
    expect: [200, 200, 200, 200, 200, 200],
  },
  { route: 'GET /api/session', expect: [200, 200, 200, 200, 200, 401] },
  { route: 'DELETE /api/session', expect: [204, 204, 204, 204, 204, 401] },
  // Only an admin issues and revokes tokens and reads the audit log, and manages users and compounds.
  {
    route: 'POST /api/tokens',
    body: (_t, { cast }) => ({ userId: cast.users.volunteerA.id, name: 'script' }),
    expect: [201, 403, 403, 403, 403, 401],
  },
  { route: 'DELETE /api/tokens/:id', target: inA.token, missing: { id: NONE }, expect: [204, 403, 403, 403, 403, 401] },
  { route: 'GET /api/audit', expect: [200, 403, 403, 403, 403, 401] },
  { route: 'GET /api/users', expect: [200, 403, 403, 403, 403, 401] },
  {
    route: 'POST /api/users',
    body: (_t, { cast, n }, role) => ({
      username: `made-by-${role}-${n()}`,
      displayName: '新人',
      role: 'volunteer',
      password: 'a long enough password',
      compoundIds: [cast.compoundA.id],
    }),
    expect: [201, 403, 403, 403, 403, 401],
  },
  {
    route: 'POST /api/compounds',
    body: (_t, { n }) => ({ name: `新小区${n()}` }),
    expect: [201, 403, 403, 403, 403, 401],
  },

  // Lists: everyone logged in may ask; what they get is scoped (see the next describe).
  { route: 'GET /api/households', expect: [200, 200, 200, 200, 200, 401] },
  { route: 'GET /api/alerts', expect: [200, 200, 200, 200, 200, 401] },
  { route: 'GET /api/compounds', expect: [200, 200, 200, 200, 200, 401] },
  { route: 'GET /api/buildings', expect: [200, 200, 200, 200, 200, 401] },
  { route: 'GET /api/people', expect: [200, 200, 200, 200, 200, 401] },
  { route: 'GET /api/reports/daily', query: `day=${today}`, expect: [200, 200, 200, 200, 200, 401] },
  { route: 'GET /api/figures', query: `from=${today}&to=${today}`, expect: [200, 200, 200, 200, 200, 401] },
  // Roll-ups: everyone's own top place (the scope is tested in places-figures.test.ts).
  { route: 'GET /api/figures/places', expect: [200, 200, 200, 200, 200, 401] },
  { route: 'GET /api/figures/places.csv', expect: [200, 200, 200, 200, 200, 401] },

  // A household or alert of compound A: outsiders get 404, as for one that does not exist.
  {
    route: 'GET /api/households/:id',
    target: inA.household,
    missing: { id: NONE },
    expect: [200, 200, 200, 404, 404, 401],
  },
  {
    route: 'GET /api/households/:id/events',
    target: inA.household,
    missing: { id: NONE },
    expect: [200, 200, 200, 404, 404, 401],
  },
  {
    route: 'POST /api/households/:id/reports',
    target: inA.household,
    missing: { id: NONE },
    body: () => ({ state: 'blue', note: '看到蓝丝带' }),
    expect: [201, 201, 201, 404, 404, 401],
  },
  {
    route: 'POST /api/households/:id/visits',
    target: inA.household,
    missing: { id: NONE },
    body: () => ({ seen: 'none', note: '窗口没有彩带' }),
    expect: [201, 201, 201, 404, 404, 401],
  },
  {
    route: 'GET /api/households/:id/visits',
    target: inA.household,
    missing: { id: NONE },
    expect: [200, 200, 200, 404, 404, 401],
  },
  {
    route: 'GET /api/alerts/:id',
    target: inA.alert('red'),
    missing: { id: NONE },
    expect: [200, 200, 200, 404, 404, 401],
  },
  {
    route: 'POST /api/alerts/:id/ack',
    target: inA.alert('red'),
    missing: { id: NONE },
    body: () => ({}),
    expect: [200, 200, 200, 404, 404, 401],
  },
  {
    route: 'POST /api/alerts/:id/arrived',
    target: inA.alert('red'),
    missing: { id: NONE },
    body: () => ({ note: '已到门口' }),
    expect: [200, 200, 200, 404, 404, 401],
  },
  {
    route: 'POST /api/alerts/:id/resolve',
    target: inA.alert('red'),
    missing: { id: NONE },
    body: () => ({ note: '老人安好 / all well' }),
    expect: [200, 200, 200, 404, 404, 401],
  },
  {
    route: 'POST /api/alerts/:id/claim',
    target: inA.alert('yellow'),
    missing: { id: NONE },
    body: () => ({}),
    expect: [200, 200, 200, 404, 404, 401],
  },

  // Configuring, registering: staff of the compound and admins. A volunteer is refused for the
  // role (403) before anything is looked up, so that answer leaks nothing either.
  {
    route: 'POST /api/households',
    target: ({ cast }) => ({ compound: cast.compoundA.name }),
    missing: { compound: '不存在小区' },
    body: (t, { n }) => ({ name: `住户${n()}`, compound: t.compound, building: '1号楼', room: `6${n()}` }),
    expect: [201, 201, 403, 403, 403, 401],
  },
  {
    route: 'PATCH /api/households/:id',
    target: inA.household,
    missing: { id: NONE },
    body: (_t, { n }) => ({ room: `2${n()}` }),
    expect: [200, 200, 403, 404, 403, 401],
  },
  // The data's lifecycle (issue 15): exports for staff of the compound and admins, anonymising for admins.
  { route: 'GET /api/settings/retention', expect: [200, 403, 403, 403, 403, 401] },
  {
    route: 'GET /api/households/:id/personal-data',
    target: inA.household,
    missing: { id: NONE },
    expect: [200, 200, 403, 404, 403, 401],
  },
  {
    route: 'GET /api/people/:id/personal-data',
    target: inA.person,
    missing: { id: NONE },
    expect: [200, 200, 403, 404, 403, 401],
  },
  {
    route: 'POST /api/households/:id/anonymise',
    target: (ctx) => {
      const t = inA.household(ctx);
      ctx.system.stores.db
        .prepare(
          "UPDATE households SET closed_at = ?, closed_on = '2026-11-30', closed_reason = 'moved_out' WHERE id = ?",
        )
        .run(Date.now(), t.id);
      return t;
    },
    missing: { id: NONE },
    expect: [200, 403, 403, 403, 403, 401],
  },
  {
    route: 'PATCH /api/compounds/:id',
    target: inA.compound,
    missing: { id: NONE },
    body: () => ({ policy: { tier2AfterSec: 60 } }),
    expect: [200, 200, 403, 404, 403, 401],
  },
  {
    route: 'PATCH /api/buildings/:id',
    target: ({ system, cast }) => ({
      id: (
        system.stores.places.getHousehold(system.provision({ compound: cast.compoundA.name }).householdId) as {
          buildingId: number;
        }
      ).buildingId,
    }),
    missing: { id: NONE },
    body: (_t, { n }) => ({ name: `改名楼${n()}` }),
    expect: [200, 200, 403, 404, 403, 401],
  },
  // Places above the compound (issue 14): everyone sees the tree above their compounds; only an
  // admin arranges it.
  { route: 'GET /api/places', expect: [200, 200, 200, 200, 200, 401] },
  {
    route: 'POST /api/places',
    body: (_t, { n }) => ({ level: 'street', name: `新街道${n()}` }),
    expect: [201, 403, 403, 403, 403, 401],
  },
  {
    route: 'PATCH /api/places/:id',
    target: ({ system, n }) => ({ id: system.stores.areas.create('community', `社区${n()}`, 2, Date.now()) }),
    missing: { id: NONE },
    body: (_t, { n }) => ({ name: `改名社区${n()}` }),
    expect: [200, 403, 403, 403, 403, 401],
  },
  {
    route: 'POST /api/devices',
    target: inA.household,
    missing: { id: NONE },
    body: (t) => ({ householdId: t.id }),
    expect: [201, 201, 403, 404, 403, 401],
  },
  {
    route: 'POST /api/devices/:id/rotate',
    target: inA.device,
    missing: { id: 'no-such-device' },
    expect: [200, 200, 403, 404, 403, 401],
  },
  {
    route: 'DELETE /api/devices/:id',
    target: inA.device,
    missing: { id: 'no-such-device' },
    expect: [204, 204, 403, 404, 403, 401],
  },
  // Issue 15: the devices list, a device moved, a household closed and reopened.
  { route: 'GET /api/devices', expect: [200, 200, 200, 200, 200, 401] },
  {
    route: 'PATCH /api/devices/:id',
    target: (ctx) => ({ id: inA.device(ctx).id as string, household: inA.household(ctx).id as number }),
    missing: { id: 'no-such-device', household: NONE },
    body: (t) => ({ householdId: t.household }),
    expect: [200, 200, 403, 404, 403, 401],
  },
  {
    route: 'POST /api/households/:id/close',
    target: inA.household,
    missing: { id: NONE },
    body: () => ({ reason: 'moved_out', on: '2026-01-01' }),
    expect: [200, 200, 403, 404, 403, 401],
  },
  {
    route: 'POST /api/households/:id/reopen',
    target: (ctx) => {
      const t = inA.household(ctx);
      ctx.system.stores.households.close(Number(t.id), { at: Date.now(), on: '2026-01-01', reason: 'other', note: '' });
      return t;
    },
    missing: { id: NONE },
    expect: [200, 403, 403, 403, 403, 401],
  },
  {
    route: 'POST /api/people',
    target: inA.compound,
    missing: { id: NONE },
    body: (t) => ({
      name: '孙网格',
      phone: '13800000010',
      role: 'grid_worker',
      tier: 2,
      compoundId: t.id,
      buildingId: null,
    }),
    expect: [201, 201, 403, 404, 403, 401],
  },
  {
    route: 'DELETE /api/people/:id',
    target: inA.person,
    missing: { id: NONE },
    expect: [204, 204, 403, 404, 403, 401],
  },
  {
    route: 'PATCH /api/people/:id',
    target: inA.person,
    missing: { id: NONE },
    body: () => ({ phone: '13800000011' }),
    expect: [200, 200, 403, 404, 403, 401],
  },
  {
    route: 'PATCH /api/users/:id',
    target: ({ cast }) => ({ id: cast.users.volunteerA.id }),
    missing: { id: NONE },
    body: () => ({ displayName: '改个名' }),
    expect: [200, 403, 403, 403, 403, 401],
  },
  { route: 'GET /api/tokens', expect: [200, 403, 403, 403, 403, 401] },

  // Duty rosters: everyone of the compound reads; its staff and admins edit.
  {
    route: 'GET /api/compounds/:id/duty',
    target: inA.compound,
    missing: { id: NONE },
    expect: [200, 200, 200, 404, 404, 401],
  },
  {
    route: 'PUT /api/compounds/:id/duty',
    target: inA.dutyPerson,
    missing: { id: NONE, person: NONE },
    body: (t) => ({ shifts: [{ tier: 2, days: [1], start: '08:00', end: '20:00', personIds: [t.person] }] }),
    expect: [200, 200, 403, 404, 403, 401],
  },
  {
    route: 'POST /api/compounds/:id/duty/overrides',
    target: inA.roster,
    missing: { id: NONE, person: NONE },
    body: (t) => ({
      tier: 2,
      personId: t.person,
      replacementId: null,
      from: '2099-01-05T08:00',
      to: '2099-01-05T20:00',
    }),
    expect: [201, 201, 403, 404, 403, 401],
  },
  {
    route: 'DELETE /api/duty/overrides/:id',
    target: inA.dutyOverride,
    missing: { id: NONE },
    expect: [204, 204, 403, 404, 403, 401],
  },
  // A community's roster (issue 14): staff of one of its compounds do not see it whole.
  {
    route: 'GET /api/communities/:id/duty',
    target: () => ({ id: DEFAULT_AREAS.community }),
    missing: { id: NONE },
    expect: [200, 404, 404, 404, 404, 401],
  },
  {
    route: 'PUT /api/communities/:id/duty',
    target: inC.dutyPerson,
    missing: { id: NONE, person: NONE },
    body: (t) => ({ shifts: [{ tier: 2, days: [1], start: '08:00', end: '20:00', personIds: [t.person] }] }),
    expect: [200, 404, 403, 404, 403, 401],
  },
  {
    route: 'POST /api/communities/:id/duty/overrides',
    target: inC.roster,
    missing: { id: NONE, person: NONE },
    body: (t) => ({
      tier: 2,
      personId: t.person,
      replacementId: null,
      from: '2099-01-05T08:00',
      to: '2099-01-05T20:00',
    }),
    expect: [201, 404, 403, 404, 403, 401],
  },
  {
    route: 'DELETE /api/communities/:id/duty/overrides/:overrideId',
    target: inC.dutyOverride,
    missing: { id: NONE, overrideId: NONE },
    expect: [204, 404, 403, 404, 403, 401],
  },

  // Rosters: staff and admins, each into their own compounds (another compound's name is a row
  // error, worded as for one that does not exist). Exports hold family phone numbers: not for
  // volunteers; staff of B get B's rows.
  {
    route: 'POST /api/import/households',
    query: 'dryRun=false',
    contentType: 'text/csv',
    target: ({ cast }) => ({ compound: cast.compoundA.name }),
    missing: { compound: '不存在小区' },
    body: (t, { n }) =>
      `小区,楼栋,房号,姓名,紧急联系人,联系电话\n${t.compound},5号楼,${500 + n()},导入住户,住户女儿,13900000001\n`,
    expect: [200, 200, 403, 400, 403, 401],
  },
  {
    route: 'POST /api/import/people',
    query: 'dryRun=false',
    contentType: 'text/csv',
    target: ({ cast }) => ({ compound: cast.compoundA.name }),
    missing: { compound: '不存在小区' },
    body: (t, { n }) => `姓名,电话,角色,层级,小区\n导入志愿者${n()},13800000020,volunteer,1,${t.compound}\n`,
    expect: [200, 200, 403, 400, 403, 401],
  },
  // Issue 16: a device for each household of a file (by id here), as an import: another
  // compound's household is a row error (400), worded as one that does not exist.
  {
    route: 'POST /api/devices/batch',
    query: 'dryRun=false',
    contentType: 'text/csv',
    target: inA.household,
    missing: { id: NONE },
    body: (t) => `住户编号\n${t.id}\n`,
    expect: [201, 201, 403, 400, 403, 401],
  },
  { route: 'GET /api/devices/models', expect: [200, 200, 200, 200, 200, 401] },
  // Device settings (issue 16): anyone logged in reads them; staff change their own compounds'
  // rows (another compound's: 403, as the settings screen says why), model-wide rows only an admin.
  { route: 'GET /api/device-settings', expect: [200, 200, 200, 200, 200, 401] },
  { route: 'GET /api/device-settings/effective', query: 'model=RB-3', expect: [200, 200, 200, 200, 200, 401] },
  {
    route: 'PUT /api/device-settings',
    target: inA.compound,
    body: (t) => ({ compoundId: t.id, model: null, heartbeatSec: 600, graceSec: null }),
    expect: [200, 200, 403, 403, 403, 401],
  },
  { route: 'DELETE /api/device-settings', query: 'model=RB-matrix', expect: [404, 403, 403, 403, 403, 401] },
  { route: 'GET /api/export/households', expect: [200, 200, 403, 200, 403, 401] },
  { route: 'GET /api/export/people', expect: [200, 200, 403, 200, 403, 401] },
  // The .xlsx templates (issue 15) hold no one's data, but are for those who import: not volunteers.
  { route: 'GET /api/import/households/template.xlsx', expect: [200, 200, 403, 200, 403, 401] },
  { route: 'GET /api/import/people/template.xlsx', expect: [200, 200, 403, 200, 403, 401] },

  // Channels (issue 13): staff read theirs, only an admin adds or retires one.
  { route: 'GET /api/channels', expect: [200, 200, 403, 200, 403, 401] },
  {
    route: 'POST /api/channels',
    target: ({ cast }) => ({ compound: cast.compoundA.id }),
    body: (t) => ({
      kind: 'wecom',
      url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k',
      compound: t.compound,
    }),
    expect: [201, 403, 403, 403, 403, 401],
  },
  {
    route: 'DELETE /api/channels/:id',
    target: inA.channel,
    missing: { id: NONE },
    expect: [204, 403, 403, 403, 403, 401],
  },
  // The voice providers' callback: no login, the key in the URL is the permission.
  {
    route: 'POST /hooks/voice/:channelId/:key',
    target: inA.voiceHook,
    body: () => [],
    expect: [200, 200, 200, 200, 200, 200],
  },
];

export function requestFor(row: Row, target: Target, ctx: Ctx, role: Role): ApiRequest {
  const [method, path] = row.route.split(' ') as [ApiRequest['method'], string];
  const url = path
    .replace(':id', () => String(target.id))
    .replace(':overrideId', () => String(target.overrideId))
    .replace(':channelId', () => String(target.channelId))
    .replace(':key', () => String(target.key))
    .replace(':token', () => String(target.token))
    .replace('*', () => String(target['*']));
  const body = row.body?.(target, ctx, role);
  return {
    method,
    url: row.query ? `${url}?${row.query}` : url,
    ...(body !== undefined ? { payload: body } : {}),
    ...(row.contentType ? { headers: { 'content-type': row.contentType } } : {}),
  };
}

export async function world() {
  const system = await startTestSystem({ scheduler: false });
  const cast = await makeCast(system);
  // Sessions made in the store: a login's scrypt per role per route was most of this table's time.
  const callers = sessionsFor(system, cast);
  let counter = 0;
  const ctx: Ctx = { system, cast, n: () => ++counter };
  return { system, cast, callers, ctx };
}
