// The floor: what Mosquitto, a C broker writing nothing to disk, does on this machine when
// relaying QoS 1 messages between mqtt.js clients — at full speed and at a fixed 1,000 msg/s.
// Our budgets (docs/design.md §5) are ratios to these figures, measured in the same run.
//
//   npx tsx bench/floor.ts            full run (~1 min), appends a section to bench/RESULTS.md
//   npx tsx bench/floor.ts --smoke    a few seconds, tiny counts, prints only
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { saturatedProcesses } from './lib/loadgen.js';
import { mosquittoVersion, startMosquitto, type MosquittoHandle } from './lib/mosquitto.js';
import { runRelay, type RelayResult } from './lib/relay.js';
import { appendResults, formatCell, renderSection, type ResultsSection } from './lib/results.js';
import { describeMachine } from './lib/machine.js';
import { waitForQuietMachine, type QuietCheck } from './lib/proc-stat.js';

interface FloorRun {
  label: string;
  processes: number;
  publishersPerProcess: number;
  windowPerClient: number;
  ratePerSec?: number;
  warmupMs: number;
  durationMs: number;
}

export interface FloorResult {
  runs: Array<{ run: FloorRun; result: RelayResult; quiet: QuietCheck | null; repeated: boolean }>;
  /** Best full-speed relay rate (msg/s received by the subscribers). */
  rate: number;
  /** Publish → receive p99 at 1,000 msg/s, ms. */
  p99At1000: number;
  section: ResultsSection;
}

function plan(smoke: boolean): FloorRun[] {
  if (smoke) {
    return [
      { label: 'full speed', processes: 1, publishersPerProcess: 1, windowPerClient: 50, warmupMs: 0, durationMs: 300 },
      {
        label: '1,000/s',
        processes: 1,
        publishersPerProcess: 1,
        windowPerClient: 50,
        ratePerSec: 1_000,
        warmupMs: 0,
        durationMs: 300,
      },
    ];
  }
  // Full speed three ways: one publisher + one subscriber (the "two clients" of docs/design.md §5), two
  // publishers in one process, and two processes (more client CPU, but three busy processes on
  // this 2-core machine). Windows of 50: larger ones only add queueing delay, not rate.
  const full = { warmupMs: 1_000, durationMs: 6_000, windowPerClient: 50 };
  return [
    { label: 'full speed, 2 clients', processes: 1, publishersPerProcess: 1, ...full },
    { label: 'full speed, 3 clients', processes: 1, publishersPerProcess: 2, ...full },
    { label: 'full speed, 2 processes', processes: 2, publishersPerProcess: 1, ...full },
    // 10 s at 1,000/s: 10,000 samples, 100 of them above the p99.
    {
      label: '1,000/s',
      processes: 1,
      publishersPerProcess: 1,
      windowPerClient: 50,
      ratePerSec: 1_000,
      warmupMs: 1_000,
      durationMs: 10_000,
    },
  ];
}

// Other processes above this (% of one core) in a window make its figures suspect.
const CONTENDED_PERCENT = 25;

/** Where the time went: processes at ≥ 90 % of a core, else the machine if nearly all cores were busy. */
function limitOf(result: RelayResult): string {
  const { busyPercent, cores, othersPercent } = result.machine;
  const contended = othersPercent > CONTENDED_PERCENT ? `; CONTENDED: others ${Math.round(othersPercent)} %` : '';
  if (result.mode === 'fixed rate') return `rate (not saturated)${contended}`;
  const busy = saturatedProcesses(result, 90);
  if (busy.length > 0) return busy.join(', ') + contended;
  if (busyPercent >= cores * 100 * 0.9) return `machine (${Math.round(busyPercent)} % of ${cores * 100})${contended}`;
  return `none ≥ 90 %${contended}`;
}

function row(run: FloorRun, r: RelayResult): Record<string, string | number> {
  return {
    run: run.label,
    'procs × pubs': `${run.processes} × ${run.publishersPerProcess}`,
    'window/pub': run.windowPerClient,
    'relayed msg/s': Math.round(r.receivedPerSec),
    'recv p50 ms': r.receiveLatency.p50,
    'recv p90 ms': r.receiveLatency.p90,
    'recv p99 ms': r.receiveLatency.p99,
    'recv max ms': r.receiveLatency.max,
    'PUBACK p99 ms': r.pubackLatency.p99,
    lost: r.lost ?? '–',
    'broker CPU %': Math.round(r.brokerCpuPercent),
    'generator CPU %': r.generators.map((g) => Math.round(g.cpuPercent)).join(' / '),
    'machine CPU % (softirq)': `${Math.round(r.machine.busyPercent)} (${Math.round(r.machine.softirqPercent)})`,
    'others CPU %': Math.round(r.machine.othersPercent),
    limit: limitOf(r),
  };
}

export async function measureFloor(opts: { smoke: boolean; log?: (line: string) => void }): Promise<FloorResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const mqttVersion = (createRequire(import.meta.url)('mqtt/package.json') as { version: string }).version;
  const version = await mosquittoVersion();
  let broker: MosquittoHandle | null = null;
  const runs: FloorResult['runs'] = [];
  // Other test suites may share this machine. Before each run, wait (bounded) for it to go quiet;
  // a run that was contended anyway is repeated once, keeping the less contended attempt. Both
  // draw on one budget, so the floor still ends in about a minute and says when it was not quiet.
  let quietBudgetMs = opts.smoke ? 0 : 30_000;
  let repeatsLeft = opts.smoke ? 0 : 2;
  const isContended = (r: RelayResult): boolean => r.machine.othersPercent > CONTENDED_PERCENT;
  try {
    broker = await startMosquitto();
    log(`mosquitto ${version} pid ${broker.pid} at ${broker.url}`);
    const attempt = async (
      run: FloorRun,
      b: MosquittoHandle,
    ): Promise<{ result: RelayResult; quiet: QuietCheck | null }> => {
      let quiet: QuietCheck | null = null;
      if (quietBudgetMs >= 1_000) {
        quiet = await waitForQuietMachine({
          maxBusyPercent: CONTENDED_PERCENT,
          timeoutMs: Math.min(quietBudgetMs, 15_000),
        });
        quietBudgetMs -= quiet.waitedMs;
        if (!quiet.quiet)
          log(
            `machine not quiet (${Math.round(quiet.busyPercent)} % busy) after ${Math.round(quiet.waitedMs)} ms; running anyway`,
          );
      }
      const result = await runRelay({
        url: b.url,
        brokerPid: b.pid,
        processes: run.processes,
        publishersPerProcess: run.publishersPerProcess,
        windowPerClient: run.windowPerClient,
        warmupMs: run.warmupMs,
        durationMs: run.durationMs,
        ...(run.ratePerSec !== undefined ? { ratePerSec: run.ratePerSec } : {}),
      });
      log(
        `${run.label}: ${Math.round(result.receivedPerSec)} msg/s relayed, recv p50 ${formatCell(result.receiveLatency.p50)} ms ` +
          `p99 ${formatCell(result.receiveLatency.p99)} ms, lost ${result.lost}, broker ${Math.round(result.brokerCpuPercent)} %, ` +
          `generators ${result.generators.map((g) => Math.round(g.cpuPercent)).join('/')} %, ` +
          `machine ${Math.round(result.machine.busyPercent)} % (others ${Math.round(result.machine.othersPercent)} %)`,
      );
      return { result, quiet };
    };
    for (const run of plan(opts.smoke)) {
      let best = await attempt(run, broker);
      let repeated = false;
      if (isContended(best.result) && repeatsLeft > 0) {
        repeatsLeft--;
        repeated = true;
        log(`${run.label}: contended, repeating once`);
        const again = await attempt(run, broker);
        if (again.result.machine.othersPercent < best.result.machine.othersPercent) best = again;
      }
      runs.push({ run, ...best, repeated });
    }
  } finally {
    await broker?.stop();
  }

  const full = runs.filter((r) => r.run.ratePerSec === undefined);
  const fixed = runs.find((r) => r.run.ratePerSec === 1_000);
  // The floor is the best the broker did on a machine to itself: contended rows only as a fallback.
  const cleanFull = full.filter((r) => !isContended(r.result));
  const rateFrom = cleanFull.length > 0 ? cleanFull : full;
  const rate = Math.max(...rateFrom.map((r) => r.result.receivedPerSec));
  const rateTag = cleanFull.length > 0 ? '' : ' (CONTENDED)';
  const p99At1000 = fixed?.result.receiveLatency.p99 ?? Number.NaN;
  const p99Tag = fixed && isContended(fixed.result) ? ' (CONTENDED)' : '';
  const repeatedLabels = runs.filter((r) => r.repeated).map((r) => `"${r.run.label}"`);
  const problems = runs.flatMap(({ run, result: r }) =>
    r.lost || r.unacked || r.publishErrors || r.disconnects || r.clientErrors.length > 0
      ? [
          `${run.label}: lost ${r.lost}, unacked ${r.unacked}, publish errors ${r.publishErrors}, ` +
            `disconnects ${r.disconnects}${r.clientErrors.length > 0 ? `, errors: ${r.clientErrors.join('; ')}` : ''}`,
        ]
      : [],
  );
  const contended = runs.filter(({ result }) => isContended(result));
  const first = runs[0]?.run;
  const section: ResultsSection = {
    title: `Floor: Mosquitto ${version} QoS 1 relay${opts.smoke ? ' (smoke)' : ''}`,
    method:
      `Mosquitto ${version} on 127.0.0.1 (\`set_tcp_nodelay true\`, \`max_inflight_messages 0\`, ` +
      `\`max_queued_messages 0\`, \`persistence false\`; see bench/lib/mosquitto.ts). Load from mqtt.js ${mqttVersion} ` +
      `clients (MQTT 3.1.1, clean session, TCP_NODELAY) in child processes (bench/lib/loadgen-worker.ts): each ` +
      `process runs its publishers — QoS 1, 100-byte payloads, each on its own topic, at most "window/pub" ` +
      `messages awaiting PUBACK — and one QoS 1 subscriber to those topics. Warm-up ${first?.warmupMs ?? 0} ms, ` +
      `then a measured window (${full[0]?.run.durationMs ?? 0} ms at full speed, ${fixed?.run.durationMs ?? 0} ms at ` +
      `1,000/s). "relayed" = messages the subscribers received inside the window / its length; "recv" latency = ` +
      `publish() call → subscriber 'message' event, for messages sent in the window, from a CLOCK_MONOTONIC stamp ` +
      `in the payload; "lost" = acknowledged but never received after a bounded drain. CPU % = CPU time / wall time ` +
      `in the window, 100 = one core; machine = all cores from /proc/stat (max ${describeMachine().cores * 100}), ` +
      `softirq (loopback TCP) counted in no process; "others" = machine − softirq − broker − generators, i.e. ` +
      `processes outside the run (each run first waits, bounded, for the machine to be under ${CONTENDED_PERCENT} % busy).`,
    rows: runs.map(({ run, result }) => row(run, result)),
    notes: [
      `Floor for the budgets: **${Math.round(rate).toLocaleString('en-US')} msg/s** relayed${rateTag} (best ` +
        `uncontended full-speed row), **p99 ${formatCell(p99At1000)} ms**${p99Tag} publish → receive at 1,000 msg/s.`,
      ...(repeatedLabels.length > 0
        ? [
            `Repeated once because another process took the CPU: ${repeatedLabels.join(', ')} (the less contended attempt is shown).`,
          ]
        : []),
      ...(contended.length > 0
        ? [
            `CONTENDED: other processes used > ${CONTENDED_PERCENT} % of a core during ${contended.map((c) => `"${c.run.label}"`).join(', ')}; ` +
              'those figures understate the floor.',
          ]
        : []),
      ...problems,
    ],
  };
  return { runs, rate, p99At1000, section };
}

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const floor = await measureFloor({ smoke });
  if (smoke) {
    console.log(`\n${renderSection(floor.section, describeMachine())}`);
    console.log('(smoke: bench/RESULTS.md not written)');
  } else {
    const file = appendResults(floor.section);
    console.log(`\n${renderSection(floor.section, describeMachine())}`);
    console.log(`appended to ${file}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Ctrl-C: exit through 'exit' so startMosquitto's safety net kills the broker; workers follow
  // their parent out when the IPC channel closes.
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
