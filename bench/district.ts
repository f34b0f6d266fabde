// District benchmark (issue 14): a district of 6 streets, 30 communities, 600 compounds, 20,000
// households and devices (bench/lib/district.ts, the roll-up benchmark's district).
//  1. The live feed sized to the view: the snapshot a district, street, community and compound
//     user gets on the wall (their view: place tiles above the compound, households at it), in
//     bytes and build time, beside the household-by-household snapshot the same user got before
//     issue 14 (the floor of this part: what the view replaces). Target: ≤ 200 KB for the district.
//  2. The district wall in Debian's headless Chromium at 1920×1080 (admin, place tiles per
//     community) while person reports arrive at 100/s through the ingest path: frame intervals
//     and long tasks (the probe of bench/dashboard.ts), beside the floor of the same page with
//     nothing arriving; and every 2 s a red for a household outside the rotation, timed from the
//     report to its item in the pinned strip. Targets: no dropped frames, a new red on screen
//     within 1 s.
// `node --import tsx bench/district.ts [--smoke]`; needs `npm run build` and /usr/bin/chromium.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import type { LiveView } from '../protocol/live.js';
import type { User } from '../server/app/ports.js';
import { loadConfig } from '../server/config.js';
import { DEFAULT_AREAS } from '../server/domain/places.js';
import { startOfLocalDay } from '../server/domain/zoned-time.js';
import { createCompoundIndex } from '../server/live/compounds.js';
import { createReceiptTracker } from '../server/live/receipts.js';
import { buildSnapshot } from '../server/live/snapshot.js';
import { resolveView, WHOLE_SCOPE } from '../server/live/view.js';
import { openDatabase } from '../server/store/db.js';
import { createStores, type SqliteStores } from '../server/store/index.js';
import { startSystem } from '../server/system.js';
import { DROPPED_MS, type FrameStats, startProbe, stopProbe } from './dashboard.js';
import { launchChromium } from './lib/chromium.js';
import { buildDistrict, type District, FULL_DISTRICT, SMOKE_DISTRICT } from './lib/district.js';
import { appendResults, type Cell } from './lib/results.js';
import { summarize, type Summary } from './lib/stats.js';

const ZONE = 'Asia/Shanghai';
const DAY = '2026-12-02';
const ADMIN_PASSWORD = 'bench-admin-password';
/** The district snapshot's budget (issue 14, point 6). */
export const DISTRICT_SNAPSHOT_TARGET_BYTES = 200 * 1024;
/** A new red must be in the strip within this (issue 14). */
export const RED_ON_SCREEN_TARGET_MS = 1000;

export type DistrictPlan = { smoke: boolean; builds: number; phaseMs: number; rate: number; redEveryMs: number };

export function plan(smoke: boolean): DistrictPlan {
  return smoke
    ? { smoke, builds: 3, phaseMs: 2000, rate: 50, redEveryMs: 1000 }
    : { smoke, builds: 20, phaseMs: 20_000, rate: 100, redEveryMs: 2000 };
}

export type SnapshotRow = {
  level: LiveView['level'];
  compounds: number;
  view: { bytes: number; ms: Summary };
  whole: { bytes: number; ms: Summary };
};

function userOf(level: LiveView['level'], id: number, compoundIds: number[]): User {
  return {
    id: 1,
    username: `bench-${level}`,
    displayName: level,
    role: 'staff',
    personId: null,
    compoundIds,
    readOnlyCompoundIds: [],
    scope: [{ level, id, readOnly: false }],
    disabled: false,
  };
}

/** Part 1: each level's snapshot in its own view and household by household, built `builds` times. */
function snapshotSizes(stores: SqliteStores, d: District, builds: number, now: number): SnapshotRow[] {
  const sources = { stores, compounds: createCompoundIndex(stores), receipts: createReceiptTracker(), limit: 20_000 };
  const places: Array<[LiveView['level'], number]> = [
    ['district', DEFAULT_AREAS.district],
    ['street', d.streetId],
    ['community', d.communityId],
    ['compound', d.compoundId],
  ];
  return places.map(([level, id]) => {
    const compoundIds = level === 'compound' ? [id] : stores.areas.compoundsUnder(id);
    const user = userOf(level, id, compoundIds);
    const view = resolveView(user, { level, id }, stores);
    if (view === null) throw new Error(`no view of ${level} ${id}`);
    const time = (scope: typeof view) => {
      const ms: number[] = [];
      let bytes = 0;
      for (let i = 0; i < builds; i += 1) {
        const t0 = performance.now();
        bytes = Buffer.byteLength(JSON.stringify(buildSnapshot(user, scope, sources, now)));
        ms.push(performance.now() - t0);
      }
      return { bytes, ms: summarize(ms) };
    };
    return { level, compounds: compoundIds.length, view: time(view), whole: time(WHOLE_SCOPE) };
  });
}

export type WallPhase = { name: string; sent: number; frames: FrameStats; reds: Summary; missed: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Part 2: the district wall in Chromium, with nothing arriving and then at `rate` reports/s. */
async function districtWall(dataDir: string, p: DistrictPlan, say: (line: string) => void) {
  const config = loadConfig({ PORT: '0', MQTT_PORT: '0', DATA_DIR: dataDir, ADMIN_PASSWORD, LOG_LEVEL: 'error' });
  const system = await startSystem(config, { log: pino({ level: 'error' }) });
  const browser = await launchChromium();
  try {
    const ids = (system.stores.db.prepare('SELECT id FROM households ORDER BY id').all() as Array<{ id: number }>).map(
      (r) => r.id,
    );
    // Reds for households out of the rotation, one per time, resolved again after.
    const markers = ids.splice(-Math.max(20, Math.ceil(p.phaseMs / p.redEveryMs) + 2));
    const context = await browser.newContext({
      viewport: { width: 1920, height: 1080 },
      locale: 'zh-CN',
      bypassCSP: true,
    });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${system.httpAddress.port}/#/wall`);
    await page.fill('#username', 'admin');
    await page.fill('#password', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForFunction("document.querySelectorAll('.place-tile').length > 0", undefined, { timeout: 60_000 });
    const tiles = await page.locator('.place-tile').count();
    await sleep(1000);

    const phases: WallPhase[] = [];
    for (const rate of [0, p.rate]) {
      await startProbe(page);
      const started = Date.now();
      let sent = 0;
      let nextRed = started + p.redEveryMs / 2;
      const reds: number[] = [];
      let missed = 0;
      let k = 0;
      while (Date.now() - started < p.phaseMs) {
        const due = Math.floor(((Date.now() - started) / 1000) * rate);
        while (sent < due) {
          const householdId = ids[(sent * 7919) % ids.length] as number;
          system.recordPersonReport({
            householdId,
            state: sent % 2 === 0 ? 'blue' : 'yellow',
            note: null,
            by: 'bench',
            idempotencyKey: null,
          });
          sent += 1;
        }
        if (rate > 0 && Date.now() >= nextRed) {
          nextRed += p.redEveryMs;
          const marker = markers[k++ % markers.length] as number;
          const t0 = Date.now();
          system.recordPersonReport({
            householdId: marker,
            state: 'red',
            note: null,
            by: 'bench',
            idempotencyKey: null,
          });
          try {
            await page.waitForSelector(`.attention-item[data-hid="${marker}"]`, { timeout: 5000 });
            reds.push(Date.now() - t0);
          } catch {
            missed += 1;
          }
          for (const a of system.stores.alerts.page(
            { status: 'open', compoundIds: null, householdId: marker },
            null,
            5,
          ))
            system.commandAlert(a.id, { type: 'resolve', by: 'bench', note: 'bench marker' });
        }
        await sleep(10);
      }
      const frames = await stopProbe(page, Date.now() - started);
      const phase = {
        name: rate === 0 ? 'floor: nothing arriving' : `${rate} reports/s, a red every ${p.redEveryMs / 1000} s`,
        sent,
        frames,
        reds: summarize(reds),
        missed,
      };
      phases.push(phase);
      say(`${phase.name}: ${JSON.stringify(frames)}; reds ${JSON.stringify(phase.reds)} missed ${missed}`);
      // Leave the service queue empty for what follows.
      for (const a of system.stores.alerts.page({ status: 'open', compoundIds: null, kind: 'service' }, null, 100_000))
        system.commandAlert(a.id, { type: 'resolve', by: 'bench', note: 'bench' });
    }
    return { phases, tiles, chromium: await browser.version() };
  } finally {
    await browser.close();
    await system.stop();
  }
}

export async function benchDistrict(opts: {
  smoke: boolean;
  log?: (line: string) => void;
  resultsFile?: string | null;
}) {
  const say = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const p = plan(opts.smoke);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-bench-district-'));
  try {
    const dayStart = startOfLocalDay(DAY, ZONE);
    const now = dayStart + 10 * 3_600_000;
    const d = buildDistrict(dir, opts.smoke ? SMOKE_DISTRICT : FULL_DISTRICT, dayStart, now);
    say(`district: ${d.compounds} compounds, ${d.households} households, built in ${Math.round(d.buildMs)} ms`);
    const db = openDatabase(dir);
    let sizes: SnapshotRow[];
    try {
      sizes = snapshotSizes(createStores(db), d, p.builds, now);
    } finally {
      db.close();
    }
    for (const s of sizes)
      say(
        `${s.level}: view ${s.view.bytes} B p50 ${s.view.ms.p50} ms; whole ${s.whole.bytes} B p50 ${s.whole.ms.p50} ms`,
      );
    const wall = await districtWall(dir, p, say);

    const kb = (b: number) => Math.round(b / 102.4) / 10;
    const ms = (n: number) => Math.round(n * 100) / 100;
    const rows: Array<Record<string, Cell>> = [
      ...sizes.map((s) => ({
        run: `snapshot: a ${s.level} user (${s.compounds} compounds), on the wall`,
        'KB (view)': kb(s.view.bytes),
        'build p50 · p99 ms (view)': `${ms(s.view.ms.p50)} · ${ms(s.view.ms.p99)}`,
        'KB (household by household, floor)': kb(s.whole.bytes),
        'build p50 · p99 ms (floor)': `${ms(s.whole.ms.p50)} · ${ms(s.whole.ms.p99)}`,
      })),
    ];
    const wallRows: Array<Record<string, Cell>> = wall.phases.map((ph) => ({
      run: `district wall, ${ph.name}`,
      'reports sent': ph.sent,
      fps: ph.frames.fps,
      'frame p99 · max ms': `${ph.frames.p99} · ${ph.frames.max}`,
      [`dropped (> ${DROPPED_MS} ms)`]: ph.frames.dropped,
      'long tasks': ph.frames.longTasks,
      'red → strip p50 · max ms': ph.reds.n === 0 ? '—' : `${ph.reds.p50} · ${ph.reds.max}`,
      'reds not shown in 5 s': ph.reds.n === 0 && ph.missed === 0 ? '—' : ph.missed,
    }));
    const district = sizes[0];
    const title = `${d.compounds} compounds, ${d.households.toLocaleString('en-US')} households${opts.smoke ? ' (smoke)' : ''}`;
    const shape = `A district of ${d.streets} streets, ${d.communities} communities, ${d.compounds} compounds, ${d.households.toLocaleString('en-US')} households and devices (bench/lib/district.ts) in a real SQLite file.`;
    const sections = [
      {
        title: `District snapshots: ${title}`,
        method: `bench/district.ts. ${shape} Each snapshot built ${p.builds} times through the live hub's buildSnapshot for a user scoped to the district, a street, a community and a compound, in the view their wall opens (place tiles above the compound, households at it), beside the household-by-household snapshot the same user got before issue 14 (the floor: what the view replaces).`,
        rows,
        notes: [
          `Target (issue 14): the district's ≤ ${DISTRICT_SNAPSHOT_TARGET_BYTES / 1024} KB — ${district ? `${kb(district.view.bytes)} KB, ${district.view.bytes <= DISTRICT_SNAPSHOT_TARGET_BYTES ? 'met' : 'not met'}` : '—'}.`,
        ],
      },
      {
        title: `District wall in Chromium: ${title}`,
        method: `bench/district.ts. ${shape} The server in-process, the built dashboard in Debian's headless Chromium (${wall.chromium}) at 1920×1080 as an admin on #/wall (${wall.tiles} community tiles), a requestAnimationFrame probe and a long-task observer in the page (bench/dashboard.ts). Floor: the same page with nothing arriving for ${p.phaseMs / 1000} s. Then person reports (blue and yellow) at ${p.rate}/s for ${p.phaseMs / 1000} s through the ingest path, and every ${p.redEveryMs / 1000} s a red for a household outside the rotation, timed from the report to its item in the pinned strip (then resolved).`,
        rows: wallRows,
        notes: [
          `Targets (issue 14): no dropped frames, and a new red on screen within ${RED_ON_SCREEN_TARGET_MS} ms, at ${p.rate} reports/s.`,
        ],
      },
    ];
    if (opts.resultsFile !== null)
      for (const section of sections) appendResults(section, opts.resultsFile ? { file: opts.resultsFile } : {});
    return { plan: p, sizes, wall, sections };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchDistrict({ smoke: process.argv.includes('--smoke') }).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
