// The siege's attack traffic in a process of its own, so that the process that measures (the
// pressing device, the watching dashboard, the bookkeeping) is not slowed by it: under HTTPS the
// attack's own TLS handshakes held one shared event loop 30-150 ms at a time, and those delays
// showed up in the PUBACK and red → dashboard figures as if they were the server's.
//
// The protocol, over IPC (siege-attack-process.ts is the other side):
//   parent → {type:'config', config}   the child answers {type:'ready'} (it loaded, nothing sent)
//   parent → {type:'attack'}           the attack starts at once and lasts config.attackMs; then
//                                      the child answers {type:'result', result} and exits.
// The child exits at once if its parent goes away; the parent kills it (by its pid) in any case.
import { fileURLToPath } from 'node:url';
import { forkHelper, within } from './child.js';
import type { SiegePlan } from '../siege.js';
import type { Session } from './siege-http.js';
import type { ResyncAttack } from './siege-live.js';
import type { AnswerSummary, HeldSummary } from './siege-report.js';

export type AttackConfig = {
  /** The server's HTTP(S) port and, under HTTPS, its certificate as PEM (the CA to trust). */
  port: number;
  caPem: string | null;
  session: Session;
  /** The roster to import, as the export gave it. */
  csv: string;
} & Pick<
  SiegePlan,
  'attackMs' | 'loginsInFlight' | 'loginAddresses' | 'resyncSockets' | 'resyncsEach' | 'imports' | 'heldSockets'
>;

export type AttackResult = {
  logins: AnswerSummary;
  imports: AnswerSummary;
  resyncs: ResyncAttack;
  held: HeldSummary;
  /** The attack process's CPU (user + system, all its threads) over the attack, % of one core. */
  cpuPercent: number;
  /** Its own event-loop delay during the attack (ms): how hard it was pushed, not a server figure. */
  lag: { p99: number; max: number };
  /** From the start message to the last attacker done (ms). */
  ranMs: number;
};

export type ToAttacker = { type: 'config'; config: AttackConfig } | { type: 'attack' };
export type FromAttacker =
  | { type: 'ready' }
  | { type: 'result'; result: AttackResult }
  | { type: 'error'; message: string };

const SCRIPT = fileURLToPath(new URL('./siege-attack-process.ts', import.meta.url));
// The child resolves `--import tsx` from its cwd: the project root, wherever we were started.
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Bound on the child loading and answering ready (tsx compiles on the way). */
const READY_WITHIN_MS = 30_000;
/**
 * Bound on the result after the attack's end: an import still in flight at the end is waited
 * for (each has a 60 s timeout of its own), so a little more than that.
 */
const RESULT_AFTER_END_MS = 70_000;

export type AttackProcess = {
  readonly pid: number;
  /** Starts the attack now; resolves with what the child counted once it is over. */
  attack(): Promise<AttackResult>;
  /** SIGTERM, then SIGKILL after 3 s; idempotent. */
  stop(): Promise<void>;
};

/** Forks the attack process, hands it its config and resolves once it is ready to attack. */
export async function startAttackProcess(config: AttackConfig): Promise<AttackProcess> {
  const { child, pid, stop } = forkHelper(SCRIPT, PROJECT_ROOT, 'the siege attack process');

  let onReady: (() => void) | null = null;
  let onResult: ((r: AttackResult) => void) | null = null;
  let onFailure: ((err: Error) => void) | null = null;
  const fail = (err: Error): void => onFailure?.(err);
  child.on('error', (err) => fail(new Error(`the siege attack process: ${err.message}`)));
  // 'close', not 'exit': by then every message it sent has been read, its result among them.
  child.once('close', (code, signal) =>
    fail(new Error(`the siege attack process exited (${signal ?? `code ${code}`}) before its result`)),
  );
  child.on('message', (message: FromAttacker) => {
    switch (message.type) {
      case 'ready':
        onReady?.();
        break;
      case 'result':
        onResult?.(message.result);
        break;
      case 'error':
        fail(new Error(`the siege attack process: ${message.message}`));
        break;
      default: {
        const never: never = message;
        fail(new Error(`the siege attack process sent ${JSON.stringify(never)}`));
      }
    }
  });
  const next = <T>(set: (resolve: (value: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      set(resolve);
      onFailure = reject;
    });
  const send = (message: ToAttacker): void => {
    if (!child.connected) throw new Error('the siege attack process is gone');
    child.send(message);
  };

  try {
    const ready = next<void>((resolve) => {
      onReady = resolve;
    });
    send({ type: 'config', config });
    await within(ready, READY_WITHIN_MS, 'the siege attack process getting ready');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid,
    attack: () => {
      const result = next<AttackResult>((resolve) => {
        onResult = resolve;
      });
      send({ type: 'attack' });
      return within(result, config.attackMs + RESULT_AFTER_END_MS, 'the siege attack process reporting');
    },
    stop,
  };
}
