import { timingSafeEqual } from 'node:crypto';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { createConnectRateLimiter } from '../../../broker/rate-limit.js';
import { recordCallReports } from '../../app/call-results.js';
import { hashHookKey } from '../../app/channels.js';
import type { Stores } from '../../app/ports.js';
import { AppError } from '../../errors.js';
import { createWindowBudget } from '../../log.js';
import { parseAliyunVoiceReports, parseTencentVoiceCallback } from '../../notify/call-report.js';

/** A batch of Alibaba Cloud's reports is at most 100 items of ~400 bytes. */
export const HOOK_BODY_LIMIT = 128 * 1024;
/** Per source address: a burst, then a steady rate (a provider pushes in batches, not in floods). */
export const HOOK_RATE = { burst: 60, ratePerSec: 5 };

/**
 * Call results from the voice providers (issue 13): `POST /hooks/voice/:channelId/:key`, no
 * login (the provider's servers post here), the key from the channel's callback URL compared in
 * constant time. An unknown channel or a wrong key answers 404, the same, so nothing tells which
 * channels exist. Each provider is answered as its documentation asks — Alibaba Cloud
 * `{"code":0,"msg":"接收成功"}`, Tencent Cloud `{"result":0,"errmsg":"OK"}` — once what it sent is
 * stored, or when it names calls we do not know (a retry would not make them known).
 */
export const hookRoutes: FastifyPluginAsyncTypebox<{ stores: Stores; now: () => number; log: Logger }> = async (
  app,
  { stores, now, log },
) => {
  const limiter = createConnectRateLimiter({ ...HOOK_RATE, maxTracked: 10_000 });
  const unknownLines = createWindowBudget(10, 60_000, now);
  const hookLog = log.child({ component: 'call-results' });

  app.post(
    '/hooks/voice/:channelId/:key',
    {
      bodyLimit: HOOK_BODY_LIMIT,
      schema: {
        tags: ['hooks'],
        summary: 'Call results pushed by Alibaba Cloud or Tencent Cloud (the voice channel’s callback URL)',
        params: Type.Object(
          {
            channelId: Type.String({ pattern: '^[1-9][0-9]{0,14}$' }),
            key: Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}$' }),
          },
          { additionalProperties: false },
        ),
      },
      // Before the body is read: a flood costs no parsing.
      onRequest: async (request) => {
        if (!limiter.take(request.ip, now())) throw new AppError('rateLimited', undefined, undefined, 1);
      },
    },
    async (request, reply) => {
      const channelId = Number(request.params.channelId);
      const channel = stores.channels.get(channelId);
      const stored = channel === null ? null : stores.channels.hookKey(channelId);
      const given = hashHookKey(request.params.key);
      // Compared even when there is nothing to compare with: the time says nothing either.
      const matches = timingSafeEqual(given, stored ?? Buffer.alloc(given.length)) && stored !== null;
      if (channel === null || !matches) throw new AppError('notFound');

      const aliyun = channel.kind === 'aliyun-voice';
      const parsed = aliyun ? parseAliyunVoiceReports(request.body) : parseTencentVoiceCallback(request.body);
      if (!parsed.ok) {
        hookLog.warn({ channelId, reason: parsed.reason }, 'call results not understood');
        return reply.code(400).send(aliyun ? { code: 1, msg: parsed.reason } : { result: 1, errmsg: parsed.reason });
      }
      const outcome = recordCallReports(stores, channelId, parsed.reports, now());
      if (outcome.unknown.length > 0) {
        const line = unknownLines.take();
        if (line !== null)
          hookLog.warn(
            {
              channelId,
              unknownCallIds: outcome.unknown.slice(0, 5),
              count: outcome.unknown.length,
              ...(line.refusedBefore > 0 ? { alsoNotLogged: line.refusedBefore } : {}),
            },
            'call results for calls this channel did not make: ignored',
          );
      }
      if (outcome.recorded > 0) hookLog.info({ channelId, recorded: outcome.recorded }, 'call results recorded');
      return aliyun ? { code: 0, msg: '接收成功' } : { result: 0, errmsg: 'OK' };
    },
  );
};
