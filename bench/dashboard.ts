// Dashboard benchmark (docs/design.md §5: "10,000 households live without dropped frames"). The real
// server in this process (SQLite file, live hub) with N households, the built dashboard in
// Debian's headless Chromium on the wall at 1920×1080, logged in as an admin. In the page a
// requestAnimationFrame probe records every frame's interval and a PerformanceObserver every
// long task (> 50 ms on the main thread). The floor, measured in the same run, is the same page
// with nothing arriving: what this browser on this machine gives at best. Then reports arrive
// at fixed rates (person reports through the real ingest path, so each is a committed change
// that the hub sends to the page) and the same figures are taken while they do; after each
// phase a red for a household kept out of the rotation must reach its tile.
// `node --import tsx bench/dashboard.ts [--smoke]`; needs `npm run build` and /usr/bin/chromium.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { addHousehold } from '../server/app/provision.js';
import { loadConfig } from '../server/config.js';
import { startSystem } from '../server/system.js';
import { launchChromium } from './lib/chromium.js';
import { appendResults, type Cell } from './lib/results.js';

export type DashboardPlan = { households: number; phaseMs: number; rates: number[] };

export function plan(smoke: boolean): DashboardPlan {
  if (smoke) return { households: 300, phaseMs: 1000, rates: [50] };
  return { households: 10_000, phaseMs: 10_000, rates: [100, 1000, 5000] };
}

/** A frame longer than this is a dropped frame at 60 Hz (one and a half vsync intervals). */
export const DROPPED_MS = 25;

export type FrameStats = {
  frames: number;
  fps: number;
  p50: number;
  p99: number;
  max: number;
  dropped: number;
  longTasks: number;
  longTaskMs: number;
};

export type PhaseResult = {
  name: string;
  rate: number;
  sent: number;
  shown: boolean;
  catchUpMs: number;
  frames: FrameStats;
};

const ADMIN_PASSWORD = 'bench-admin-password';
const DIST = fileURLToPath(new URL('../dashboard/dist', import.meta.url));

/**
 * The in-page probe, as source text: functions handed to page.evaluate from a tsx-run script
 * would carry esbuild's `__name` helper, which the page does not have.
 */
const PROBE = `(() => {
  const probe = { intervals: [], longTasks: [], stop: false };
  window.benchProbe = probe;
  let last = performance.now();
  function tick(t) {
    if (probe.stop) return;
    probe.intervals.push(t - last);
    last = t;
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(function (t) { last = t; requestAnimationFrame(tick); });
  new PerformanceObserver(function (list) {
    for (const e of list.getEntries()) probe.longTasks.push(e.duration);
  }).observe({ type: 'longtask', buffered: false });
})()`;

export async function startProbe(page: Page): Promise<void> {
  await page.evaluate(PROBE);
}

export async function stopProbe(page: Page, ms: number): Promise<FrameStats> {
  const { intervals, longTasks } = (await page.evaluate(
    '(() => { const p = window.benchProbe; p.stop = true; return { intervals: p.intervals, longTasks: p.longTasks }; })()',
  )) as { intervals: number[]; longTasks: number[] };
  const sorted = [...intervals].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
  return {
    frames: intervals.length,
    fps: Math.round((intervals.length / ms) * 1000 * 10) / 10,
    p50: round(at(50)),
    p99: round(at(99)),
    max: round(sorted.at(-1) ?? 0),
    dropped: intervals.filter((i) => i > DROPPED_MS).length,
    longTasks: longTasks.length,
    longTaskMs: Math.round(longTasks.reduce((a, b) => a + b, 0)),
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchDashboard(opts: {
  smoke: boolean;
  log?: (line: string) => void;
  resultsFile?: string | null;
}) {
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const p = plan(opts.smoke);
  if (!fs.existsSync(path.join(DIST, 'index.html')))
    throw new Error('dashboard/dist is missing: run npm run build first');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-bench-dashboard-'));
  const config = loadConfig({ PORT: '0', MQTT_PORT: '0', DATA_DIR: dataDir, ADMIN_PASSWORD, LOG_LEVEL: 'warn' });
  // 'error': every yellow would log that no notification channel is set up in this bench.
  const system = await startSystem(config, { log: pino({ level: 'error' }) });
  const browser = await launchChromium();
  try {
    const ids: number[] = [];
    system.stores.transaction(() => {
      for (let i = 0; i < p.households; i += 1) {
        const compound = i < p.households / 2 ? '阳光小区' : '幸福里';
        const building = `${1 + Math.floor((i % Math.ceil(p.households / 2)) / 100)}号楼`;
        ids.push(
          addHousehold(system.stores, { compound, building, room: `${100 + (i % 100)}`, name: `住户${i}` }, Date.now()),
        );
      }
    });
    const markerId = ids.pop() as number;
    const url = `http://127.0.0.1:${system.httpAddress.port}`;
    // The probe is injected as text; the page's CSP (no eval) would refuse it, so the bench's own
    // context bypasses the CSP. The dashboard's code is the same either way.
    const context = await browser.newContext({
      viewport: { width: 1920, height: 1080 },
      locale: 'zh-CN',
      bypassCSP: true,
    });
    const page = await context.newPage();
    await page.goto(`${url}/#/wall`);
    await page.fill('#username', 'admin');
    await page.fill('#password', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForFunction(`document.querySelectorAll('.tile').length === ${p.households}`, undefined, {
      timeout: 60_000,
    });
    await sleep(500);

    const phases: PhaseResult[] = [];
    // The floor: the same page, nothing arriving.
    await startProbe(page);
    await sleep(p.phaseMs);
    phases.push({
      name: 'floor: nothing arriving',
      rate: 0,
      sent: 0,
      shown: true,
      catchUpMs: 0,
      frames: await stopProbe(page, p.phaseMs),
    });
    log(`floor: ${JSON.stringify(phases[0]?.frames)}`);

    let next = 0;
    for (const rate of p.rates) {
      await startProbe(page);
      const started = Date.now();
      let sent = 0;
      // Every 10 ms, the reports due by now: a steady rate, not one burst.
      while (Date.now() - started < p.phaseMs) {
        const due = Math.floor(((Date.now() - started) / 1000) * rate);
        while (sent < due) {
          const householdId = ids[next % ids.length] as number;
          next += 1;
          system.recordPersonReport({
            householdId,
            state: next % 2 === 0 ? 'blue' : 'yellow',
            note: null,
            by: 'bench',
            idempotencyKey: null,
          });
          sent += 1;
        }
        await sleep(10);
      }
      const frames = await stopProbe(page, Date.now() - started);
      // Then: how long until the wall shows the phase's last change, a red for a household kept
      // out of the rotation (resolved again before the next phase).
      system.recordPersonReport({ householdId: markerId, state: 'red', note: null, by: 'bench', idempotencyKey: null });
      const waitStart = Date.now();
      let shown = true;
      try {
        await page.waitForFunction(
          `document.querySelector('.tile[data-hid="${markerId}"]')?.getAttribute('data-status') === 'red'`,
          undefined,
          { timeout: 30_000 },
        );
      } catch {
        shown = false;
      }
      phases.push({ name: `${rate} reports/s`, rate, sent, shown, catchUpMs: Date.now() - waitStart, frames });
      for (const a of system.stores.alerts.page(
        { status: 'open', compoundIds: null, householdId: markerId },
        null,
        10,
      )) {
        system.commandAlert(a.id, { type: 'resolve', by: 'bench', note: 'bench marker' });
      }
      log(`${rate}/s: sent ${sent}, shown ${shown} after ${Date.now() - waitStart} ms, ${JSON.stringify(frames)}`);
      // Leave the service queue empty for the next phase: yellow opened service requests.
      await sleep(500);
    }
    const stats = (await page.evaluate('JSON.parse(JSON.stringify(window.ribbonStats))')) as {
      messages: number;
      changes: number;
      flushes: number;
      wall: { tileWrites: number; rebuilds: number };
    };

    const rows: Array<Record<string, Cell>> = phases.map((ph) => ({
      run: ph.name,
      'reports sent': ph.sent,
      frames: ph.frames.frames,
      fps: ph.frames.fps,
      'frame p50 ms': ph.frames.p50,
      'frame p99 ms': ph.frames.p99,
      'frame max ms': ph.frames.max,
      [`dropped (> ${DROPPED_MS} ms)`]: ph.frames.dropped,
      'long tasks': ph.frames.longTasks,
      'long task ms': ph.frames.longTaskMs,
      'last shown after ms': ph.rate === 0 ? '—' : ph.shown ? ph.catchUpMs : 'never',
    }));
    const section = {
      title: `Dashboard: ${p.households.toLocaleString('en-US')} households on the wall${opts.smoke ? ' (smoke)' : ''}`,
      method: `The server in-process (SQLite file, live hub on /ws) with ${p.households.toLocaleString('en-US')} households in 2 compounds of 100-household buildings; the built dashboard (dashboard/dist) in Debian's headless Chromium (${await browser.version()}) at 1920×1080, logged in as an admin on the wall (every household a tile). In the page, a requestAnimationFrame probe records each frame interval and a PerformanceObserver each long task (> 50 ms). Floor, same run: the same page with nothing arriving, ${p.phaseMs / 1000} s. Then person reports (alternately blue and yellow, each committed through the ingest path and sent to the page by the hub) at a steady rate for ${p.phaseMs / 1000} s each; "last shown after" = from the end of sending until the last report's tile shows it. "dropped" = frames longer than ${DROPPED_MS} ms. bench/dashboard.ts.`,
      rows,
      notes: [
        `Page counters at the end: ${stats.messages} live frames received, ${stats.changes} changes applied in ${stats.flushes} animation-frame flushes, ${stats.wall.tileWrites} tile writes, ${stats.wall.rebuilds} full wall builds.`,
      ],
    };
    if (opts.resultsFile !== null) appendResults(section, opts.resultsFile ? { file: opts.resultsFile } : {});
    return { plan: p, phases, section, stats };
  } finally {
    await browser.close();
    await system.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchDashboard({ smoke: process.argv.includes('--smoke') }).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
