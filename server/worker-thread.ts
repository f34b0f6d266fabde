import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const PRELOAD_FLAGS = ['--import', '--require', '-r', '--loader', '--experimental-loader'];

/** Node's flags without the modules they preload (`--import x`, `--import=x`, …). */
export function withoutPreloads(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string;
    if (PRELOAD_FLAGS.includes(arg)) i++;
    else if (!PRELOAD_FLAGS.some((flag) => arg.startsWith(`${flag}=`))) kept.push(arg);
  }
  return kept;
}

/**
 * A worker thread running the module `name` beside `besideUrl` (pass `import.meta.url`): the .ts
 * file as this process runs TypeScript (tsx: `npm start`, vitest), or the compiled .js. A thread
 * loads a .ts entry only once tsx's hooks are registered in it, and Node 20 applies neither the
 * parent's `--import tsx` nor one in execArgv to a worker's entry; so a small eval'd body registers
 * them (tsx/esm/api) and then imports the file. The process's preloads (`--import tsx`, a test's
 * or a profiler's) are for the main thread and are left out of the thread's flags.
 */
export function startWorker(besideUrl: string, name: string, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const typescript = besideUrl.endsWith('.ts');
  const url = new URL(`./${name}.${typescript ? 'ts' : 'js'}`, besideUrl);
  const execArgv = options.execArgv ?? withoutPreloads(process.execArgv);
  if (!typescript) return new Worker(url, { ...options, execArgv });
  const api = pathToFileURL(
    path.join(path.dirname(createRequire(import.meta.url).resolve('tsx')), 'esm/api/index.mjs'),
  ).href;
  const body = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(body, { ...options, execArgv, eval: true });
}
