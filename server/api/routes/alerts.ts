import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CommandResult } from '../../app/alerting.js';
import type { AlertCommand } from '../../domain/alert.js';
import { AppError, appErrorFor } from '../../errors.js';
import type { Alert, Household, Stores, User } from '../../app/ports.js';
import { assertEdits, seesCompound, userOf } from '../auth.js';
import { IdParams, keysetPage, PageQuery } from '../paging.js';
import { alertView, alertViewOf, iso, notificationView } from '../views.js';

export type AlertCommands = { command(alertId: number, command: AlertCommand): Promise<CommandResult> };

const Note = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
const ResolveBody = Type.Object(
  { note: Type.String({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false },
);

export const alertRoutes: FastifyPluginAsyncTypebox<{ stores: Stores; commands: AlertCommands }> = async (
  app,
  { stores, commands },
) => {
  const view = (a: Alert) => alertViewOf(stores, a);

  /** The alert and its household if this user may see them; 404 otherwise. */
  function visible(id: string, user: User): { alert: Alert; household: Household } {
    const alert = stores.alerts.get(Number(id));
    const household = alert ? stores.places.getHousehold(alert.householdId) : null;
    if (alert === null || household === null || !seesCompound(user, household.compoundId))
      throw new AppError('notFound', `alert ${id} not found`);
    return { alert, household };
  }

  app.get(
    '/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Alerts you may see, newest first',
        querystring: Type.Object(
          {
            status: Type.Optional(
              Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved')]),
            ),
            kind: Type.Optional(
              Type.Union([
                Type.Literal('emergency'),
                Type.Literal('service'),
                Type.Literal('missed_checkin'),
                Type.Literal('device'),
              ]),
            ),
            householdId: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,14}$' })),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const user = userOf(request);
      const q = request.query;
      const { rows, next } = keysetPage(
        q,
        ['openedAt', 'id'],
        (cursor, n) =>
          stores.alerts.page(
            {
              ...(q.status ? { status: q.status } : {}),
              ...(q.kind ? { kind: q.kind } : {}),
              ...(q.householdId ? { householdId: Number(q.householdId) } : {}),
              compoundIds: user.role === 'admin' ? null : user.compoundIds,
            },
            cursor,
            n,
          ),
        (a) => ({ openedAt: a.openedAt, id: a.id }),
      );
      return { items: rows.map(view), next };
    },
  );

  app.get(
    '/alerts/:id',
    { schema: { tags: ['alerts'], summary: 'One alert, its history and whom it was sent to', params: IdParams } },
    async (request) => {
      const user = userOf(request);
      const { alert, household } = visible(request.params.id, user);
      const calls = stores.callResults.forAlert(alert.id);
      return {
        ...alertView(alert, household),
        transitions: stores.alerts
          .transitions(alert.id)
          .map((t) => ({ action: t.action, by: t.by, note: t.note, level: t.level, at: iso(t.at) })),
        notifications: stores.outbox.forAlert(alert.id).map((n) => notificationView(n, user, calls)),
      };
    },
  );

  const act = (
    name: string,
    summary: string,
    body: typeof Note | typeof ResolveBody,
    command: (user: User, note: string | undefined) => AlertCommand,
    onlyKind?: Alert['kind'],
  ) =>
    app.post(
      `/alerts/:id/${name}`,
      {
        schema: { tags: ['alerts'], summary, params: IdParams, body },
        // `POST /api/alerts/:id/ack` with no body at all is an acknowledgement without a note.
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) request.body = {};
        },
      },
      async (request) => {
        const user = userOf(request);
        const { alert, household } = visible(request.params.id, user);
        assertEdits(user, household.compoundId);
        if (onlyKind !== undefined && alert.kind !== onlyKind)
          throw new AppError('alertState', `only a ${onlyKind} alert can be claimed`);
        const result = await commands.command(alert.id, command(user, (request.body as { note?: string }).note));
        request.auditRecord = `alert:${alert.id}`;
        // A refusal answers by its catalogue entry: 400 for a missing note, 409 for the alert's
        // state, 404 for an alert gone since it was read above.
        if (!result.ok) throw appErrorFor(result.code, result.message);
        return alertView(result.alert, household);
      },
    );

  const who = (user: User) => user.displayName || user.username;
  act('ack', '我去处理 — acknowledge: someone is on the way (tells the button)', Note, (u, note) => ({
    type: 'acknowledge',
    by: who(u),
    note: note ?? null,
  }));
  act(
    'claim',
    'Claim a service request (yellow): you will do it',
    Note,
    (u, note) => ({ type: 'acknowledge', by: who(u), note: note ?? null }),
    'service',
  );
  act('arrived', '已到达 — arrived at the door (emergencies)', Note, (u, note) => ({
    type: 'arrive',
    by: who(u),
    note: note ?? null,
  }));
  act('resolve', '已解决 — resolve, with the outcome', ResolveBody, (u, note) => ({
    type: 'resolve',
    by: who(u),
    note: note ?? '',
  }));
};
