// What bench/notify.ts says: the lines it prints and the section it appends to bench/RESULTS.md
// (method, one row per path, notes).
import type { NotifyPlan } from '../notify.js';
import type { FloorResult } from './notify-floor.js';
import type { QuietCheck } from './proc-stat.js';
import { formatCell, type ResultsSection } from './results.js';
import type { Summary } from './stats.js';

/** One path (ours or the floor) pressed once per household. */
export type NotifyPart = {
  name: 'ours' | 'floor';
  /** Measured presses (the latencies are theirs). */
  presses: number;
  /** Presses before them, left out of the latencies (but in noRequest, pressErrors and the counts). */
  warmupPresses: number;
  /** From the first press sent to the last (ms). */
  pressedMs: number;
  /** Presses whose PUBACK never came (the device's link failed). */
  pressErrors: number;
  /** Press → the first good request for that household's phone, SMS or call. */
  firstRequest: Summary;
  /** Press → its first SendSms, and its first SingleCallByTts (the floor sends no calls). */
  sms: Summary;
  call: Summary;
  /** Presses (warm-up included) whose phone got no good request within the drain. */
  noRequest: number;
  requests: {
    /** Good requests for a pressed household, by action. */
    sms: number;
    call: number;
    /** Refused by the gateway (bad signature, reused nonce, …): they count for nothing. */
    refused: number;
    /** For a number no household has. */
    unknown: number;
    /** For a household not pressed yet. */
    beforePress: number;
    /** Which action a household's first request was. */
    firstSms: number;
    firstCall: number;
  };
  puback: Summary;
  /** Each press's send instant after its scheduled one (ms): the generator's own lateness. */
  sendLate: Summary;
  /** The bench process's event-loop turns while pressing and draining (ms; sampled every 1 ms, so 1 = no delay). */
  benchLag: { p99: number; max: number };
  windowMs: number;
  /** The process under test (server or floor) over the window, % of one core. */
  cpuPercent: number;
  benchCpuPercent: number;
};

export type NotifyResult = {
  plan: NotifyPlan;
  floor: NotifyPart;
  floorCounts: FloorResult;
  ours: NotifyPart;
  /** The server's phone rows once settled (or the drain ran out), before it stopped: "<channel kind> <status>" → rows. */
  outbox: Record<string, number>;
  server: { errorLines: number; warnLines: number; samples: string[] };
  quiet: { floor: QuietCheck | null; ours: QuietCheck | null };
};

const lat = (s: Summary): string =>
  `p50 ${formatCell(s.p50)} / p99 ${formatCell(s.p99)} / max ${formatCell(s.max)} ms (n ${s.n})`;

const ratio = (a: number, b: number): number => Number((a / b).toFixed(1));

function describePart(x: NotifyPart): string {
  return (
    `${x.name}: ${x.warmupPresses} warm-up + ${x.presses} measured red presses in ${formatCell(x.pressedMs / 1000)} s; press → first provider request ${lat(x.firstRequest)}; ` +
    `no request ${x.noRequest} of ${x.warmupPresses + x.presses}; first was SMS ${x.requests.firstSms}, call ${x.requests.firstCall}; ` +
    `SMS ${lat(x.sms)}; call ${lat(x.call)}; good requests SMS ${x.requests.sms}, call ${x.requests.call}, refused ${x.requests.refused}, ` +
    `unknown number ${x.requests.unknown}, before the press ${x.requests.beforePress}; PUBACK ${lat(x.puback)}; press errors ${x.pressErrors}; ` +
    `sent late p99 ${formatCell(x.sendLate.p99)} ms; bench event-loop turn (1 ms timer) p99 ${formatCell(x.benchLag.p99)} / max ${formatCell(x.benchLag.max)} ms; ` +
    `${x.name === 'ours' ? 'server' : 'floor process'} ${Math.round(x.cpuPercent)} % CPU, bench ${Math.round(x.benchCpuPercent)} %`
  );
}

const counts = (r: Record<string, number>): string =>
  Object.entries(r)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ×${v}`)
    .join(', ') || 'none';

export function verdict(r: NotifyResult, strong: (t: string) => string = (t) => t): string {
  const { ours, floor } = r;
  return (
    `Red press → first provider request at ${r.plan.rate}/s: p99 ${strong(`${formatCell(ours.firstRequest.p99)} ms`)} = ` +
    `${strong(`${ratio(ours.firstRequest.p99, floor.firstRequest.p99)}×`)} the floor's p99 (${formatCell(floor.firstRequest.p99)} ms); ` +
    `presses with no request: ${ours.noRequest} of ${ours.warmupPresses + ours.presses} (must be 0: ${ours.noRequest === 0 ? 'kept' : 'BROKEN'})`
  );
}

/** The human summary, one line per finding. */
export function describeNotify(r: NotifyResult): string[] {
  return [
    describePart(r.floor),
    `floor process: ${r.floorCounts.messages} messages, ${r.floorCounts.ok} requests answered OK, ${r.floorCounts.failed} not${r.floorCounts.errors.length ? ` (${r.floorCounts.errors.join(' | ')})` : ''}`,
    describePart(r.ours),
    `ours: outbox phone rows after the run: ${counts(r.outbox)}; server log: ${r.server.errorLines} error, ${r.server.warnLines} warn lines${r.server.samples.length ? ` (${r.server.samples.join(' | ')})` : ''}`,
    verdict(r),
  ];
}

export function notifySection(r: NotifyResult): ResultsSection {
  const { plan: p, ours, floor } = r;
  const row = (x: NotifyPart, path: string) => ({
    path,
    'presses (+ warm-up)': `${x.presses.toLocaleString('en-US')} (+ ${x.warmupPresses})`,
    'no request': x.noRequest,
    'first request p50 ms': x.firstRequest.p50,
    'p99 ms': x.firstRequest.p99,
    'max ms': x.firstRequest.max,
    'p99 / floor p99': ratio(x.firstRequest.p99, floor.firstRequest.p99),
    'first was SMS / call': `${x.requests.firstSms} / ${x.requests.firstCall}`,
    'SMS p50 / p99 ms': `${formatCell(x.sms.p50)} / ${formatCell(x.sms.p99)}`,
    'call p50 / p99 ms': x.call.n === 0 ? '—' : `${formatCell(x.call.p50)} / ${formatCell(x.call.p99)}`,
    'PUBACK p50 / p99 ms': `${formatCell(x.puback.p50)} / ${formatCell(x.puback.p99)}`,
    'CPU % (under test / bench)': `${Math.round(x.cpuPercent)} / ${Math.round(x.benchCpuPercent)}`,
  });
  const quietNote = (name: string, q: QuietCheck | null): string =>
    q
      ? `${name}: ${Math.round(q.busyPercent)} % of one core busy (${q.quiet ? 'quiet' : 'BUSY: other work ran beside it'})`
      : '';
  return {
    title: `Notify: red press → first provider request at ${p.rate}/s, ${(ours.warmupPresses + ours.presses).toLocaleString('en-US')} households`,
    method:
      `\`npm run bench:notify\` (bench/notify.ts). One fake Alibaba Cloud gateway on 127.0.0.1 in the bench process ` +
      `(test/helpers/fake-aliyun-core.ts, the tests' own: it recomputes every request's ACS3-HMAC-SHA256 signature with its own code, ` +
      `refuses reused nonces and answers \`{"Code":"OK"}\`), and light-engine devices (device-sim/light.ts, one MQTT 3.1.1 connection ` +
      `each) in the same process, so that press and arrival are read on one clock. ${(ours.warmupPresses + ours.presses).toLocaleString('en-US')} households ` +
      `in ${p.compounds} compounds, each in a building of its own with one device and a tier-1 volunteer scoped to that building ` +
      `with a unique mobile number (no duty roster: every tier-1 person of the household is on duty). ` +
      `Ours: the server as a child process started as \`npm start\` starts it (the core on its own thread), on a data dir ` +
      `provisioned before it starts with two channels for every compound, \`aliyun-sms\` and \`aliyun-voice\`, endpoint the gateway; ` +
      `PUBLIC_URL set, MQTT connect rate limits raised so the devices connect at once, everything else at its default. ` +
      `Each device presses red once, QoS 1, open-loop: press k leaves at t0 + k·${formatCell(1000 / p.rate)} ms ` +
      `(${p.rate}/s: ${p.warmupMs / 1000} s of warm-up, ${ours.warmupPresses} presses left out of the latencies — the first request of ` +
      `a process loads fetch and opens its connection — then ${p.durationMs / 1000} s measured), each a different household (a second ` +
      `red of one household joins its open alert). ` +
      `A red opens an emergency whose SMS and call to the volunteer are outbox rows, sent by the outbox kicked on the alert's change ` +
      `(and swept every second). Latency: performance.now() just before the PUBLISH is written → the arrival (request headers in) ` +
      `at the gateway of the first request with a good signature for that household's phone number (SendSms PhoneNumbers or ` +
      `SingleCallByTts CalledNumber); SMS and call are also given apart. "No request" and "first was" count every press, warm-up ` +
      `included. After the last press, up to ${p.drainMs / 1000} s for the rest, then (ours) until no phone row is pending, then SIGTERM. Floor, same run, first and alone: a bare aedes broker in a process of its own with an in-process subscriber to ` +
      `ribbon/+/state that, per message, reads the state from the JSON, looks the device's number up in a map and sends one ` +
      `SendSms with the project's signed client (server/notify/providers/aliyun.ts) to the same gateway; the same devices press ` +
      `the same way. CPU % = CPU time / wall time over the window, 100 = one core.`,
    rows: [
      row(ours, 'ours: npm start, outbox → aliyun-sms + aliyun-voice'),
      row(floor, 'floor: aedes + subscriber → one signed SendSms'),
    ],
    notes: [
      `${verdict(r, (t) => `**${t}**`)}.`,
      `Ours: good requests SMS ${ours.requests.sms}, call ${ours.requests.call}; refused ${ours.requests.refused}; for an unknown number ${ours.requests.unknown}; ` +
        `press errors ${ours.pressErrors}. Outbox phone rows after the run: ${counts(r.outbox)}. Server log: ${r.server.errorLines} error, ` +
        `${r.server.warnLines} warn lines${r.server.samples.length ? ` (${r.server.samples.join(' | ')})` : ''}.`,
      `Floor: ${r.floorCounts.messages} messages, ${r.floorCounts.ok} answered OK, ${r.floorCounts.failed} not; presses with no request ${floor.noRequest}.`,
      `Generator: presses sent late (after their scheduled instant) p99 ${formatCell(ours.sendLate.p99)} ms ours, ${formatCell(floor.sendLate.p99)} ms floor; ` +
        `the bench process's event-loop turns (a 1 ms timer, so 1 ms = no delay) p99 ${formatCell(ours.benchLag.p99)} / max ${formatCell(ours.benchLag.max)} ms ours, ` +
        `${formatCell(floor.benchLag.p99)} / ${formatCell(floor.benchLag.max)} ms floor.`,
      r.quiet.floor || r.quiet.ours
        ? `${[quietNote('Machine before the floor', r.quiet.floor), quietNote('before ours', r.quiet.ours)].filter(Boolean).join('; ')}.`
        : '',
    ].filter(Boolean),
  };
}
