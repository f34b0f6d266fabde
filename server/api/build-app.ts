import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from '../metrics.js';

export type HealthReport = { ok: boolean; checks: Record<string, string | number | boolean> };

export type AppDeps = {
  log: Logger;
  registry: Registry;
  health: () => HealthReport;
};

/** The HTTP app, not listening (main.ts listens; tests use app.inject()). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // Health checks and scrapes every few seconds would drown the log; the rest is logged.
    logController: new LogController({
      disableRequestLogging: (request) => request.url === '/healthz' || request.url === '/metrics',
    }),
    bodyLimit: 64 * 1024,
  });

  app.get('/healthz', async (_request, reply) => {
    const report = deps.health();
    return reply.code(report.ok ? 200 : 503).send({ status: report.ok ? 'ok' : 'unhealthy', ...report.checks });
  });

  app.get('/metrics', async (_request, reply) => {
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(deps.registry.render());
  });

  return app;
}
