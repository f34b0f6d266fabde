import type { FastifyPluginAsync } from 'fastify';

/**
 * The front page until the dashboard (issue #5) is served here: it says the service is up and
 * where the API and its documentation are. Chinese first, English second; no personal data,
 * no outside assets.
 */
const PAGE = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>彩带之约 · Ribbon Pact</title>
<style>
  body { font-family: system-ui, "Noto Sans CJK SC", sans-serif; margin: 2rem auto; max-width: 40rem; padding: 0 1rem; line-height: 1.6; color: #1a1a1a; }
  h1 { font-size: 1.6rem; }
  .en { color: #444; }
  li { margin: .4rem 0; }
  a { color: #0b57d0; }
</style>
</head>
<body>
<h1>彩带之约 · Ribbon Pact</h1>
<p>服务正在运行。志愿者仪表盘即将在此提供。<br><span class="en">The server is running. The volunteers' dashboard will be served here.</span></p>
<ul>
  <li><a href="/docs">接口文档 / API documentation</a>（登录：<code>POST /api/session</code>）</li>
  <li><a href="/healthz">健康检查 / health</a></li>
  <li><a href="/metrics">运行指标 / metrics</a></li>
</ul>
<p class="en">🔴 红 red = 紧急求助 emergency · 🟡 黄 yellow = 需要服务 service · 🔵 蓝 blue = 一切安好 all well</p>
</body>
</html>
`;

export const homeRoutes: FastifyPluginAsync = async (app) => {
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
};
