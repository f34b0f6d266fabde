// HTTP benchmark (issue 6, part 6): the alert list and a manual report under a fixed request
// rate, p50/p99/max latency, errors and server CPU, beside a bare Node http server answering a
// fixed JSON of the same size in the same run (the cost of HTTP itself on this machine).
// `node --import tsx bench/http.ts [--smoke]`.
//
// The load generator is open-loop (requests leave on a fixed schedule whether or not earlier ones
// have answered, and latency is counted from the scheduled instant, so a stall is not hidden) and
// runs IN THIS PROCESS on node:http with a keep-alive agent — no new dependency (autocannon is
// closed-loop by default). Its CPU is measured and reported beside the server's. The server is a
// child process started as `npm start` starts it, on a data dir provisioned before it starts.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AlertView } from '../server/domain/alert.js';
import { addHousehold } from '../server/app/provision.js';
import { openDatabase } from '../server/store/db.js';
import { createStores } from '../server/store/index.js';
import { freePort, startChildServer, type ChildServer } from '../test/helpers/child-server-core.js';
import { cpuPercentBetween, readProcessCpu, waitForQuietMachine, type QuietCheck } from './lib/proc-stat.js';
import { appendResults, formatCell } from './lib/results.js';
import { createHistogram, type Summary } from './lib/stats.js';

const ADMIN_PASSWORD = 'bench-http-admin-password';
const ALERT_KINDS_USED = ['emergency', 'service', 'missed_checkin', 'device'] as const;

type Plan = { households: number; alerts: number; rate: number; durationMs: number; warmupMs: number };

function plan(smoke: boolean): Plan {
  return smoke
    ? { households: 100, alerts: 50, rate: 50, durationMs: 2_000, warmupMs: 300 }
    : { households: 1_000, alerts: 500, rate: 200, durationMs: 10_000, warmupMs: 1_000 };
}

/** Households and alerts straight into the data dir, before the server starts. */
function provision(dataDir: string, households: number, alerts: number): number[] {
  const stores = createStores(openDatabase(dataDir));
  try {
    const now = Date.now();
    return stores.db.transaction(() => {
      const ids = Array.from({ length: households }, (_, i) =>
        addHousehold(
          stores,
          { compound: `http-${i % 10}`, building: `${i % 100}`, room: `${i}`, name: `http ${i}` },
          now,
        ),
      );
      for (let i = 0; i < alerts; i++) {
        // Mostly resolved history, a tenth still open; nothing due, so the sweep stays idle.
        const open = i % 10 === 0;
        const openedAt = now - (alerts - i) * 60_000;
        const view: AlertView = {
          kind: ALERT_KINDS_USED[i % ALERT_KINDS_USED.length] as AlertView['kind'],
          status: open ? 'open' : 'resolved',
          level: 1,
          openedAt,
          acknowledgedAt: null,
          arrivedAt: null,
          resolvedAt: open ? null : openedAt + 30_000,
          reportCount: 1,
          dueAt: null,
          remindersSent: 0,
          callDueAt: null,
        };
        stores.alerts.insert(ids[i % ids.length] as number, view, open ? null : 'bench', null, openedAt);
      }
      return ids;
    })();
  } finally {
    stores.db.close();
  }
}

// ── Load generator ───────────────────────────────────────────────────────────────────────────

type Target = {
  port: number;
  method: 'GET' | 'POST';
  path: (i: number) => string;
  body?: string;
  headers: Record<string, string>;
};

export type PhaseResult = {
  name: string;
  target: 'server' | 'floor';
  sent: number;
  ok: number;
  errors: number;
  errorSamples: string[];
  /** Completed requests / measured wall time. */
  achievedPerSec: number;
  latency: Summary;
  serverCpuPercent: number;
  generatorCpuPercent: number;
};

function request(agent: http.Agent, t: Target, i: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: t.port,
        method: t.method,
        path: t.path(i),
        agent,
        headers: t.headers,
        timeout: 10_000,
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout after 10 s')));
    req.on('error', reject);
    req.end(t.body);
  });
}

/**
 * Fires `targets` in turn at `rate` requests/s (total) for durationMs: request k is due at
 * start + k / rate; a 1 ms tick sends every request that is due. Latency = answer − due time.
 */
async function openLoop(
  agent: http.Agent,
  targets: readonly Target[],
  rate: number,
  durationMs: number,
  record: ((ms: number) => void) | null,
): Promise<{ sent: number; ok: number; errors: number; errorSamples: string[]; wallMs: number }> {
  const total = Math.round((rate * durationMs) / 1000);
  const start = performance.now();
  let sent = 0;
  let ok = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  const inflight = new Set<Promise<void>>();
  const fail = (msg: string): void => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(msg);
  };
  while (sent < total) {
    const now = performance.now();
    while (sent < total && start + (sent * 1000) / rate <= now) {
      const k = sent++;
      const due = start + (k * 1000) / rate;
      const t = targets[k % targets.length] as Target;
      const p = request(agent, t, k).then(
        (status) => {
          if (status >= 200 && status < 300) {
            ok++;
            record?.(performance.now() - due);
          } else fail(`HTTP ${status} ${t.method}`);
        },
        (err: unknown) => fail((err as Error).message),
      );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    const nextDue = start + (sent * 1000) / rate;
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(1, nextDue - performance.now()))));
  }
  await Promise.all(inflight);
  return { sent, ok, errors, errorSamples, wallMs: performance.now() - start };
}

async function phase(
  name: string,
  kind: 'server' | 'floor',
  pid: number,
  targets: readonly Target[],
  p: Plan,
): Promise<PhaseResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  try {
    await openLoop(agent, targets, p.rate, p.warmupMs, null);
    const hist = createHistogram();
    const cpu0 = readProcessCpu(pid);
    const gen0 = process.cpuUsage();
    const r = await openLoop(agent, targets, p.rate, p.durationMs, (ms) => hist.record(ms));
    const cpu1 = readProcessCpu(pid);
    const gen = process.cpuUsage(gen0);
    return {
      name,
      target: kind,
      sent: r.sent,
      ok: r.ok,
      errors: r.errors,
      errorSamples: r.errorSamples,
      achievedPerSec: (r.ok / r.wallMs) * 1000,
      latency: hist.summary(),
      serverCpuPercent: cpu0 && cpu1 ? cpuPercentBetween(cpu0, cpu1) : Number.NaN,
      generatorCpuPercent: ((gen.user + gen.system) / 1000 / r.wallMs) * 100,
    };
  } finally {
    agent.destroy();
  }
}

// ── Floor: a bare Node http server with fixed answers of the same sizes ─────────────────────

const FLOOR_SCRIPT = `
const http = require('node:http');
const fs = require('node:fs');
const big = fs.readFileSync(process.argv[1]);
const small = fs.readFileSync(process.argv[2]);
const server = http.createServer((req, res) => {
  const body = req.method === 'POST' ? small : big;
  const send = () => { res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }); res.end(body); };
  if (req.method === 'POST') { req.on('data', () => {}); req.on('end', send); } else send();
});
server.keepAliveTimeout = 72000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

async function startFloor(
  dir: string,
  big: Buffer,
  small: Buffer,
): Promise<{ child: ChildProcess; port: number; pid: number }> {
  const bigFile = path.join(dir, 'floor-big.json');
  const smallFile = path.join(dir, 'floor-small.json');
  fs.writeFileSync(bigFile, big);
  fs.writeFileSync(smallFile, small);
  const child = spawn(process.execPath, ['-e', FLOOR_SCRIPT, bigFile, smallFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(Number(text.trim()));
    });
    child.once('exit', (code) => reject(new Error(`floor server exited (${code}) before listening`)));
  });
  return { child, port, pid: child.pid as number };
}

// ── Setup against the real server ───────────────────────────────────────────────────────────

async function fetchJson(
  url: string,
  init: RequestInit,
): Promise<{ status: number; body: unknown; text: string; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, body, text, headers: res.headers };
}

async function issueToken(base: string): Promise<string> {
  const login = await fetchJson(`${base}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  const cookie = (login.headers.getSetCookie().find((c) => c.startsWith('ribbon_session=')) ?? '').split(';')[0] ?? '';
  const csrf = (login.body as { csrfToken: string }).csrfToken;
  const res = await fetchJson(`${base}/api/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf },
    body: JSON.stringify({ userId: 1, name: 'bench-http' }),
  });
  if (res.status !== 201) throw new Error(`POST /api/tokens failed: ${res.status} ${res.text}`);
  return (res.body as { token: string }).token;
}

export type HttpBenchResult = {
  households: number;
  alerts: number;
  rate: number;
  durationMs: number;
  alertListBytes: number;
  reportBytes: number;
  phases: PhaseResult[];
  /** The machine before the measured phases (null in smoke mode). */
  quiet: QuietCheck | null;
};

export async function benchHttp(opts: {
  smoke: boolean;
  log?: (line: string) => void;
  appendResults?: boolean;
}): Promise<HttpBenchResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const p = plan(opts.smoke);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-bench-http-'));
  let server: ChildServer | null = null;
  let floor: { child: ChildProcess; port: number; pid: number } | null = null;
  try {
    const householdIds = provision(dataDir, p.households, p.alerts);
    log(`provisioned ${p.households} households and ${p.alerts} alerts`);
    server = await startChildServer({
      dataDir,
      mqttPort: await freePort(),
      env: { LOG_LEVEL: 'info', ADMIN_PASSWORD },
      readyTimeoutMs: 60_000,
    });
    const token = await issueToken(server.httpUrl);
    const auth = { authorization: `Bearer ${token}` };

    // Sizes of the real answers, for the floor's fixed bodies.
    const list = await fetchJson(`${server.httpUrl}/api/alerts?limit=100`, { headers: auth });
    const items = (list.body as { items?: unknown[] } | null)?.items;
    if (list.status !== 200 || !Array.isArray(items) || items.length !== Math.min(100, p.alerts)) {
      throw new Error(`GET /api/alerts?limit=100: ${list.status}, ${items?.length} items`);
    }
    const probe = await fetchJson(`${server.httpUrl}/api/households/${householdIds[0]}/reports`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'blue' }),
    });
    if (probe.status !== 201) throw new Error(`POST report: ${probe.status} ${probe.text}`);
    const bigBytes = Buffer.byteLength(list.text);
    const smallBytes = Buffer.byteLength(probe.text);
    log(`alert list ${bigBytes} bytes, report answer ${smallBytes} bytes`);
    floor = await startFloor(
      dataDir,
      Buffer.from(JSON.stringify({ pad: 'x'.repeat(Math.max(0, bigBytes - 10)) })),
      Buffer.from(probe.text),
    );

    const reportBody = JSON.stringify({ state: 'blue' });
    const targetsFor = (port: number) => {
      const alerts: Target = { port, method: 'GET', path: () => '/api/alerts?limit=100', headers: auth };
      const reports: Target = {
        port,
        method: 'POST',
        path: (i) => `/api/households/${householdIds[i % householdIds.length]}/reports`,
        body: reportBody,
        headers: {
          ...auth,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(reportBody)),
        },
      };
      return { alerts, reports };
    };
    const ours = targetsFor(server.httpPort);
    const bare = targetsFor(floor.port);
    const runs: Array<[string, readonly Target[], readonly Target[]]> = [
      ['GET /api/alerts?limit=100', [ours.alerts], [bare.alerts]],
      ["POST /api/households/:id/reports {state:'blue'}", [ours.reports], [bare.reports]],
      ['mixed: alerts and reports in turn', [ours.alerts, ours.reports], [bare.alerts, bare.reports]],
    ];
    // Not a measurement of someone else's test run: wait (bounded) for a quiet machine, and say so.
    const quiet = opts.smoke ? null : await waitForQuietMachine({ maxBusyPercent: 40, timeoutMs: 30_000 });
    if (quiet && !quiet.quiet)
      log(`warning: the machine is busy (${Math.round(quiet.busyPercent)} % of one core before the run)`);
    const phases: PhaseResult[] = [];
    for (const [name, serverTargets, floorTargets] of runs) {
      for (const [kind, targets, pid] of [
        ['server', serverTargets, server.pid],
        ['floor', floorTargets, floor.pid],
      ] as const) {
        const r = await phase(name, kind, pid, targets, p);
        phases.push(r);
        log(
          `${name} → ${kind}: ${formatCell(r.achievedPerSec)} req/s, p50 ${formatCell(r.latency.p50)} ms p99 ${formatCell(r.latency.p99)} ms ` +
            `max ${formatCell(r.latency.max)} ms, errors ${r.errors}${r.errors ? ` (${r.errorSamples.join('; ')})` : ''}, ` +
            `${kind} CPU ${formatCell(r.serverCpuPercent)} %, generator ${formatCell(r.generatorCpuPercent)} %`,
        );
      }
    }
    const result: HttpBenchResult = {
      households: p.households,
      alerts: p.alerts,
      rate: p.rate,
      durationMs: p.durationMs,
      alertListBytes: bigBytes,
      reportBytes: smallBytes,
      phases,
      quiet,
    };
    if (!opts.smoke && opts.appendResults !== false) appendResults(section(result));
    return result;
  } finally {
    if (floor) floor.child.kill('SIGKILL');
    if (server) await server.kill('SIGTERM').catch(() => undefined);
    if (server) await server.kill('SIGKILL').catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function section(r: HttpBenchResult) {
  const rows = [];
  const names = [...new Set(r.phases.map((x) => x.name))];
  for (const name of names) {
    const s = r.phases.find((x) => x.name === name && x.target === 'server');
    const f = r.phases.find((x) => x.name === name && x.target === 'floor');
    for (const x of [s, f]) {
      if (!x) continue;
      rows.push({
        requests: name,
        against: x.target === 'server' ? 'Ribbon Pact' : 'bare node:http (floor)',
        'req/s': Number(x.achievedPerSec.toFixed(1)),
        ok: x.ok,
        errors: x.errors,
        'p50 ms': x.latency.p50,
        'p99 ms': x.latency.p99,
        'max ms': x.latency.max,
        'server CPU %': Math.round(x.serverCpuPercent),
        'generator CPU %': Math.round(x.generatorCpuPercent),
        'p99 / floor': x.target === 'server' && f ? Number((x.latency.p99 / f.latency.p99).toFixed(1)) : '',
      });
    }
  }
  const saturated = r.phases
    .filter((x) => x.serverCpuPercent >= 95 || x.generatorCpuPercent >= 95)
    .map((x) => `${x.name} (${x.target})`);
  return {
    title: `HTTP: alert list and manual reports at ${r.rate} req/s`,
    method:
      `${r.households.toLocaleString('en-US')} households and ${r.alerts} alerts (a tenth open, the rest resolved) provisioned into a fresh data dir, ` +
      'then the server started as `npm start` does (one Node process, LOG_LEVEL info), an admin bearer token issued via POST /api/tokens. ' +
      `Open-loop load from the benchmark process (node:http, keep-alive agent, at most 64 sockets): ${r.rate} req/s for ${r.durationMs / 1000} s after ` +
      "a 1 s warm-up; latency counted from each request's scheduled instant to the end of its answer (so a stall is not hidden). " +
      `GET /api/alerts?limit=100 (${r.alertListBytes} bytes); POST /api/households/:id/reports {"state":"blue"} spread over every household (${r.reportBytes} bytes back, ` +
      'a check-in written to SQLite); mixed = the two in turn, 200 req/s in total. Floor: the same loader against a bare node:http server in a child process ' +
      'answering fixed JSON of the same sizes, in the same run. CPU % = CPU time / wall time of that process, 100 = one core.',
    rows,
    notes: [
      r.quiet
        ? `Machine before the run: ${Math.round(r.quiet.busyPercent)} % of one core busy (${r.quiet.quiet ? 'quiet' : 'BUSY: other work ran beside this benchmark'}).`
        : '',
      `At ≥ 95 % CPU: ${saturated.join(', ') || 'none'}.`,
    ].filter(Boolean),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchHttp({ smoke: process.argv.includes('--smoke') }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
