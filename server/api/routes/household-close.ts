import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { closeHousehold, closingCommand, reopenHousehold } from '../../app/households.js';
import type { Household } from '../../app/ports.js';
import { AppError } from '../../errors.js';
import { assertEdits, requireRole, seesCompound } from '../auth.js';
import { IdParams } from '../paging.js';
import type { AlertCommands } from './alerts.js';
import { householdDetail, type HouseholdDeps } from './households.js';
import { CloseBody, refusalError } from './household-schemas.js';

/**
 * Closing a household (passed away, moved out, to a care home) and undoing a close made by
 * mistake (issue 15; the rules are app/households.ts, shared with the admin CLI). A close is
 * committed first — check-ins stop, devices retired, so no press or sweep can add to it — and
 * then its devices' connections are closed and its open alerts (never an emergency: a close is
 * refused while one is open) resolved through the safety core, as a person's resolve is.
 */
export const householdCloseRoutes: FastifyPluginAsyncTypebox<
  HouseholdDeps & { alerts: AlertCommands; disconnectDevice?: (deviceId: string) => void }
> = async (app, deps) => {
  const { stores, now } = deps;

  app.post(
    '/households/:id/close',
    {
      schema: {
        tags: ['households'],
        summary:
          'Close a household (staff, admin): reason passed_away|moved_out|care_home|other, the date; check-ins stop, devices retired, open alerts resolved; 409 while an emergency is open',
        params: IdParams,
        body: CloseBody,
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin', 'staff');
      const h = stores.places.getHousehold(Number(request.params.id));
      if (h === null || !seesCompound(user, h.compoundId))
        throw new AppError('notFound', `household ${request.params.id} not found`);
      assertEdits(user, h.compoundId);
      const closed = deps.commit((announce) => {
        const outcome = closeHousehold(stores, h.id, request.body, now());
        if (!outcome.ok) throw refusalError(outcome);
        announce({ type: 'household', householdId: h.id, at: now() });
        return outcome;
      });
      request.auditRecord = `household:${h.id}:closed ${request.body.reason}`;
      // Stored first, so a reconnect is refused (docs/protocol.md §3), as DELETE /api/devices/:id does.
      for (const id of closed.devices) deps.disconnectDevice?.(id);
      const by = user.displayName || user.username;
      for (const alertId of closed.alerts) {
        const result = await deps.alerts.command(alertId, closingCommand(by));
        // Resolved meanwhile by someone else: nothing left to do.
        if (!result.ok)
          request.log.info({ alertId, code: result.code }, 'an alert of a closed household was not resolved');
      }
      return householdDetail(stores, stores.places.getHousehold(h.id) as Household, user);
    },
  );

  app.post(
    '/households/:id/reopen',
    {
      schema: {
        tags: ['households'],
        summary: 'Reopen a household closed by mistake (admin); its devices stay retired; 409 if its address is taken',
        params: IdParams,
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin');
      const id = Number(request.params.id);
      if (stores.places.getHousehold(id) === null) throw new AppError('notFound', `household ${id} not found`);
      const reopened = deps.commit((announce) => {
        const outcome = reopenHousehold(stores, id, now());
        if (!outcome.ok) throw refusalError(outcome);
        announce({ type: 'household', householdId: id, at: now() });
        return outcome;
      });
      request.auditRecord = `household:${id}:reopened`;
      return householdDetail(stores, reopened.household, user);
    },
  );
};
