import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ackHistogram, countsPerLocalDay, responseFigures } from '../../app/daily-report.js';
import { dailyRollUps } from '../../app/daily-roll-ups.js';
import { addDays, isValidTimeZone, parseLocalDate, startOfLocalDay } from '../../domain/zoned-time.js';
import { AppError } from '../../errors.js';
import type { Stores } from '../../app/ports.js';
import { seesCompound, userOf } from '../auth.js';

const LocalDate = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' });
const MAX_DAYS = 366;

/** The stored daily reports, and the response figures for any period (docs/design.md §3). */
export const reportRoutes: FastifyPluginAsyncTypebox<{ stores: Stores; timeZone: string }> = async (
  app,
  { stores, timeZone },
) => {
  app.get(
    '/reports/daily',
    {
      schema: {
        tags: ['reports'],
        summary:
          'The daily report of each of your compounds for a local day, and its roll-ups for the district, each street and each community (within your scope)',
        querystring: Type.Object(
          { day: LocalDate, compoundId: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,14}$' })) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const user = userOf(request);
      if (parseLocalDate(request.query.day) === null)
        throw new AppError('validation', undefined, [{ path: 'querystring.day', message: 'is not a date' }]);
      const wanted = request.query.compoundId === undefined ? null : Number(request.query.compoundId);
      const mine = stores.reports.forDay(request.query.day).filter((r) => seesCompound(user, r.compoundId));
      const items = mine
        .filter((r) => wanted === null || r.compoundId === wanted)
        .map((r) => ({
          compoundId: r.compoundId,
          day: r.day,
          createdAt: new Date(r.createdAt).toISOString(),
          figures: r.data,
        }));
      // The district, its streets and communities: sums of the compounds' reports (app/daily-roll-ups.ts).
      return { items, places: dailyRollUps(stores, user, mine), next: null };
    },
  );

  app.get(
    '/figures',
    {
      schema: {
        tags: ['reports'],
        summary:
          'Response figures per compound for the local days from..to (inclusive): time to acknowledge (median, p90, a histogram), shares within 60 s / 180 s, reached within 45 min, emergencies and missed check-ins per day',
        querystring: Type.Object(
          { from: LocalDate, to: LocalDate, timezone: Type.Optional(Type.String({ maxLength: 64 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const user = userOf(request);
      const zone = request.query.timezone ?? timeZone;
      if (!isValidTimeZone(zone))
        throw new AppError('validation', undefined, [
          { path: 'querystring.timezone', message: 'is not an IANA time zone' },
        ]);
      const { from, to } = request.query;
      if (parseLocalDate(from) === null || parseLocalDate(to) === null || to < from) {
        throw new AppError('validation', undefined, [
          { path: 'querystring', message: 'from and to must be dates with from ≤ to' },
        ]);
      }
      if (addDays(from, MAX_DAYS) < to)
        throw new AppError('validation', undefined, [{ path: 'querystring.to', message: `at most ${MAX_DAYS} days` }]);
      const start = startOfLocalDay(from, zone);
      const end = startOfLocalDay(addDays(to, 1), zone);
      const opened = stores.reports.openedBetween(start, end);
      const items = stores.places
        .listCompounds()
        .filter((c) => seesCompound(user, c.id))
        .map((c) => {
          const mine = opened.filter((a) => a.compoundId === c.id);
          return {
            compoundId: c.id,
            compound: c.name,
            from,
            to,
            timezone: zone,
            ...responseFigures(mine),
            // Emergencies by time to acknowledge, in fixed buckets (ACK_BUCKETS), never-acknowledged last.
            ackHistogram: ackHistogram(mine),
            // Every local day of the period, with the emergencies and missed check-ins opened on it.
            days: countsPerLocalDay(mine, from, to, zone),
          };
        });
      return { items, next: null };
    },
  );
};
