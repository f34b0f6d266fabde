import { Type, type Static } from '@fastify/type-provider-typebox';
import type { AuditFilter } from '../app/ports.js';
import { AppError } from '../errors.js';
import { INSTANT, parseInstant } from './observed-at.js';
import { PageQuery } from './paging.js';

/** GET /api/audit's query (docs/api.md, "Audit log"): the page, and filters that each narrow. */
export const AuditQuery = Type.Object(
  {
    ...PageQuery,
    username: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'who (any case), as logged in or as tried' }),
    ),
    method: Type.Optional(
      Type.Union(
        ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => Type.Literal(m)),
        {
          description: 'the HTTP method',
        },
      ),
    ),
    route: Type.Optional(
      Type.String({ minLength: 1, maxLength: 300, description: 'the start of the route, e.g. /api/households' }),
    ),
    record: Type.Optional(
      Type.String({ minLength: 1, maxLength: 300, description: 'the start of the record, e.g. household:12' }),
    ),
    status: Type.Optional(
      Type.String({ pattern: '^[1-5]([0-9]{2}|xx)$', description: 'a status (403) or a class (4xx)' }),
    ),
    from: Type.Optional(
      Type.String({ pattern: INSTANT.source, maxLength: 40, description: 'at or after (ISO 8601 with a zone)' }),
    ),
    to: Type.Optional(
      Type.String({ pattern: INSTANT.source, maxLength: 40, description: 'before (ISO 8601 with a zone)' }),
    ),
  },
  { additionalProperties: false },
);

/** The filter of a checked query; 400 with the field's path for a time that is not real, or from ≥ to. */
export function auditFilterOf(query: Static<typeof AuditQuery>): AuditFilter {
  const filter: AuditFilter = {};
  if (query.username !== undefined) filter.username = query.username;
  if (query.method !== undefined) filter.method = query.method;
  if (query.route !== undefined) filter.routePrefix = query.route;
  if (query.record !== undefined) filter.recordPrefix = query.record;
  if (query.status !== undefined) {
    const cls = query.status.endsWith('xx');
    const n = Number(cls ? `${query.status[0]}00` : query.status);
    filter.status = { min: n, max: cls ? n + 99 : n };
  }
  for (const field of ['from', 'to'] as const) {
    const text = query[field];
    if (text === undefined) continue;
    const parsed = parseInstant(text);
    if (!parsed.ok)
      throw new AppError('validation', undefined, [{ path: `querystring.${field}`, message: parsed.reason }]);
    filter[field] = parsed.value;
  }
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to)
    throw new AppError('validation', undefined, [{ path: 'querystring.to', message: 'must be after from' }]);
  return filter;
}
