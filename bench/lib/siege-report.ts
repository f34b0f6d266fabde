// What the siege benchmark found, as log lines and as a bench/RESULTS.md section: the figures
// beside the issue's targets (issue 12, point 5), and how the attack traffic was answered.
import type { QuietCheck } from './proc-stat.js';
import type { ResultsSection } from './results.js';
import { formatCell } from './results.js';
import type { HeldSockets } from './siege-http.js';
import type { ResyncAttack } from './siege-live.js';
import type { Summary } from './stats.js';

export type AnswerSummary = {
  sent: number;
  byStatus: Record<string, number>;
  withRetryAfter: number;
  latency: Summary;
};

export type HeldSummary = Omit<HeldSockets, 'heldFor'> & { heldFor: Summary };

export type SiegeResult = {
  /** Over HTTPS: the certificate's key; null over HTTP. */
  https: 'p256' | 'rsa2048' | null;
  households: number;
  rosterRows: number;
  baselineMs: number;
  attackMs: number;
  presses: {
    sent: number;
    acked: number;
    /** Acked presses found exactly once in the events table (by device, boot and seq). */
    ackedStoredOnce: number;
    ackedNotStored: number[];
    storedMoreThanOnce: number[];
    /** Stored, but their PUBACK had not arrived when the device stopped waiting. */
    storedNotAcked: number;
    redSent: number;
    redSeen: number;
  };
  puback: { baseline: Summary; attack: Summary };
  redToScreen: { baseline: Summary; attack: Summary };
  /** The slowest reds under attack, slowest first: their latency, and when they were pressed (ms into the attack). */
  slowestReds: Array<{ ms: number; atMs: number }>;
  logins: AnswerSummary;
  imports: AnswerSummary;
  resyncs: ResyncAttack;
  held: HeldSummary;
  dashboard: {
    cutOffs: Array<{ code: number; reason: string; atMs: number }>;
    deltas: number;
    gaps: number;
  };
  device: { closedByBroker: boolean };
  server: {
    /** How it ended before we stopped it (null: it ran until we stopped it). */
    crashed: { code: number | null; signal: string | null } | null;
    errorLines: number;
    errorSamples: string[];
  };
  /** The measuring process's own event-loop delay during the attack (ms): the device and the dashboard only. */
  generatorLag: { p99: number; max: number };
  /** The process that sent the attack traffic: its CPU over the attack (% of one core), its own event-loop delay. */
  attackProcess: { pid: number; cpuPercent: number; lag: { p99: number; max: number } };
  quiet: QuietCheck | null;
};

export type TargetCheck = { what: string; figure: number; target: number; met: boolean };

/** The issue's targets, read on the attack phase (the baseline is shown beside, not judged). */
export function checkTargets(r: SiegeResult): TargetCheck[] {
  const t = (what: string, figure: number, target: number): TargetCheck => ({
    what,
    figure,
    target,
    met: Number.isFinite(figure) && figure <= target,
  });
  return [
    t('PUBACK p99 under attack (ms)', r.puback.attack.p99, 50),
    t('PUBACK max under attack (ms)', r.puback.attack.max, 250),
    t('red → watching dashboard p99 under attack (ms)', r.redToScreen.attack.p99, 250),
    t('red → watching dashboard max under attack (ms)', r.redToScreen.attack.max, 1_000),
  ];
}

/** The promises that are not latencies: every acked press stored once, no cut-off, no crash. */
export function checkPromises(r: SiegeResult): Array<{ what: string; met: boolean; detail: string }> {
  const p = r.presses;
  return [
    {
      what: 'every acknowledged press stored exactly once',
      met: p.ackedStoredOnce === p.acked && p.storedMoreThanOnce.length === 0,
      detail: `${p.ackedStoredOnce} of ${p.acked} acked stored once; not stored: ${list(p.ackedNotStored)}; more than once: ${list(p.storedMoreThanOnce)}`,
    },
    {
      what: 'the watching dashboard never cut off',
      met: r.dashboard.cutOffs.length === 0,
      detail: r.dashboard.cutOffs.map((c) => `${c.code} ${c.reason} at ${Math.round(c.atMs)} ms`).join('; ') || 'none',
    },
    {
      what: 'every press acknowledged',
      met: p.acked === p.sent && !r.device.closedByBroker,
      detail: `${p.acked} of ${p.sent}${r.device.closedByBroker ? '; the broker closed the device' : ''}`,
    },
    {
      what: 'the server stayed up',
      met: r.server.crashed === null,
      detail: r.server.crashed ? `exited ${JSON.stringify(r.server.crashed)}` : 'yes',
    },
  ];
}

const list = (xs: readonly number[]): string =>
  xs.length === 0 ? 'none' : `${xs.slice(0, 10).join(', ')}${xs.length > 10 ? ` … (${xs.length})` : ''}`;

const counts = (r: Record<string, number>): string =>
  Object.entries(r)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ×${v}`)
    .join(', ') || 'none';

const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

const lat = (s: Summary): string =>
  `p50 ${formatCell(s.p50)} / p99 ${formatCell(s.p99)} / max ${formatCell(s.max)} ms (n ${s.n})`;

/** The human summary, one line per finding. */
export function describeResult(r: SiegeResult): string[] {
  const lines = [
    `PUBACK: baseline ${lat(r.puback.baseline)}; attack ${lat(r.puback.attack)}`,
    `red → watching dashboard: baseline ${lat(r.redToScreen.baseline)}; attack ${lat(r.redToScreen.attack)}`,
    ...checkTargets(r).map(
      (t) => `target ${t.what}: ${formatCell(t.figure)} ≤ ${t.target} → ${t.met ? 'met' : 'MISSED'}`,
    ),
    ...checkPromises(r).map((p) => `promise ${p.what}: ${p.met ? 'kept' : 'BROKEN'} (${p.detail})`),
    `presses: ${r.presses.sent} sent, ${r.presses.acked} acked, ${r.presses.ackedStoredOnce} acked and stored once, ` +
      `${r.presses.storedNotAcked} stored but not acked; reds ${r.presses.redSent} sent, ${r.presses.redSeen} seen on the dashboard`,
    `slowest reds under attack: ${r.slowestReds.map((x) => `${formatCell(x.ms)} ms (pressed ${Math.round(x.atMs).toLocaleString('en-US')} ms into it)`).join(', ') || 'none'}`,
    `logins: ${r.logins.sent} sent → ${counts(r.logins.byStatus)}; ${r.logins.withRetryAfter} refusals with Retry-After; answered in ${lat(r.logins.latency)}`,
    `dry-run imports of ${r.rosterRows} rows: ${r.imports.sent} sent → ${counts(r.imports.byStatus)}; answered in ${lat(r.imports.latency)}`,
    `resync sockets: ${r.resyncs.upgrades} upgrades, ${r.resyncs.opened} opened, refused ${counts(r.resyncs.refused)}, ` +
      `${r.resyncs.upgrades - r.resyncs.opened - sum(r.resyncs.refused) - sum(r.resyncs.errors)} unanswered when the attack ended ` +
      `(${r.resyncs.refusedWithRetryAfter} with Retry-After), ${r.resyncs.resyncsSent} resyncs sent, ${r.resyncs.resyncAnswers} answered with a snapshot, ` +
      `closed by the server ${counts(r.resyncs.closes)}, errors ${counts(r.resyncs.errors)}`,
    `held headers: ${r.held.opened} opened, ${r.held.closedByServer} closed by the server (first answer ${counts(r.held.firstAnswer)}) ` +
      `after ${lat(r.held.heldFor)}; could not connect ${counts(r.held.failed)}`,
    `watching dashboard: ${r.dashboard.deltas} deltas, ${r.dashboard.gaps} seq gaps, cut off ${r.dashboard.cutOffs.length}×`,
    `server: ${r.server.crashed ? `CRASHED ${JSON.stringify(r.server.crashed)}` : 'up until stopped'}, ${r.server.errorLines} error log lines${r.server.errorSamples.length ? ` (${r.server.errorSamples.join(' | ')})` : ''}`,
    `measuring process (device and dashboard only) event-loop delay during the attack: p99 ${formatCell(r.generatorLag.p99)} ms, max ${formatCell(r.generatorLag.max)} ms`,
    `attack process: ${formatCell(r.attackProcess.cpuPercent)} % of one core during the attack; its own event-loop delay p99 ${formatCell(r.attackProcess.lag.p99)} ms, max ${formatCell(r.attackProcess.lag.max)} ms`,
  ];
  return lines;
}

export function section(r: SiegeResult): ResultsSection {
  const row = (what: string, baseline: Summary, attack: Summary, p99Target: number, maxTarget: number) => ({
    measure: what,
    'baseline p50 ms': baseline.p50,
    'baseline p99 ms': baseline.p99,
    'baseline max ms': baseline.max,
    'attack p50 ms': attack.p50,
    'attack p99 ms': attack.p99,
    'attack max ms': attack.max,
    'target p99 / max ms': `${p99Target} / ${maxTarget}`,
    met: attack.p99 <= p99Target && attack.max <= maxTarget ? 'met' : 'MISSED',
  });
  return {
    title: `Siege${r.https ? ` over HTTPS (${r.https === 'p256' ? 'ECDSA P-256' : 'RSA-2048'} certificate)` : ''}: a press under attack, ${r.households.toLocaleString('en-US')} households`,
    method:
      `The method is described under "Siege: method" above. ${r.baselineMs / 1000} s baseline, ${r.attackMs / 1000} s of attack; ` +
      `one device pressing every 40 ms (every 5th red), ${r.rosterRows.toLocaleString('en-US')}-row roster for the dry-run imports${r.https ? `; everything HTTP over TLS (a self-signed ${r.https === 'p256' ? 'ECDSA P-256' : 'RSA-2048'} certificate, the clients trust it)` : ''}.`,
    rows: [
      row('PUBACK (from the scheduled send)', r.puback.baseline, r.puback.attack, 50, 250),
      row('red → watching dashboard (receipt)', r.redToScreen.baseline, r.redToScreen.attack, 250, 1_000),
    ],
    notes: [
      ...checkPromises(r).map((p) => `${p.what}: ${p.met ? 'kept' : 'BROKEN'} (${p.detail}).`),
      ...describeResult(r).slice(2 + 4 + 4),
      r.quiet
        ? `Machine before the run: ${Math.round(r.quiet.busyPercent)} % of one core busy (${r.quiet.quiet ? 'quiet' : 'BUSY: other work ran beside this benchmark'}).`
        : '',
    ].filter(Boolean),
  };
}
