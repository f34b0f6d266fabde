// The server as a separate process (no test-runner imports: benchmarks use it too), started the way `npm start` starts it, for tests that must
// kill it (SIGKILL at any instant) and start it again on the same data directory and port.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root: test/helpers/ → ../.. */
export const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));

export type ServerLogLine = { level: number; msg: string; [key: string]: unknown };
export type ChildExit = { code: number | null; signal: NodeJS.Signals | null };

export type ChildServer = {
  /** Pid of the tsx process, which is also the id of the process group it leads. */
  readonly pid: number;
  readonly httpPort: number;
  readonly mqttPort: number;
  readonly mqttUrl: string;
  readonly httpUrl: string;
  /** The server's JSON log lines so far (bounded: the first MAX_LOG_LINES). */
  readonly logs: readonly ServerLogLine[];
  /** Lines on stdout/stderr that were not JSON log lines (tsx or Node messages). */
  readonly otherOutput: readonly string[];
  /** With `controls`: sends a line to test/helpers/lane-controls.ts in the server's main thread. */
  control(command: string): void;
  /** Settles once the whole process group's output is closed and tsx has exited. */
  readonly exited: Promise<ChildExit>;
  /**
   * Sends `signal` to the whole process group and resolves when it has exited. The group is
   * what `kill -9` of "the server" must mean: tsx runs the program in a child Node process,
   * and SIGKILL of tsx alone would leave that child running, still holding the MQTT port.
   */
  kill(signal: NodeJS.Signals): Promise<ChildExit>;
};

export type ChildServerOptions = {
  dataDir: string;
  /** A fixed port, so a restart listens where the devices reconnect. See freePort(). */
  mqttPort: number;
  /** More environment (e.g. broker limits); the child gets no other variable from the test. */
  env?: Record<string, string>;
  /** How long to wait for "ribbon-pact listening". Default 30 000 ms (tsx compiles on start). */
  readyTimeoutMs?: number;
  /**
   * Preloads test/helpers/lane-controls.ts on the server's main thread, driven by `control()`:
   * to block the people side, or to crash a lane, on purpose.
   */
  controls?: boolean;
  /** Receives a function that kills the server if it still runs; tests register it. */
  onCleanup?: (cleanup: () => Promise<void>) => void;
};

const MAX_LOG_LINES = 10_000;
const READY_MSG = 'ribbon-pact listening';

/**
 * A port that was free a moment ago: listen on port 0, note the port, close. Another process
 * could take it in between; on a test machine that is rare enough, and the server then fails
 * to start with EADDRINUSE, which startChildServer reports. Devices reconnecting to it while the
 * server is down do not take it as their own source port: Linux (since 4.6) hands out odd
 * ports for listen(0) and even ones for connect().
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts `node --import tsx server/main.ts` in the repository root (as `npm start`), HTTP on port 0 and the
 * broker on `mqttPort`, and resolves once it logs that it is listening. The process is killed
 * (SIGKILL, whole group) when the test finishes, if it is still running.
 */
export async function startChildServer(opts: ChildServerOptions): Promise<ChildServer> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const env: Record<string, string> = {
    // Only what a shell would need to run it; nothing of the test runner's own environment
    // (VITEST, NODE_OPTIONS, a developer's MQTT_URL …) leaks into the server.
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? ROOT_DIR,
    ...(process.env.TZ !== undefined ? { TZ: process.env.TZ } : {}),
    PORT: '0',
    MQTT_PORT: String(opts.mqttPort),
    DATA_DIR: opts.dataDir,
    LOG_LEVEL: 'info',
    ...opts.env,
  };
  // Exactly what `npm start` runs: one Node process with tsx's loader.
  const preload = opts.controls === true ? ['--import', './test/helpers/lane-controls.ts'] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', ...preload, 'server/main.ts'], {
    cwd: ROOT_DIR,
    env,
    // Its own process group, so kill() reaches tsx and the Node process it runs.
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (opts.controls !== true) child.stdin.end();
  const pid = child.pid;
  if (pid === undefined) {
    // spawn reports the reason asynchronously on 'error'.
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`could not start the server: ${err.message}`, { cause: err });
  }

  const logs: ServerLogLine[] = [];
  const otherOutput: string[] = [];
  const remember = (line: string): ServerLogLine | null => {
    if (line.trim() === '') return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = null;
    }
    if (parsed !== null && typeof parsed === 'object' && typeof (parsed as ServerLogLine).msg === 'string') {
      const entry = parsed as ServerLogLine;
      if (logs.length < MAX_LOG_LINES) logs.push(entry);
      return entry;
    }
    if (otherOutput.length < MAX_LOG_LINES) otherOutput.push(line);
    return null;
  };
  const tail = (): string =>
    [...logs.slice(-10).map((l) => JSON.stringify(l)), ...otherOutput.slice(-20)].join('\n') || '(no output)';

  let alive = true;
  const exited = new Promise<ChildExit>((resolve) => {
    // 'close': tsx has exited and every holder of its stdout/stderr (the server process) too.
    child.once('close', (code, signal) => {
      alive = false;
      resolve({ code, signal });
    });
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (!alive) return;
    try {
      process.kill(-pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };
  const kill = (signal: NodeJS.Signals): Promise<ChildExit> => {
    signalGroup(signal);
    return exited;
  };
  // The caller's cleanup (a test's onTestFinished, a benchmark's finally) ends it for sure.
  opts.onCleanup?.(async () => {
    signalGroup('SIGKILL');
    await exited;
  });

  const ready = new Promise<{ httpPort: number; mqttPort: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      signalGroup('SIGKILL');
      reject(new Error(`server did not log "${READY_MSG}" within ${readyTimeoutMs} ms; last output:\n${tail()}`));
    }, readyTimeoutMs);
    const onLine = (line: string): void => {
      const entry = remember(line);
      if (entry?.msg !== READY_MSG) return;
      clearTimeout(timer);
      const { httpPort, mqttPort } = entry;
      // Behind an external broker (MQTT_URL) there is no MQTT port of ours: 0.
      const external = mqttPort === null && opts.env?.MQTT_URL !== undefined;
      if (typeof httpPort !== 'number' || (typeof mqttPort !== 'number' && !external)) {
        reject(new Error(`"${READY_MSG}" without httpPort/mqttPort: ${line}`));
      } else resolve({ httpPort, mqttPort: typeof mqttPort === 'number' ? mqttPort : 0 });
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    void exited.then((exit) => {
      clearTimeout(timer);
      reject(
        new Error(
          `server exited (code ${exit.code}, signal ${exit.signal}) before it was listening; output:\n${tail()}`,
        ),
      );
    });
  });
  const ports = await ready;
  if (ports.mqttPort !== opts.mqttPort && opts.env?.MQTT_URL === undefined) {
    await kill('SIGKILL');
    throw new Error(`server listens for MQTT on ${ports.mqttPort}, not on MQTT_PORT=${opts.mqttPort}`);
  }

  return {
    pid,
    httpPort: ports.httpPort,
    mqttPort: ports.mqttPort,
    mqttUrl: `mqtt://127.0.0.1:${ports.mqttPort}`,
    httpUrl: `http://127.0.0.1:${ports.httpPort}`,
    logs,
    otherOutput,
    exited,
    kill,
    control(command) {
      if (opts.controls !== true) throw new Error('start the server with `controls: true` to control it');
      child.stdin.write(`${command}\n`);
    },
  };
}

/** POST /api/session over HTTP; the `ribbon_session=…` cookie to send with requests and `/ws`. */
export async function loginOverHttp(httpUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${httpUrl}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login: HTTP ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('ribbon_session='))
    ?.split(';')[0];
  if (!cookie) throw new Error('login: no session cookie');
  return cookie;
}
