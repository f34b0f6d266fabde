// A helper process a benchmark starts (Mosquitto, Node-RED): stopped once, SIGTERM then SIGKILL,
// its scratch folder removed, and killed even if the benchmark exits without stopping it.
import type { ChildProcess } from 'node:child_process';
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
