import { readFileSync } from 'node:fs';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ACK_CODE_LENGTH, normaliseAckCode } from '../../app/ack-code.js';

/** A path part this short is a 处理码 (a signed token is ACK_TOKEN_LENGTH, 32). */
const ACK_CODE_MAX_TYPED = ACK_CODE_LENGTH + 4;
import { verifyAckToken } from '../../app/ack-link.js';
import type { Alert, Household, Stores } from '../../app/ports.js';
import type { AlertCommand } from '../../domain/alert.js';
import { assertNever } from '../../domain/ribbon.js';
import { appErrorFor } from '../../errors.js';
import { createWindowBudget } from '../../log.js';
import { capText } from '../audit.js';
import type { AlertCommands } from './alerts.js';
import { DASHBOARD_CSP } from './home.js';
import {
  ACK_ACTIONS,
  type AckAction,
  type PageAt,
  type PlainPage,
  refusalWords,
  renderAckPage,
  renderCodePage,
  renderPlainPage,
} from './ack-page-view.js';
import { createAttemptCounter } from '../login-throttle.js';

/**
 * The one-tap page of an SMS (issue 13, point 3; docs/api.md, "One-tap link"): `GET /a/:token`
 * shows the alert to the person the token names, `POST /a/:token` records what they tap. The
 * token (app/ack-link.ts) is the credential — no login, no cookie — and opens this page only.
 *
 * - A GET changes nothing: chat and SMS apps fetch links to preview them.
 * - A POST runs through the core link exactly as the dashboard's buttons do, `by` the person's or
 *   family contact's name, and is audited as them; then 303 back to the page (已记录).
 * - The POST needs no CSRF token: the token in the path is the secret. A POST that says it comes
 *   from another origin (a foreign page's form) is refused all the same.
 * - A token that is malformed, altered, another server's, expired, or whose alert, person (retired)
 *   or contact (removed) is gone gets a plain page (404, or 410 when expired); nothing changes.
 *
 * A Tencent SMS cannot carry the token in its link (a link in a template must be constant), so it
 * carries the fixed `PUBLIC_URL/a` and a 处理码 (app/ack-code.ts): `GET /a` is a one-field form,
 * `POST /a` looks the code up and sends the browser on to `/a/<token>`. The lookup changes
 * nothing and acts on nothing, so it is not audited; it is what a guesser would hammer, so it has
 * a strict limit of its own per address, and its refusals are logged at a bounded rate.
 */
export type AckPageDeps = {
  stores: Stores;
  now: () => number;
  commands: AlertCommands;
  /** The links' key (store/secrets.ts loadLinkSecret): never logged, never in an answer. */
  secret: Uint8Array;
  /** PUBLIC_URL: its origin is one a POST may come from (the server's own is the other). */
  publicUrl: string;
};

/** POSTs allowed in the window per token and per address, before a 429 page. */
export const ACK_POST_LIMITS = { perToken: 10, perAddress: 60, windowMs: 10 * 60_000 } as const;
/**
 * 处理码 tried per address in the window (POST /a), before a 429 page. A code that opens its link
 * is given back: a guesser gets 20 guesses, people behind one carrier NAT are not held up.
 */
export const ACK_CODE_LIMITS = { perAddress: 20, windowMs: 10 * 60_000 } as const;
/** Refused 处理码 (wrong, malformed, over the limit) are logged at most once this often, with a count. */
const CODE_REFUSAL_LOG_EVERY_MS = 10_000;
/** A note of 2,000 Chinese characters is ~18 KB form-encoded. */
export const ACK_BODY_LIMIT = 32 * 1024;

const CSS = readFileSync(new URL('./ack-page.css', import.meta.url));

type Opened =
  | { ok: true; alert: Alert; household: Household; name: string; actor: string; expiresAt: number }
  | { ok: false; page: 'invalid' | 'expired' };

function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return (
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DASHBOARD_CSP)
      // An address and who is on the way: no cache may keep it; a shared phone's back button neither.
      .header('cache-control', 'no-store')
      // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on the
      // page's own POST, which the origin check would refuse. Nothing leaves for elsewhere.
      .header('referrer-policy', 'same-origin')
      .header('x-frame-options', 'DENY')
      .header('x-robots-tag', 'noindex, nofollow')
      .send(html)
  );
}

function plain(reply: FastifyReply, status: number, which: PlainPage, at: PageAt = 'link'): FastifyReply {
  return sendPage(reply, status, renderPlainPage(which, at));
}

/** The page's relative links depend on where it is answered: `/a` itself, or under `/a/`. */
function pageAt(request: FastifyRequest): PageAt {
  return request.routeOptions.url === '/a' ? 'entry' : 'link';
}

function commandOf(action: AckAction, by: string, note: string): AlertCommand {
  switch (action) {
    case 'ack':
      return { type: 'acknowledge', by, note: null };
    case 'arrive':
      return { type: 'arrive', by, note: null };
    case 'resolve':
      return { type: 'resolve', by, note };
    default:
      return assertNever(action);
  }
}

/** The action the page may say was recorded: only if the alert shows it was, by this person. */
function recorded(done: unknown, alert: Alert, name: string): AckAction | null {
  if (done === 'ack' && alert.acknowledgedBy === name) return 'ack';
  if (done === 'arrive' && alert.arrivedBy === name) return 'arrive';
  if (done === 'resolve' && alert.resolvedBy === name) return 'resolve';
  return null;
}

export const ackPageRoutes: FastifyPluginAsync<AckPageDeps> = async (app, deps) => {
  const { stores, now, commands, secret } = deps;
  const publicOrigin = new URL(deps.publicUrl).origin;
  const byAddress = createAttemptCounter(ACK_POST_LIMITS.perAddress, ACK_POST_LIMITS.windowMs);
  const byToken = createAttemptCounter(ACK_POST_LIMITS.perToken, ACK_POST_LIMITS.windowMs);
  const codesByAddress = createAttemptCounter(ACK_CODE_LIMITS.perAddress, ACK_CODE_LIMITS.windowMs);
  const codeRefusalLines = createWindowBudget(1, CODE_REFUSAL_LOG_EVERY_MS, now);

  // The page's forms post application/x-www-form-urlencoded (no @fastify/formbody here): parsed
  // for these routes only, bounded.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: ACK_BODY_LIMIT },
    (_request, body, done) => done(null, new URLSearchParams(body as string)),
  );

  // Whatever goes wrong here is told as a page, never as JSON.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const at = pageAt(request);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return plain(reply, 413, 'badRequest', at);
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return plain(reply, 415, 'badRequest', at);
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return plain(reply, status, 'badRequest', at);
    request.log.error({ err: error }, 'one-tap page failed');
    return plain(reply, 500, 'failed', at);
  });

  function open(token: string): Opened {
    const verdict = verifyAckToken(secret, token, now());
    if (!verdict.ok) return { ok: false, page: verdict.reason === 'expired' ? 'expired' : 'invalid' };
    const { alertId, recipient, expiresAt } = verdict.claim;
    const alert = stores.alerts.get(alertId);
    const household = alert === null ? null : stores.places.getHousehold(alert.householdId);
    if (alert === null || household === null) return { ok: false, page: 'invalid' };
    if (recipient.kind === 'person') {
      // null once retired: a token of someone who no longer answers alarms opens nothing.
      const person = stores.people.get(recipient.id);
      if (person === null) return { ok: false, page: 'invalid' };
      return { ok: true, alert, household, name: person.name, actor: `person:${person.id} ${person.name}`, expiresAt };
    }
    const contact = stores.people.contact(recipient.id);
    if (contact === null || contact.householdId !== alert.householdId) return { ok: false, page: 'invalid' };
    const relation = contact.relation === '' ? '' : `（${contact.relation}）`;
    const actor = `contact:${contact.id} ${contact.name}${relation}`;
    return { ok: true, alert, household, name: contact.name, actor, expiresAt };
  }

  /** The page's own origin, or PUBLIC_URL's; a POST with no Origin header (older browsers) passes. */
  function sameOrigin(request: FastifyRequest): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    return origin === publicOrigin || origin === `${request.protocol}://${request.host}`;
  }

  /**
   * A refused 处理码, logged at most once per CODE_REFUSAL_LOG_EVERY_MS with how many were not: a
   * guesser must not become a flood of log lines (nor of request lines: those it silences). The
   * code itself is never logged — a near miss of a real code is half of it.
   */
  function codeRefused(request: FastifyRequest, status: number, why: string): void {
    const line = codeRefusalLines.take();
    if (line === null) {
      request.quietLog = true;
      return;
    }
    request.log.warn(
      {
        address: request.ip,
        status,
        why,
        ...(line.refusedBefore > 0 ? { alsoNotLogged: line.refusedBefore } : {}),
      },
      'a 处理码 opened nothing',
    );
  }

  app.get('/a/ack.css', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(CSS),
  );

  // The fixed address of a Tencent SMS. Looks nothing up (a preview may fetch it too).
  app.get('/a', { schema: { hide: true } }, async (_request, reply) =>
    sendPage(reply, 200, renderCodePage({ typed: '', wrong: false })),
  );

  app.post('/a', { schema: { hide: true }, bodyLimit: ACK_BODY_LIMIT }, async (request, reply) => {
    const t = now();
    const wait = codesByAddress.blockedFor(request.ip, t);
    if (wait > 0) {
      codeRefused(request, 429, 'too many tries from this address');
      return plain(reply.header('retry-after', String(wait)), 429, 'tooMany', 'entry');
    }
    codesByAddress.count(request.ip, t);
    if (!sameOrigin(request)) return plain(reply, 403, 'origin', 'entry');
    const form = request.body instanceof URLSearchParams ? request.body : null;
    if (form === null) return plain(reply, 415, 'badRequest', 'entry');
    const typed = form.getAll('code');
    const code = typed.length === 1 && typed[0] !== undefined ? normaliseAckCode(typed[0]) : null;
    const token = code === null ? null : stores.ackCodes.find(code, t);
    if (token === null) {
      // The person is told the same either way; the status tells a client which.
      const status = code === null ? 400 : 404;
      codeRefused(request, status, code === null ? 'not the shape of a code' : 'unknown or expired');
      return sendPage(reply, status, renderCodePage({ typed: typed[0] ?? '', wrong: true }));
    }
    // Not a guess: given back (as a good login is).
    codesByAddress.uncount(request.ip, t);
    // Relative to /a: a proxy's path prefix is kept. The token's page checks it as for any link.
    return reply.code(303).header('cache-control', 'no-store').redirect(`a/${token}`, 303);
  });

  app.get<{ Params: { token: string }; Querystring: { done?: string } }>(
    '/a/:token',
    { schema: { hide: true } },
    async (request, reply) => {
      // `/a/` typed by hand for the address of the SMS: the form is at `/a`.
      if (request.params.token === '') return reply.code(303).redirect('../a', 303);
      // The short link of an Alibaba Cloud SMS, PUBLIC_URL/a/<处理码>: on to the signed link it
      // stands for (a lookup, nothing changes; counted against the address as a typed code is).
      if (request.params.token.length <= ACK_CODE_MAX_TYPED) {
        const t = now();
        const wait = codesByAddress.blockedFor(request.ip, t);
        if (wait > 0) {
          codeRefused(request, 429, 'too many tries from this address');
          return plain(reply.header('retry-after', String(wait)), 429, 'tooMany');
        }
        const code = normaliseAckCode(request.params.token);
        const token = code === null ? null : stores.ackCodes.find(code, t);
        if (token === null) {
          codesByAddress.count(request.ip, t);
          codeRefused(request, 404, 'short link: unknown or expired');
          return plain(reply, 404, 'invalid');
        }
        return reply.code(303).header('cache-control', 'no-store').redirect(token, 303);
      }
      const opened = open(request.params.token);
      if (!opened.ok) return plain(reply, opened.page === 'expired' ? 410 : 404, opened.page);
      return sendPage(
        reply,
        200,
        renderAckPage({
          token: request.params.token,
          alert: opened.alert,
          household: opened.household,
          you: opened.name,
          expiresAt: opened.expiresAt,
          now: now(),
          done: recorded(request.query.done, opened.alert, opened.name),
          refusal: null,
          note: '',
        }),
      );
    },
  );

  app.post<{ Params: { token: string } }>(
    '/a/:token',
    { schema: { hide: true }, bodyLimit: ACK_BODY_LIMIT },
    async (request, reply) => {
      const t = now();
      const { token } = request.params;
      const addressWait = byAddress.blockedFor(request.ip, t);
      if (addressWait > 0) return plain(reply.header('retry-after', String(addressWait)), 429, 'tooMany');
      byAddress.count(request.ip, t);
      if (!sameOrigin(request)) return plain(reply, 403, 'origin');
      const opened = open(token);
      if (!opened.ok) return plain(reply, opened.page === 'expired' ? 410 : 404, opened.page);
      const tokenWait = byToken.blockedFor(token, t);
      if (tokenWait > 0) return plain(reply.header('retry-after', String(tokenWait)), 429, 'tooMany');
      byToken.count(token, t);

      const { alert, household, name, actor } = opened;
      const form = request.body instanceof URLSearchParams ? request.body : null;
      const actions = form?.getAll('action') ?? [];
      const action = ACK_ACTIONS.find((a) => actions.length === 1 && a === actions[0]);
      const audit = (status: number) => {
        try {
          stores.users.audit({
            at: now(),
            userId: null,
            username: capText(actor),
            method: 'POST',
            route: action === undefined ? '/a/:token' : `/a/:token (${action})`,
            record: `alert:${alert.id}`,
            status,
            address: request.ip,
          });
        } catch (err) {
          request.log.error({ err }, 'could not write the audit log');
        }
      };
      if (form === null || action === undefined) {
        audit(form === null ? 415 : 400);
        return plain(reply, form === null ? 415 : 400, 'badRequest');
      }
      const note = form.get('note') ?? '';

      let result: Awaited<ReturnType<AlertCommands['command']>>;
      try {
        result = await commands.command(alert.id, commandOf(action, name, note));
      } catch (err) {
        request.log.error({ err, alertId: alert.id }, 'the one-tap action could not reach the safety core');
        audit(503);
        return plain(reply, 503, 'failed');
      }
      request.log.info(
        { alertId: alert.id, actor, action, ok: result.ok, ...(result.ok ? {} : { code: result.code }) },
        'one-tap link used',
      );
      if (result.ok) {
        audit(303);
        // Relative to /a/<token>: a proxy's path prefix is kept.
        return reply.code(303).header('cache-control', 'no-store').redirect(`${token}?done=${action}`, 303);
      }
      const status = appErrorFor(result.code).status;
      audit(status);
      const fresh = stores.alerts.get(alert.id) ?? alert;
      return sendPage(
        reply,
        status,
        renderAckPage({
          token,
          alert: fresh,
          household,
          you: name,
          expiresAt: opened.expiresAt,
          now: now(),
          done: null,
          refusal: refusalWords(result.code, fresh),
          note: action === 'resolve' ? note.slice(0, 2000) : '',
        }),
      );
    },
  );
};
