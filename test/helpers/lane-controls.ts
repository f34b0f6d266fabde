// Preloaded into a child server by tests (startChildServer's `controls`), on its main thread — the
// people side's — before server/main.ts. It reads commands from stdin, one a line, and prints what
// it did as a JSON line (so the test waits for an event, never a guess of time):
//   block <ms>   hold the main thread in a synchronous loop (a people side stuck on purpose)
//   crash-core   end the safety core's thread as a crash would
//   throw        throw an error nobody catches on the main thread
import { createInterface } from 'node:readline';
import type { Worker } from 'node:worker_threads';

const say = (msg: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ level: 30, msg: `lane-controls: ${msg}`, ...extra })}\n`);

// The first thread this (main) thread starts is the safety core's (server/lanes/thread.ts).
let coreThread: Worker | null = null;
process.on('worker', (worker: Worker) => {
  coreThread ??= worker;
});

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, arg] = line.trim().split(/\s+/);
  if (command === 'block') {
    const ms = Number(arg);
    say('blocking', { ms });
    const until = Date.now() + ms;
    while (Date.now() < until) {
      // Nothing: the people side's thread is busy.
    }
    say('unblocked');
  } else if (command === 'crash-core') {
    say('ending the core thread');
    void coreThread?.terminate();
  } else if (command === 'throw') {
    setImmediate(() => {
      throw new Error('lane-controls: the people side fails on purpose');
    });
  }
});
