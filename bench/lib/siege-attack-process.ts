// The siege's attack process (forked by siege-attack.ts, which describes the protocol): anonymous
// logins, resync sockets, dry-run imports and held headers, all at once for attackMs, then what
// they were answered, its own CPU and event-loop delay, back to the parent over IPC. It exits at
// once if the parent goes away.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AttackConfig, AttackResult, FromAttacker, ToAttacker } from './siege-attack.js';
import {
  type Answers,
  type Endpoint,
  floodLogins,
  holdHeaders,
  importLoop,
  newAnswers,
  newHeldSockets,
  sourceAddresses,
} from './siege-http.js';
import { attackWithResyncs, newResyncAttack } from './siege-live.js';
import type { AnswerSummary } from './siege-report.js';

function send(message: FromAttacker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

const summarizeAnswers = (a: Answers): AnswerSummary => ({
  sent: a.sent,
  byStatus: a.byStatus,
  withRetryAfter: a.withRetryAfter,
  latency: a.latency.summary(),
});

async function attack(c: AttackConfig): Promise<AttackResult> {
  const ep: Endpoint = { port: c.port, ca: c.caPem === null ? null : Buffer.from(c.caPem) };
  const csv = Buffer.from(c.csv);
  const logins = newAnswers();
  const imports = newAnswers();
  const resyncs = newResyncAttack();
  const held = newHeldSockets();
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + c.attackMs;
  lag.enable();
  await Promise.all([
    floodLogins(ep, {
      inFlight: c.loginsInFlight,
      addresses: sourceAddresses(1, c.loginAddresses),
      until: end,
      answers: logins,
    }),
    attackWithResyncs(ep, {
      session: c.session,
      sockets: c.resyncSockets,
      resyncsEach: c.resyncsEach,
      until: end,
      localAddress: sourceAddresses(1 + c.loginAddresses, 1)[0] as string,
      attack: resyncs,
    }),
    importLoop(ep, { session: c.session, csv, concurrent: c.imports, until: end, answers: imports }),
    holdHeaders(ep, {
      count: c.heldSockets,
      until: end,
      localAddress: sourceAddresses(2 + c.loginAddresses, 1)[0] as string,
      held,
    }),
  ]);
  lag.disable();
  const ranMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    logins: summarizeAnswers(logins),
    imports: summarizeAnswers(imports),
    resyncs,
    held: { ...held, heldFor: held.heldFor.summary() },
    cpuPercent: ((cpu.user + cpu.system) / 1000 / ranMs) * 100,
    lag: { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 },
    ranMs,
  };
}

let config: AttackConfig | null = null;
process.on('disconnect', () => process.exit(1));
process.on('message', (message: ToAttacker) => {
  switch (message.type) {
    case 'config':
      config = message.config;
      void send({ type: 'ready' });
      break;
    case 'attack': {
      const c = config;
      if (!c) {
        void send({ type: 'error', message: 'attack before config' }).then(() => process.exit(1));
        break;
      }
      attack(c).then(
        // Kept-alive agents and closing sockets would keep the process up: exit once sent.
        (result) => send({ type: 'result', result }).then(() => process.exit(0)),
        (err: unknown) =>
          send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }).then(() =>
            process.exit(1),
          ),
      );
      break;
    }
    default: {
      const never: never = message;
      void send({ type: 'error', message: `unknown message ${JSON.stringify(never)}` });
    }
  }
});
