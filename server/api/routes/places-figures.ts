import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { formatCsv, CSV_BOM } from '../../app/roster/csv.js';
import { placeFigures, type PlaceFiguresJson, type PlaceJson } from '../../app/roll-ups.js';
import { parseLocalDate } from '../../domain/zoned-time.js';
import { LEVEL_WORDS, SCOPE_LEVELS } from '../../domain/places.js';
import { AppError } from '../../errors.js';
import type { Stores } from '../../app/ports.js';
import { userOf } from '../auth.js';

const Query = Type.Object(
  {
    level: Type.Optional(Type.Union(SCOPE_LEVELS.map((l) => Type.Literal(l)))),
    id: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,14}$' })),
    day: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' })),
  },
  { additionalProperties: false },
);

/** The CSV's columns: Chinese first (Excel users read it), English after, then the cell. */
const COLUMNS: ReadonlyArray<readonly [string, (p: PlaceFiguresJson & { parent: PlaceJson | null }) => string]> = [
  ['层级 level', (p) => `${LEVEL_WORDS[p.level].zh} ${p.level}`],
  ['编号 id', (p) => String(p.id)],
  ['名称 name', (p) => p.name],
  ['上级 parent', (p) => p.parent?.name ?? ''],
  ['小区数 compounds', (p) => String(p.compounds)],
  ['户数 households', (p) => String(p.figures.households)],
  ['有可用设备户数 households with a working device', (p) => String(p.figures.coverage.count)],
  ['设备覆盖率% coverage %', (p) => pct(p.figures.coverage.pct)],
  ['当日有音讯户数 households heard from that day', (p) => String(p.figures.heard.count)],
  ['当日有音讯率% heard from %', (p) => pct(p.figures.heard.pct)],
  ['设备数 devices', (p) => String(p.figures.devices)],
  ['离线设备 devices offline', (p) => String(p.figures.devicesOffline)],
  ['未处理紧急求助 open emergencies', (p) => String(p.figures.openAlerts.emergency)],
  ['未处理服务请求 open service requests', (p) => String(p.figures.openAlerts.service)],
  ['未处理未报平安 open missed check-ins', (p) => String(p.figures.openAlerts.missed_checkin)],
  ['未处理设备故障 open device faults', (p) => String(p.figures.openAlerts.device)],
  ['当日未报平安 missed check-ins', (p) => String(p.figures.missedCheckins)],
  ['当日紧急求助 emergencies', (p) => String(p.figures.emergency.opened)],
  ['60秒内响应 acknowledged within 60 s', (p) => String(p.figures.emergency.ackWithin60s.count)],
  ['60秒内响应率% within 60 s %', (p) => pct(p.figures.emergency.ackWithin60s.pct)],
  ['180秒内响应 acknowledged within 180 s', (p) => String(p.figures.emergency.ackWithin180s.count)],
  ['180秒内响应率% within 180 s %', (p) => pct(p.figures.emergency.ackWithin180s.pct)],
  ['45分钟内到场 reached within 45 min', (p) => String(p.figures.emergency.arrivedWithin45min.count)],
  ['45分钟内到场率% reached within 45 min %', (p) => pct(p.figures.emergency.arrivedWithin45min.pct)],
];

const pct = (v: number | null) => (v === null ? '' : String(v));

/** The CSV header row (the test and the docs read it from here). */
export const PLACE_FIGURES_CSV_HEADER: readonly string[] = COLUMNS.map(([h]) => h);

/**
 * Roll-ups per place (issue 14, point 3): GET /api/figures/places (JSON: a place, its children,
 * a compound's households) and /api/figures/places.csv (the place and every place under it, for
 * Excel). Any signed-in user, within their scope only (app/place-tree.ts).
 */
export const placeFiguresRoutes: FastifyPluginAsyncTypebox<{
  stores: Stores;
  timeZone: string;
  now: () => number;
}> = async (app, { stores, timeZone, now }) => {
  function figures(request: FastifyRequest, query: Static<typeof Query>) {
    const user = userOf(request);
    if ((query.level === undefined) !== (query.id === undefined))
      throw new AppError('validation', undefined, [
        { path: 'querystring', message: 'level and id go together (or neither: your own top place)' },
      ]);
    if (query.day !== undefined && parseLocalDate(query.day) === null)
      throw new AppError('validation', undefined, [{ path: 'querystring.day', message: 'is not a date' }]);
    const place = query.level === undefined ? null : { level: query.level, id: Number(query.id) };
    const result = placeFigures(stores, user, { place, day: query.day ?? null, timeZone, now: now() });
    // Not there, or none of its compounds is the user's: the same answer, so nothing leaks.
    if (result === null) throw new AppError('notFound');
    return result;
  }

  app.get(
    '/figures/places',
    {
      schema: {
        tags: ['reports'],
        summary:
          'Roll-ups of a place (district, street, community or compound; default: your top place) for a local day, its sub-places, and a compound’s households',
        querystring: Query,
      },
    },
    async (request) => {
      const { all: _all, ...result } = figures(request, request.query);
      return result;
    },
  );

  app.get(
    '/figures/places.csv',
    {
      schema: {
        tags: ['reports'],
        summary: 'The roll-ups of a place and every place under it down to the compounds, as CSV (UTF-8 with BOM)',
        querystring: Query,
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const result = figures(request, request.query);
      const rows = [PLACE_FIGURES_CSV_HEADER, ...result.all.map((p) => COLUMNS.map(([, cell]) => cell(p)))];
      const name = `figures-${result.place.level}-${result.place.id}-${result.day}.csv`;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(Buffer.from(CSV_BOM + formatCsv(rows), 'utf8'));
    },
  );
};
