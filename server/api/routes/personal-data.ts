import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Announcer } from '../../app/announce.js';
import {
  anonymiseHousehold,
  exportFileName,
  householdData,
  type PersonalDataStore,
  personData,
} from '../../app/personal-data.js';
import type { Household, Stores } from '../../app/ports.js';
import { HOUSEHOLD_CHANGES_KEPT } from '../../app/retention.js';
import type { RetentionSettings } from '../../config.js';
import { AppError } from '../../errors.js';
import { requireRole, seesCompound } from '../auth.js';
import { IdParams } from '../paging.js';
import { householdView } from '../views.js';

export type PersonalDataDeps = {
  stores: Stores;
  now: () => number;
  personalData: PersonalDataStore;
  /** Runs a change in one transaction; what it announces goes out after the commit. */
  commit: Announcer['commit'];
  retention: RetentionSettings & { timeZone: string };
};

/** `attachment` with the name as UTF-8 (RFC 6266, RFC 5987) and an ASCII fallback. */
function attachment(name: string, fallback: string): string {
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * The data's lifecycle (docs/api.md "Personal data", docs/privacy.md): one person's data as a
 * file, a closed household anonymised, and the retention settings. Exports are audited (the
 * audit hook records a GET that names its record).
 */
export const personalDataRoutes: FastifyPluginAsyncTypebox<PersonalDataDeps> = async (app, deps) => {
  const { stores, now, personalData } = deps;

  app.get(
    '/settings/retention',
    { schema: { tags: ['settings'], summary: 'How long records are kept (admin)' } },
    async (request) => {
      requireRole(request, 'admin');
      const r = deps.retention;
      return {
        eventsMonths: r.eventsMonths,
        visitsMonths: r.eventsMonths,
        rejectedMonths: r.rejectedMonths,
        auditMonths: r.auditMonths,
        householdChangesKept: HOUSEHOLD_CHANGES_KEPT,
        time: r.time,
        timeZone: r.timeZone,
      };
    },
  );

  app.get(
    '/households/:id/personal-data',
    {
      schema: {
        tags: ['households'],
        summary: "Everything stored about a household's elder, as a JSON file (staff of it, admin)",
        params: IdParams,
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'staff');
      const id = Number(request.params.id);
      const h = stores.places.getHousehold(id);
      if (h === null || !seesCompound(user, h.compoundId)) throw new AppError('notFound', `household ${id} not found`);
      const at = now();
      const data = householdData(personalData, id, at);
      if (data === null) throw new AppError('notFound', `household ${id} not found`);
      request.auditRecord = `household:${id}`;
      return reply
        .header(
          'content-disposition',
          attachment(
            `个人信息-住户${id}-${new Date(at).toISOString().slice(0, 10)}.json`,
            exportFileName('household', id, at),
          ),
        )
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(data, null, 2));
    },
  );

  app.get(
    '/people/:id/personal-data',
    {
      schema: {
        tags: ['people'],
        summary: 'Everything stored about a person, as a JSON file (admin; staff of their compound)',
        params: IdParams,
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'staff');
      const id = Number(request.params.id);
      const person = stores.people.get(id);
      // Staff see the people of their compounds; a community's or the district's people: admins.
      if (
        person === null ||
        !(user.role === 'admin' || (person.compoundId !== null && seesCompound(user, person.compoundId)))
      )
        throw new AppError('notFound', `person ${id} not found`);
      const at = now();
      const data = personData(personalData, id, at);
      if (data === null) throw new AppError('notFound', `person ${id} not found`);
      request.auditRecord = `person:${id}`;
      return reply
        .header(
          'content-disposition',
          attachment(
            `个人信息-人员${id}-${new Date(at).toISOString().slice(0, 10)}.json`,
            exportFileName('person', id, at),
          ),
        )
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(data, null, 2));
    },
  );

  app.post(
    '/households/:id/anonymise',
    {
      schema: {
        tags: ['households'],
        summary: "A closed household's personal data removed: name, contacts, notes (admin)",
        params: IdParams,
      },
    },
    async (request) => {
      requireRole(request, 'admin');
      const id = Number(request.params.id);
      request.auditRecord = `household:${id}`;
      const done = deps.commit((announce) => {
        const result = anonymiseHousehold(personalData, id, now());
        if (result.ok && result.changed) announce({ type: 'household', householdId: id, at: now() });
        return result;
      });
      if (!done.ok) {
        if (done.kind === 'notFound') throw new AppError('notFound', `household ${id} not found`);
        throw new AppError(
          'conflict',
          `住户 #${id} 尚未注销：只有已注销的住户可以匿名化 / household ${id} is not closed: only a closed household can be anonymised`,
        );
      }
      return { ...householdView(stores.places.getHousehold(id) as Household), anonymised: true };
    },
  );
};
