import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { describeResponses } from './openapi-responses.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import AjvCompiler from '@fastify/ajv-compiler';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { DEFAULT_TIME_ZONE } from '../../protocol/ribbon.js';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../config.js';
import { AppError, ERRORS, type FieldProblem } from '../errors.js';
import type { Stores } from '../app/ports.js';
import type { DeviceSettingsScope } from '../domain/device-settings.js';
import { registerAudit, RequestLog } from './audit.js';
import { createWindowBudget } from '../log.js';
import { createAuthenticator, DEFAULT_AUTH, type AuthSettings } from './auth.js';
import { ackPageRoutes } from './routes/ack-page.js';
import { alertRoutes, type AlertCommands } from './routes/alerts.js';
import { channelRoutes } from './routes/channels.js';
import { hookRoutes } from './routes/hooks.js';
import { householdRoutes, type HouseholdDeps } from './routes/households.js';
import { householdCloseRoutes } from './routes/household-close.js';
import { deviceRoutes } from './routes/devices.js';
import { deviceSettingsRoutes } from './routes/device-settings.js';
import { placeRoutes } from './routes/places.js';
import { communityRoutes } from './routes/community.js';
import { dutyRoutes } from './routes/duty.js';
import { DASHBOARD_CSP, homeRoutes } from './routes/home.js';
import { reportRoutes } from './routes/reports.js';
import { type PersonalDataDeps, personalDataRoutes } from './routes/personal-data.js';
import { placeFiguresRoutes } from './routes/places-figures.js';
import { rosterRoutes } from './routes/rosters.js';
import { sessionRoutes } from './routes/session.js';

/**
 * Fastify's own validator compiler (@fastify/ajv-compiler, as Fastify builds it by default), made
 * once per process, and what it compiled kept by the schema's text: an app built again (the tests
 * build hundreds; a fifth of an app's start was compiling the same schemas again) reuses the
 * validators. Same options, same schemas, same validators: an Ajv validator keeps nothing of a
 * call but `errors`, read at once after it.
 *
 * Each validator is compiled at its first request, not when the route is added: compiling all of
 * them was a third of the main thread's start (under emulation, or on a small board, ~10 s before
 * the dashboard answers after a power cut). A schema Ajv would refuse is therefore only found at
 * its first request: the tests compile every one (compileWaitingValidators, validators.test.ts).
 */
type Validate = ((data: unknown, parent?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown };
const fastifyValidators = AjvCompiler();
const compiledValidators = new Map<string, Validate>();
/** Validators handed to Fastify and not yet compiled, by the key of compiledValidators. */
const waitingValidators = new Map<string, () => Validate>();

/**
 * Compiles every validator still waiting for its first request (throws what Ajv throws); the
 * number compiled. For the tests: a schema Ajv refuses must fail there, not at a user's request.
 */
export function compileWaitingValidators(): number {
  let n = 0;
  for (const compile of [...waitingValidators.values()]) {
    compile();
    n++;
  }
  return n;
}
const validators: typeof fastifyValidators = (externalSchemas, options) => {
  const compile = fastifyValidators(externalSchemas, options);
  const pool = JSON.stringify([externalSchemas, options]);
  return (route) => {
    const key = `${pool}${JSON.stringify((route as { schema?: unknown }).schema)}`;
    const compiled = (): Validate => {
      let validate = compiledValidators.get(key);
      if (validate === undefined) {
        validate = compile(route) as unknown as Validate;
        compiledValidators.set(key, validate);
        waitingValidators.delete(key);
      }
      return validate;
    };
    const known = compiledValidators.get(key);
    if (known !== undefined) return known as unknown as ReturnType<typeof compile>;
    if (!waitingValidators.has(key)) waitingValidators.set(key, compiled);
    // Resolved once, at the first request: a request after it calls the validator directly.
    let resolved: Validate | undefined;
    const lazy: Validate = (data, parent) => {
      resolved ??= compiled();
      const validate = resolved;
      const result = parent === undefined ? validate(data) : validate(data, parent);
      lazy.errors = validate.errors;
      return result;
    };
    // Fastify hands Ajv the value's parent (so that a root value can be coerced) only to a
    // function that has `schemaEnv`, as Ajv's own have: this one does, and passes it on.
    lazy.schemaEnv = true;
    return lazy as unknown as ReturnType<typeof compile>;
  };
};

export type HealthReport = { ok: boolean; checks: Record<string, string | number | boolean> };

export type AppDeps = {
  log: Logger;
  /** The metrics in Prometheus text format (the safety core's, asked through its link). */
  metrics: () => Promise<string>;
  health: () => Promise<HealthReport>;
  /** Absent: only /healthz and /metrics (the API needs the database). */
  api?: {
    stores: Stores;
    now: () => number;
    auth?: Partial<AuthSettings>;
    alerts: AlertCommands;
    households: HouseholdDeps;
    /** Closes a device's live connection (after it is retired or its secret rotated). */
    disconnectDevice?: (deviceId: string) => void;
    /** Tells the safety core a device-settings row changed (it tells the devices). */
    applyDeviceSettings?: (scope: DeviceSettingsScope) => Promise<{ told: number }>;
    /** A user's session ended, or their role, compounds or standing changed: the live feed rechecks them at once. */
    userChanged?: (userId: number) => void;
    /** The zone of report days (REPORT_TIMEZONE). */
    reportTimeZone?: string;
    /** The one-tap page of SMS links (/a/:token); absent: not served. */
    ackLinks?: { secret: Uint8Array; publicUrl: string };
    /** PUBLIC_URL: the base of voice channels' callback URLs (default: the address a request came to). */
    publicUrl?: string;
    /** Where a button connects (POST /api/devices answers it): PUBLIC_MQTT_HOST (null: the request's host), MQTTS_PORT with TLS, else MQTT_PORT. */
    mqtt?: { host: string | null; port: number; tls: boolean };
    /** Personal data (export, anonymise) and the retention settings; absent: not served. */
    personalData?: Omit<PersonalDataDeps, 'stores' | 'now'>;
  };
  https?: { key: Buffer; cert: Buffer };
  /** Timeouts and the connection cap of the HTTP server (default DEFAULT_HTTP_LIMITS). */
  http?: HttpLimits;
  /** The built dashboard served at `/` (default dashboard/dist). */
  dashboardDir?: string;
  /**
   * Where each request's handling starts: at once, or in a later turn of the event loop when this
   * turn has run long (server/lanes/turns.ts). Absent: at once.
   */
  pace?: (work: () => void) => void;
};

/**
 * The API documentation page (/docs, swagger-ui): its scripts and styles are its own files, its
 * logo a data: image, and it fetches only /docs/json. (In headless Chromium the page renders whole;
 * one inline style its bundle tries is refused, with nothing visible missing.)
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The HTTP app, not listening (main.ts listens; tests use app.inject()). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const limits = deps.http ?? DEFAULT_HTTP_LIMITS;
  // A socket that holds its headers (or body) open is answered 408 and closed: Node checks every
  // connectionsCheckingInterval, so that is kept short too (its default of 30 s would let such a
  // socket live 40 s). An upgraded /ws socket has left the request's clock and is never cut.
  const serverOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // Health checks and scrapes every few seconds would drown the log; the rest is logged.
    logController: new RequestLog({
      disableRequestLogging: (request) => request.url === '/healthz' || request.url === '/metrics',
    }),
    bodyLimit: 64 * 1024,
    requestTimeout: limits.requestTimeoutMs,
    ...(deps.https ? { https: { ...deps.https, ...serverOptions } } : { http: serverOptions }),
    ajv: {
      // Unknown fields and wrong types are errors, not silently dropped or converted.
      customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true },
    },
    schemaController: { compilersFactory: { buildValidator: validators } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  watchConnections(app, limits.maxConnections, deps.log);
  // First of all hooks: a request waits here, before any of its work, when this turn is spent.
  const pace = deps.pace;
  if (pace) app.addHook('onRequest', (_request, _reply, done) => pace(() => done()));

  // JSON bodies must be UTF-8: bytes that are not would otherwise become U+FFFD in stored names.
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new AppError('badJson', 'the body is not UTF-8'), undefined);
      return;
    }
    parseJson(request, text, done);
  });

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const body = (code: string, message: string, fields?: readonly FieldProblem[]) => ({
      error: { code, message, ...(fields ? { fields } : {}) },
    });
    if (error instanceof AppError) {
      if (error.retryAfterSec !== undefined) void reply.header('retry-after', String(error.retryAfterSec));
      const sent = body(error.code, error.message, error.fields);
      return reply.code(error.status).send(error.details ? { error: { ...sent.error, details: error.details } } : sent);
    }
    if ('validation' in error && error.validation) {
      const fields = error.validation.map((v) => ({
        path: `${error.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}${'missingProperty' in v.params ? `.${String(v.params.missingProperty)}` : ''}${'additionalProperty' in v.params ? `.${String(v.params.additionalProperty)}` : ''}`,
        message: v.message ?? 'is not valid',
      }));
      return reply.code(400).send(body(ERRORS.validation.code, ERRORS.validation.message, fields));
    }
    const code = (error as FastifyError).code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(413).send(body(ERRORS.tooLarge.code, ERRORS.tooLarge.message));
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return reply.code(415).send(body(ERRORS.unsupportedMedia.code, ERRORS.unsupportedMedia.message));
    if (
      code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      error instanceof SyntaxError
    ) {
      return reply.code(400).send(body(ERRORS.badJson.code, ERRORS.badJson.message));
    }
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send(body(ERRORS.validation.code, error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(body(ERRORS.internal.code, ERRORS.internal.message));
  });

  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: { code: ERRORS.notFound.code, message: ERRORS.notFound.message } }),
  );

  // Every answer: no type sniffing (an uploaded or echoed text must never run as a script). Over
  // TLS, browsers are told to come back only over TLS for a year (a dashboard on public Wi-Fi).
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-content-type-options', 'nosniff');
    if (deps.https) void reply.header('strict-transport-security', 'max-age=31536000');
    // The dashboard's files say what its page says: an SVG or HTML opened on its own runs nothing foreign.
    if (request.routeOptions.url?.startsWith('/assets/') === true) {
      void reply.header('content-security-policy', DASHBOARD_CSP);
    }
  });

  app.get('/healthz', async (_request, reply) => {
    const report = await deps.health();
    return reply.code(report.ok ? 200 : 503).send({ status: report.ok ? 'ok' : 'unhealthy', ...report.checks });
  });

  app.get('/metrics', async (_request, reply) => {
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(await deps.metrics());
  });

  await app.register(homeRoutes, deps.dashboardDir !== undefined ? { dashboardDir: deps.dashboardDir } : {});

  const api = deps.api;
  if (api !== undefined) {
    await app.register(fastifyCookie);
    await app.register(fastifySwagger, {
      // Every operation's answers, for the document only (api/openapi-responses.ts says why).
      transform: describeResponses,
      openapi: {
        openapi: '3.0.3',
        info: {
          title: '彩带之约 · Ribbon Pact API',
          version: '1',
          description: 'Households, alerts and reports. See docs/api.md.',
        },
        components: {
          securitySchemes: {
            session: { type: 'apiKey', in: 'cookie', name: 'ribbon_session' },
            bearer: { type: 'http', scheme: 'bearer' },
          },
        },
      },
    });
    // The browsable page: swagger-ui serves its own files from node_modules (no CDN).
    await app.register(fastifySwaggerUi, {
      routePrefix: '/docs',
      staticCSP: DOCS_CSP,
      // No badge fetched from validator.swagger.io: the page loads nothing from elsewhere.
      uiConfig: { validatorUrl: null },
    });

    const authenticator = createAuthenticator({
      stores: api.stores,
      now: api.now,
      settings: { ...DEFAULT_AUTH, ...api.auth },
    });
    app.decorateRequest('auth', null);
    // By the matched route, not the raw URL: /%61pi/session routes to /api/session too.
    const isApi = (request: { routeOptions: { url?: string | undefined }; url: string }): boolean => {
      if ((request.routeOptions.url ?? '').startsWith('/api/')) return true;
      const path = request.url.split('?')[0] ?? '';
      try {
        return decodeURIComponent(path).startsWith('/api/');
      } catch {
        // Malformed escapes (/api/%E0): judged by the raw path rather than failing the hook.
        return path.startsWith('/api/');
      }
    };
    app.addHook('onRequest', async (request) => {
      if (!isApi(request)) return;
      authenticator.authenticate(request);
    });
    // API answers hold family phone numbers and the CSRF token, often on a shared phone: no
    // browser or proxy cache may keep them (errors and 404s under /api included).
    app.addHook('onSend', async (request, reply) => {
      if (isApi(request)) void reply.header('cache-control', 'no-store');
    });
    registerAudit(app, { stores: api.stores, now: api.now, log: deps.log, isApi });

    await app.register(sessionRoutes, {
      prefix: '/api',
      stores: api.stores,
      authenticator,
      now: api.now,
      ...(api.userChanged ? { userChanged: api.userChanged } : {}),
    });
    await app.register(householdRoutes, { prefix: '/api', ...api.households });
    await app.register(householdCloseRoutes, {
      prefix: '/api',
      ...api.households,
      alerts: api.alerts,
      ...(api.disconnectDevice ? { disconnectDevice: api.disconnectDevice } : {}),
    });
    await app.register(deviceRoutes, {
      prefix: '/api',
      stores: api.stores,
      now: api.now,
      commit: api.households.commit,
      mqtt: api.mqtt ?? { host: null, port: 1883, tls: false },
      ...(api.disconnectDevice ? { disconnectDevice: api.disconnectDevice } : {}),
    });
    await app.register(deviceSettingsRoutes, {
      prefix: '/api',
      stores: api.stores,
      now: api.now,
      ...(api.applyDeviceSettings ? { applyDeviceSettings: api.applyDeviceSettings } : {}),
    });
    await app.register(alertRoutes, { prefix: '/api', stores: api.stores, commands: api.alerts });
    if (api.ackLinks !== undefined) {
      await app.register(ackPageRoutes, { stores: api.stores, now: api.now, commands: api.alerts, ...api.ackLinks });
    }
    await app.register(communityRoutes, {
      prefix: '/api',
      stores: api.stores,
      now: api.now,
      ...(api.userChanged ? { userChanged: api.userChanged } : {}),
    });
    await app.register(placeRoutes, {
      prefix: '/api',
      stores: api.stores,
      now: api.now,
      ...(api.userChanged ? { userChanged: api.userChanged } : {}),
    });
    await app.register(rosterRoutes, {
      prefix: '/api',
      stores: api.stores,
      now: api.now,
      mqtt: api.mqtt ?? { host: null, port: 1883, tls: false },
    });
    await app.register(channelRoutes, {
      prefix: '/api',
      stores: api.stores,
      now: api.now,
      ...(api.publicUrl !== undefined ? { publicUrl: api.publicUrl } : {}),
    });
    // Outside /api: the providers' servers post call results with the key in the URL, not a login.
    await app.register(hookRoutes, { stores: api.stores, now: api.now, log: deps.log });
    await app.register(dutyRoutes, { prefix: '/api', stores: api.stores, now: api.now });
    await app.register(reportRoutes, {
      prefix: '/api',
      stores: api.stores,
      timeZone: api.reportTimeZone ?? DEFAULT_TIME_ZONE,
    });
    await app.register(placeFiguresRoutes, {
      prefix: '/api',
      stores: api.stores,
      timeZone: api.reportTimeZone ?? DEFAULT_TIME_ZONE,
      now: api.now,
    });
    if (api.personalData !== undefined)
      await app.register(personalDataRoutes, { prefix: '/api', stores: api.stores, now: api.now, ...api.personalData });
  }

  return app;
}

/**
 * At most `max` open connections (the process's descriptors are shared with the device side);
 * Node closes any beyond at once. Those refusals are logged at most 10 times a minute, with a count.
 */
function watchConnections(app: FastifyInstance, max: number, log: Logger): void {
  app.server.maxConnections = max;
  const budget = createWindowBudget(10, 60_000, Date.now);
  app.server.on('drop', (data) => {
    const line = budget.take();
    if (line === null) return;
    log.warn(
      {
        component: 'http',
        address: data?.remoteAddress,
        maxConnections: max,
        ...(line.refusedBefore > 0 ? { alsoNotLogged: line.refusedBefore } : {}),
      },
      'HTTP connection refused: too many open',
    );
  });
}
