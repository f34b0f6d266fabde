import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { addChannel, callbackPath, publicChannel, type PublicChannel } from '../../app/channels.js';
import type { Stores } from '../../app/ports.js';
import { AppError } from '../../errors.js';
import { CHANNEL_KINDS } from '../../notify/types.js';
import { requireRole, seesCompound } from '../auth.js';
import { IdParams, PageQuery, pageById } from '../paging.js';

/**
 * Where notifications go (docs/api.md "Channels"): group robots and webhooks, and the SMS and
 * voice channels of Alibaba Cloud and Tencent Cloud (issue 13). Secrets are write-only: a
 * channel is listed with each secret as "set" (app/channels.ts). A voice channel's callback URL,
 * with its key, is answered once, when the channel is added.
 */
export const channelRoutes: FastifyPluginAsyncTypebox<{
  stores: Stores;
  now: () => number;
  /** PUBLIC_URL: the base of the callback URL; without it, the address this request came to. */
  publicUrl?: string;
}> = async (app, { stores, now, publicUrl }) => {
  const compoundName = (id: number | null): string | null =>
    id === null ? null : (stores.places.getCompound(id)?.name ?? null);
  const view = (c: PublicChannel) => ({ ...c, compound: compoundName(c.compoundId) });

  app.get(
    '/channels',
    {
      schema: {
        tags: ['channels'],
        summary: 'Notification channels (staff: of your compounds and for all; admin: all), secrets shown as "set"',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin', 'staff');
      return pageById(
        stores.channels
          .list()
          .filter((c) => c.compoundId === null || seesCompound(user, c.compoundId))
          .map((c) => view(publicChannel(c))),
        request.query,
      );
    },
  );

  app.post(
    '/channels',
    {
      schema: {
        tags: ['channels'],
        summary:
          'Add a channel (admin): kind, name, compound (id, or null for all) and the kind’s settings; a voice channel answers its callback URL once',
        // The settings are the kind's own (server/notify/phone.ts, notify/index.ts), checked by its parser.
        body: Type.Object(
          {
            kind: Type.Union(CHANNEL_KINDS.map((k) => Type.Literal(k))),
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            compound: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
          },
          { additionalProperties: true, maxProperties: 20 },
        ),
      },
    },
    async (request, reply) => {
      requireRole(request, 'admin');
      const { name, compound, ...config } = request.body as Record<string, unknown> & {
        name?: string;
        compound?: number | null;
      };
      const compoundId = compound ?? null;
      if (compoundId !== null && stores.places.getCompound(compoundId) === null)
        throw new AppError('validation', undefined, [
          { path: 'body.compound', message: `compound ${compoundId} does not exist` },
        ]);
      const added = addChannel(stores, { name, compoundId, config }, now());
      if (!added.ok)
        throw new AppError('validation', `channel: ${added.reason}`, [{ path: 'body', message: added.reason }]);
      request.auditRecord = `channel:${added.channel.id}`;
      const base = (publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
      return reply.code(201).send({
        ...view(added.channel),
        ...(added.callbackKey === null
          ? {}
          : { callbackUrl: `${base}${callbackPath(added.channel.id, added.callbackKey)}` }),
      });
    },
  );

  app.delete(
    '/channels/:id',
    {
      schema: {
        tags: ['channels'],
        summary: 'Retire a channel (admin): nothing more is sent through it',
        params: IdParams,
      },
    },
    async (request, reply) => {
      requireRole(request, 'admin');
      const id = Number(request.params.id);
      if (!stores.channels.retire(id, now())) throw new AppError('notFound', `channel ${id} not found`);
      request.auditRecord = `channel:${id}`;
      return reply.code(204).send();
    },
  );
};
