import { parentPort, workerData } from 'node:worker_threads';
import type { Change } from '../app/changes.js';
import { systemClock } from '../app/clock.js';
import { composeSafetyCore, type SafetyCore } from '../core.js';
import { createLogger } from '../log.js';
import { inProcessLink } from './link.js';
import { type ChangesMessage, type CoreThreadData, errorData, type FromCore, type ToCore } from './messages.js';

// The safety core's own thread (docs/design.md, "Two lanes"), started by server/lanes/thread.ts:
// the broker, ingest, group commit and WAL sync, rules, sweeps and outbox, with their own SQLite
// connection and event loop. Nothing the people side does (a login's hashing, a snapshot, an
// import, a blocked main thread) runs on this loop. It answers the link's calls and sends the
// core's committed changes out, one message per turn of its loop, on a port of their own (posted
// before any reply that follows them, so the main thread can publish them first).

if (parentPort === null) throw new Error('server/lanes/core-thread.ts runs only as a worker thread');
const port = parentPort;
const { config, changes: changesPort } = workerData as CoreThreadData;
const send = (message: FromCore) => port.postMessage(message);
const log = createLogger(config.logLevel).child({ lane: 'core' });

async function compose(): Promise<SafetyCore | null> {
  try {
    return await composeSafetyCore(config, { log, clock: systemClock });
  } catch (err) {
    // Told to the main thread, which says it and exits; this thread then ends with nothing open.
    send({ type: 'failed', error: errorData(err) });
    port.close();
    return null;
  }
}

const core = await compose();
if (core !== null) serve(core);

function serve(core: SafetyCore): void {
  const link = inProcessLink(core);

  // Changes published in one turn (a batch's reports, alerts and receipts) leave as one message.
  let pending: Change[] = [];
  core.changes.subscribe((change) => {
    if (pending.length === 0) {
      queueMicrotask(() => {
        const changes = pending;
        pending = [];
        changesPort.postMessage(changes satisfies ChangesMessage);
      });
    }
    pending.push(change);
  });

  port.on('message', (message: ToCore) => {
    switch (message.type) {
      case 'start':
        core.start().then(
          (addresses) => send({ type: 'started', ...addresses }),
          (err: unknown) => {
            // Whatever did open is closed again (the database too), so the thread ends.
            const failed = () => {
              send({ type: 'failed', error: errorData(err) });
              port.close();
            };
            core.stop().then(failed, failed);
          },
        );
        return;
      case 'call': {
        const { id, name, args } = message;
        // The names are the link's own (messages.ts); the arguments are what the people side sent.
        const call = link[name] as ((...a: unknown[]) => Promise<unknown>) | undefined;
        if (typeof call !== 'function') {
          send({ type: 'reply', id, ok: false, error: { name: 'Error', message: `no call named ${String(name)}` } });
          return;
        }
        call(...args).then(
          (value) => send({ type: 'reply', id, ok: true, value }),
          (err: unknown) => send({ type: 'reply', id, ok: false, error: errorData(err) }),
        );
        return;
      }
      case 'disconnect':
        link.disconnectDevice(message.deviceId);
        return;
      case 'stop':
        core.stop().then(
          () => {
            send({ type: 'stopped' });
            port.close();
          },
          (err: unknown) => {
            log.error({ err }, 'error while stopping the safety core');
            send({ type: 'stopped' });
            port.close();
          },
        );
        return;
    }
  });
  send({ type: 'composed' });
}
