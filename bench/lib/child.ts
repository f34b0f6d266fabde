// A helper process a benchmark starts (Mosquitto, Node-RED): stopped once, SIGTERM then SIGKILL,
// its scratch folder removed, and killed even if the benchmark exits without stopping it.
import { type ChildProcess, fork } from 'node:child_process';
import { rmSync } from 'node:fs';

export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3_000).unref());
  if (await Promise.race([exited.then(() => true), timer])) return;
  child.kill('SIGKILL');
  await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref())]);
}

/** Returns stop(): idempotent; also registered for process exit as a safety net. */
export function ownChild(child: ChildProcess, scratchDir: string): () => Promise<void> {
  const killOnExit = (): void => {
    child.kill('SIGKILL');
    rmSync(scratchDir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  let stopped: Promise<void> | null = null;
  return () => {
    stopped ??= (async () => {
      await terminate(child);
      process.removeListener('exit', killOnExit);
      rmSync(scratchDir, { recursive: true, force: true });
    })();
    return stopped;
  };
}

/** `promise`, or a rejection naming `what` once `ms` have passed without it. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * A benchmark's helper process: `script` forked under tsx with an IPC channel (structured clone:
 * NaN in an empty summary stays NaN), killed if the benchmark exits first; `stop()` is SIGTERM,
 * then SIGKILL after 3 s, idempotent.
 */
export function forkHelper(
  script: string,
  cwd: string,
  what: string,
): { child: ChildProcess; pid: number; stop: () => Promise<void> } {
  const child = fork(script, [], {
    cwd,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${what} did not start`);
  // Whatever happens to the benchmark, the child does not outlive it.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= terminate(child).finally(() => process.removeListener('exit', killOnExit));
    return stopped;
  };
  return { child, pid, stop };
}
