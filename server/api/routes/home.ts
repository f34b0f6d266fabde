import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/**
 * The dashboard (dashboard/, built by Vite into dashboard/dist): `index.html` at `/`, hashed
 * files under `/assets/` (cached for a year: their names change with their content). Everything
 * is served from here; the page loads nothing from elsewhere, and its Content-Security-Policy
 * says so.
 *
 * When the dashboard has not been built (`npm run build`), `/` is a small page in Chinese and
 * English that says so and links the API documentation.
 */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/dist', import.meta.url));

export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>彩带之约 · Ribbon Pact</title>
<style>
  body { font-family: system-ui, "Noto Sans CJK SC", sans-serif; margin: 2rem auto; max-width: 40rem; padding: 0 1rem; line-height: 1.6; color: #1a1a1a; }
  .en { color: #444; }
  a { color: #0b57d0; }
</style>
</head>
<body>
<h1>彩带之约 · Ribbon Pact</h1>
<p>服务正在运行，但仪表盘尚未构建：请运行 <code>npm run build</code> 后重启。<br>
<span class="en">The server is running, but the dashboard has not been built: run <code>npm run build</code> and restart.</span></p>
<ul>
  <li><a href="/docs">接口文档 / API documentation</a></li>
  <li><a href="/healthz">健康检查 / health</a></li>
</ul>
</body>
</html>
`;

export const homeRoutes: FastifyPluginAsync<{ dashboardDir?: string }> = async (app, opts) => {
  const dir = opts.dashboardDir ?? DEFAULT_DASHBOARD_DIR;
  const indexFile = join(dir, 'index.html');
  const index = existsSync(indexFile) ? readFileSync(indexFile) : null;

  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    reply
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .header('x-frame-options', 'DENY');
    if (index === null) return reply.type('text/html; charset=utf-8').send(NOT_BUILT);
    return reply.header('content-security-policy', DASHBOARD_CSP).type('text/html; charset=utf-8').send(index);
  });

  if (index === null) return;
  const favicon = join(dir, 'favicon.svg');
  if (existsSync(favicon)) {
    const icon = readFileSync(favicon);
    app.get('/favicon.svg', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('cache-control', 'public, max-age=86400').type('image/svg+xml').send(icon),
    );
  }
  // The service worker that lets the page open offline; never cached by HTTP, so an update is seen.
  const worker = join(dir, 'sw.js');
  if (existsSync(worker)) {
    const script = readFileSync(worker);
    app.get('/sw.js', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .type('text/javascript; charset=utf-8')
        .send(script),
    );
  }
  await app.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    // The names carry a hash of the content.
    immutable: true,
    maxAge: '365d',
    schemaHide: true,
  });
};
