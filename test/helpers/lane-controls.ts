// Preloaded into a child server by tests (startChildServer's `controls`), on its main thread — the
// people side's — before server/main.ts. It reads commands from stdin, one a line, and prints what
// it did as a JSON line (so the test waits for an event, never a guess of time):
//   block <ms>   hold the main thread in a synchronous loop (a people side stuck on purpose)
//   slow-requests <ms>
//                from now on, each HTTP request holds the main thread that long as it starts, before
//                the server's own listeners hear it (a flood's costly requests, one poll phase long)
//   slow-handlers <ms>
//                from now on, each HTTP request's route handler holds the main thread that long as
//                it starts (fastify's tracing channel): costly work of the server's own, after its hooks
//   crash-core   end the safety core's thread as a crash would
//   throw        throw an error nobody catches on the main thread
import diagnostics from 'node:diagnostics_channel';
import { createInterface } from 'node:readline';
import type { Worker } from 'node:worker_threads';

const say = (msg: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ level: 30, msg: `lane-controls: ${msg}`, ...extra })}\n`);

// The first thread this (main) thread starts is the safety core's (server/lanes/thread.ts).
let coreThread: Worker | null = null;
process.on('worker', (worker: Worker) => {
  coreThread ??= worker;
});

function hold(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Nothing: the people side's thread is busy.
  }
}

// Published by Node's HTTP server for each request, before it emits 'request'.
let slowRequestMs = 0;
diagnostics.subscribe('http.server.request.start', () => {
  if (slowRequestMs > 0) hold(slowRequestMs);
});

// Published by fastify as each route handler starts (after the request's hooks).
let slowHandlerMs = 0;
diagnostics.subscribe('tracing:fastify.request.handler:start', () => {
  if (slowHandlerMs > 0) hold(slowHandlerMs);
});

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, arg] = line.trim().split(/\s+/);
  if (command === 'block') {
    const ms = Number(arg);
    say('blocking', { ms });
    hold(ms);
    say('unblocked');
  } else if (command === 'slow-requests') {
    slowRequestMs = Number(arg);
    say('requests slowed', { ms: slowRequestMs });
  } else if (command === 'slow-handlers') {
    slowHandlerMs = Number(arg);
    say('handlers slowed', { ms: slowHandlerMs });
  } else if (command === 'crash-core') {
    say('ending the core thread');
    void coreThread?.terminate();
  } else if (command === 'throw') {
    setImmediate(() => {
      throw new Error('lane-controls: the people side fails on purpose');
    });
  }
});
