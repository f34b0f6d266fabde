import { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Stores } from '../app/ports.js';
import { STATE_CHANGING } from './auth.js';
import { createWindowBudget } from '../log.js';

/**
 * The audit log records what people did (docs/api.md, "Audit log"): every state-changing request
 * under /api by someone signed in or trying to sign in, however it ended, and any request a route
 * marks with an audit record (a bulk export of personal data).
 *
 * A request by nobody signed in is not a person's act, and a flood of them must not fill the
 * database nor take its write lock from the safety core: to a route that does not exist, or
 * refused before any check (429, 503), it leaves no row; otherwise (a 401 on a real route, a failed
 * login) at most ANONYMOUS_ROWS_PER_MINUTE rows a minute. What is not stored is logged at a
 * bounded rate instead, with a count of what was left out.
 */
export const ANONYMOUS_ROWS_PER_MINUTE = 60;
export const UNAUDITED_LOG_LINES_PER_MINUTE = 10;
/** A stored path or record never exceeds this many characters (a raw path can be 15,000 long). */
export const AUDIT_FIELD_MAX = 300;

/** Cut to `max` characters, marked with "…", never leaving half a surrogate pair. */
export function capText(text: string, max = AUDIT_FIELD_MAX): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * Fastify's request log without the per-request lines of what the audit hook chose to log at a
 * bounded rate; one line per request, at its end, with the request in it (the "incoming request"
 * line would come before anyone knows who asked, and double a flood).
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: unknown): void {
    if (this.isLogDisabled(request) || request.quietLog === true) return;
    const r = reply as { log: Logger; elapsedTime: number };
    if (error) r.log.error({ req: request, res: reply, err: error, responseTime: r.elapsedTime }, 'request errored');
    else r.log.info({ req: request, res: reply, responseTime: r.elapsedTime }, 'request completed');
  }
}

/** The onResponse hook that writes the audit log. `isApi` judges by the matched route, not the raw URL. */
export function registerAudit(
  app: FastifyInstance,
  deps: { stores: Stores; now: () => number; log: Logger; isApi: (request: FastifyRequest) => boolean },
): void {
  const { stores, now, isApi } = deps;
  const rows = createWindowBudget(ANONYMOUS_ROWS_PER_MINUTE, 60_000, now);
  const lines = createWindowBudget(UNAUDITED_LOG_LINES_PER_MINUTE, 60_000, now);
  const log = deps.log.child({ component: 'audit' });
  app.decorateRequest('auditRecord', null);
  app.decorateRequest('quietLog', false);

  app.addHook('onResponse', async (request, reply) => {
    if (!(STATE_CHANGING.has(request.method) || request.auditRecord !== null) || !isApi(request)) return;
    const route = request.routeOptions.url;
    const path = route ?? capText(request.url.split('?')[0] ?? request.url);
    const signedIn = request.auth !== null || request.auditUser !== undefined;
    if (!signedIn) {
      const refusedUnchecked = reply.statusCode === 429 || reply.statusCode === 503;
      if (route === undefined || refusedUnchecked || rows.take() === null) {
        request.quietLog = true;
        const line = lines.take();
        if (line !== null) {
          log.warn(
            {
              method: request.method,
              path,
              status: reply.statusCode,
              address: request.ip,
              ...(line.refusedBefore > 0 ? { alsoNotLogged: line.refusedBefore } : {}),
            },
            'request by nobody signed in: not audited',
          );
        }
        return;
      }
    }
    try {
      stores.users.audit({
        at: now(),
        userId: request.auth?.user.id ?? request.auditUser?.id ?? null,
        username: request.auth?.user.username ?? request.auditUser?.username ?? request.auditUsername ?? null,
        method: request.method,
        route: path,
        record: capRecord(request),
        status: reply.statusCode,
        address: request.ip,
      });
    } catch (err) {
      request.log.error({ err }, 'could not write the audit log');
    }
  });
}

function capRecord(request: FastifyRequest): string | null {
  if (request.auditRecord !== null) return capText(request.auditRecord);
  const params = request.params;
  if (typeof params === 'object' && params !== null && 'id' in params) {
    return capText(String((params as { id: unknown }).id));
  }
  return null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The record a state-changing request touched, for the audit log. */
    auditRecord: string | null;
    /** For a login: the name that was tried, and who it turned out to be. */
    auditUsername?: string | null;
    auditUser?: { id: number; username: string };
    /** Logged by the audit hook at a bounded rate: no per-request line. */
    quietLog: boolean;
  }
}
