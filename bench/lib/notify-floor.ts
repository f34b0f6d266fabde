// The floor of bench/notify.ts, in a process of its own (as the server is): a bare aedes broker
// on 127.0.0.1 and, in the same process, a subscriber to `ribbon/+/state` that for each message
// looks up the device's phone number and sends ONE signed Alibaba Cloud SendSms (the project's own
// client, server/notify/providers/aliyun.ts: signature V3 on global fetch) to the bench's fake
// gateway. No authentication, no disk, no rules, no outbox: the least an MQTT → provider path can
// take on this machine, measured the same way as ours (press → the request's arrival at the gateway).
//
// The protocol, over IPC (notify-floor-process.ts is the other side):
//   parent → {type:'config', config}   the child listens and answers {type:'ready', port}
//   parent → {type:'finish'}           the child answers {type:'result', result} (its counts, once
//                                      every request it started is answered) and exits.
// The child exits at once if its parent goes away; the parent kills it (by its pid) in any case.
import { fileURLToPath } from 'node:url';
import { forkHelper, within } from './child.js';

export type FloorConfig = {
  /** The fake gateway, scheme host and port. */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
  templateCode: string;
  /** Device id → the mobile number its message is sent to. */
  phones: Record<string, string>;
};

export type FloorResult = {
  /** Messages the subscriber received. */
  messages: number;
  /** Requests answered OK, and not (with the first few errors). */
  ok: number;
  failed: number;
  errors: string[];
  /** The floor process's CPU from ready to finish, % of one core. */
  cpuPercent: number;
};

type ToFloor = { type: 'config'; config: FloorConfig } | { type: 'finish' };
export type FromFloor =
  | { type: 'ready'; port: number }
  | { type: 'result'; result: FloorResult }
  | { type: 'error'; message: string };
export type { ToFloor };

const SCRIPT = fileURLToPath(new URL('./notify-floor-process.ts', import.meta.url));
// The child resolves `--import tsx` from its cwd: the project root, wherever we were started.
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY_WITHIN_MS = 30_000;
/** Requests still in flight at finish have the client's own timeout (5 s) to end. */
const RESULT_WITHIN_MS = 15_000;

export type FloorProcess = {
  readonly pid: number;
  /** The broker's MQTT port on 127.0.0.1. */
  readonly port: number;
  /** Asks for the counts (once every request it started has ended); the child then exits. */
  finish(): Promise<FloorResult>;
  /** SIGTERM, then SIGKILL after 3 s; idempotent. */
  stop(): Promise<void>;
};

/** Forks the floor process, hands it its config and resolves once its broker listens. */
export async function startNotifyFloor(config: FloorConfig): Promise<FloorProcess> {
  const { child, pid, stop } = forkHelper(SCRIPT, PROJECT_ROOT, 'the notify floor process');

  let onReady: ((port: number) => void) | null = null;
  let onResult: ((r: FloorResult) => void) | null = null;
  let onFailure: ((err: Error) => void) | null = null;
  const fail = (err: Error): void => onFailure?.(err);
  child.on('error', (err) => fail(new Error(`the notify floor process: ${err.message}`)));
  child.once('close', (code, signal) =>
    fail(new Error(`the notify floor process exited (${signal ?? `code ${code}`}) before its answer`)),
  );
  child.on('message', (message: FromFloor) => {
    switch (message.type) {
      case 'ready':
        onReady?.(message.port);
        break;
      case 'result':
        onResult?.(message.result);
        break;
      case 'error':
        fail(new Error(`the notify floor process: ${message.message}`));
        break;
      default: {
        const never: never = message;
        fail(new Error(`the notify floor process sent ${JSON.stringify(never)}`));
      }
    }
  });
  const next = <T>(set: (resolve: (value: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      set(resolve);
      onFailure = reject;
    });
  const send = (message: ToFloor): void => {
    if (!child.connected) throw new Error('the notify floor process is gone');
    child.send(message);
  };

  let port: number;
  try {
    const ready = next<number>((resolve) => {
      onReady = resolve;
    });
    send({ type: 'config', config });
    port = await within(ready, READY_WITHIN_MS, 'the notify floor process getting ready');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid,
    port,
    finish: () => {
      const result = next<FloorResult>((resolve) => {
        onResult = resolve;
      });
      send({ type: 'finish' });
      return within(result, RESULT_WITHIN_MS, 'the notify floor process reporting');
    },
    stop,
  };
}
