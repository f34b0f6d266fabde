import type { Logger } from 'pino';
import { alertChanges, type Announcer } from '../app/announce.js';
import type { Change } from '../app/changes.js';
import type { InboundMessage, Outcome, RecordMessages } from '../app/record-messages.js';
import { assertNever } from '../domain/ribbon.js';
import type { DeviceAck, DeviceConfig } from '../../protocol/mqtt.js';
import type { IngestMetrics } from '../metrics.js';
import type { UnreadableMetrics } from '../metrics-unreadable.js';
import { type DiskFullWatch, isDiskFull } from './disk-full.js';
import { createGroupCommit, type Done } from './group-commit.js';

/** Sends an ack to a device (`ribbon/{id}/ack`) through whichever broker is in use. */
export type AckPublisher = (deviceId: string, ack: DeviceAck) => void;
export type ConfigPublisher = (deviceId: string, config: DeviceConfig) => void;

export type IngestPipeline = {
  /** Queues a device message; `done` runs after its batch is on disk (or with the error). */
  submit(message: InboundMessage, done: Done<Outcome>): void;
  flush(): void;
  /** Resolves once nothing is queued or waiting for its sync. */
  drained(): Promise<void>;
  /** Messages received and not yet answered: queued for their commit or waiting for its WAL sync. */
  readonly waiting: number;
};

/**
 * The one path from a device message to disk, shared by the embedded broker (inside aedes'
 * authorizePublish) and the external-broker subscriber (inside mqtt.js' handleMessage):
 * a red press's receipt to the dashboards, group commit, then PUBACKs in arrival order, then
 * acks, logs, metrics and change events.
 */
export function createIngestPipeline(deps: {
  record: RecordMessages;
  batchMax: number;
  log: Logger;
  metrics: IngestMetrics;
  /** Unreadable messages kept or only counted (server/metrics-unreadable.ts). */
  unreadable: UnreadableMetrics;
  /** Where the changes of a committed batch go, once its sync is done (the one announcer). */
  announcer: Pick<Announcer, 'publish'>;
  publishAck: AckPublisher;
  /** Tells a device its settings (after a connect, or when its interval changed); default: nobody is told. */
  publishConfig?: ConfigPublisher;
  /** Makes committed batches durable off the event loop (WalSync.sync); record must then commit without syncing. */
  sync?: (done: (err: Error | null) => void) => void;
  /** Syncs under way at most (WalSync.concurrency; default 1). */
  syncsInFlight?: number;
  /** A sync failed: the process can no longer tell what is on disk (see group-commit onSyncFailure). */
  onSyncFailure?: (err: Error) => void;
  /** Told of commits refused for a full disk, and of each press stored (server/ingest/disk-full.ts). */
  diskFull: DiskFullWatch;
}): IngestPipeline {
  const { log, metrics, announcer } = deps;
  // Series resolved once: the counters are bumped for every press.
  const byOutcome = new Map<Outcome['type'], { inc(by?: number): void }>();
  const outcomeCounter = (type: Outcome['type']) => {
    let counter = byOutcome.get(type);
    if (counter === undefined) {
      counter = metrics.messages.child({ outcome: type });
      byOutcome.set(type, counter);
    }
    return counter;
  };
  const pressesByState = {
    red: metrics.events.child({ state: 'red', source: 'device' }),
    yellow: metrics.events.child({ state: 'yellow', source: 'device' }),
    blue: metrics.events.child({ state: 'blue', source: 'device' }),
  };

  // Red presses told to the dashboards before their commit (see `receive`), until it settles.
  const receipts = new Map<InboundMessage, Omit<Extract<Change, { type: 'receipt' }>, 'status'>>();
  // Unique across restarts too: a dashboard remembers which ids it has sounded for.
  let lastReceiptId = Date.now() * 1000;

  /**
   * A red press is news before it is on disk: a `receipt` (recording) goes to the live hub now,
   * so a screen turns red without waiting for the commit's fsync, and says "being recorded"
   * until the commit confirms it (afterCommit) or fails (the device gets no PUBACK and resends).
   * Never for anything else: a yellow or a blue can wait a millisecond.
   */
  /** Whether the message is a red press now announced (and so has a receipt to settle). */
  function receive(message: InboundMessage): boolean {
    let red: { householdId: number } | null;
    try {
      red = deps.record.peekRed(message);
    } catch (err) {
      // Only the early news is lost: the press itself goes on to the commit.
      log.error({ err, deviceId: message.deviceId }, 'could not read a press before its commit');
      return false;
    }
    if (red === null) return false;
    lastReceiptId += 1;
    const receipt = {
      type: 'receipt' as const,
      receiptId: lastReceiptId,
      householdId: red.householdId,
      deviceId: message.deviceId,
      at: message.receivedAt,
    };
    receipts.set(message, receipt);
    announcer.publish([{ ...receipt, status: 'recording' }]);
    return true;
  }

  /** The receipt's last word, into `out` (nothing when the message was not an announced red). */
  function settle(message: InboundMessage, status: 'recorded' | 'unrecorded', out: Change[]): void {
    if (receipts.size === 0) return; // the usual case: no red on its way
    const receipt = receipts.get(message);
    if (receipt === undefined) return;
    receipts.delete(message);
    out.push({ ...receipt, status });
  }

  function afterCommit(items: readonly InboundMessage[], results: readonly (Outcome | undefined)[]): void {
    const out: Change[] = [];
    let pressStored = false;
    results.forEach((outcome, i) => {
      if (outcome === undefined) return;
      if (outcome.type === 'press' || outcome.type === 'duplicate') pressStored = true;
      outcomeCounter(outcome.type).inc();
      const message = items[i] as InboundMessage;
      report(message, outcome, out);
      // On disk as a red press (or an earlier copy of it); anything else (the device retired
      // meanwhile) is not, so the screens keep it as not recorded.
      settle(message, outcome.type === 'press' || outcome.type === 'duplicate' ? 'recorded' : 'unrecorded', out);
    });
    // A press on disk again: a full disk is over (an online state alone may fit where a press does not).
    if (pressStored) deps.diskFull.stored();
    if (out.length > 0) announcer.publish(out);
  }

  /** Logs, metrics and the device's ack for one committed message; its changes into `out`. */
  function report(message: InboundMessage, outcome: Outcome, out: Change[]): void {
    const at = message.receivedAt;
    switch (outcome.type) {
      case 'press':
        pressesByState[outcome.state].inc();
        if (outcome.warnings.length > 0) {
          log.warn(
            { deviceId: outcome.deviceId, seq: outcome.seq, warnings: outcome.warnings },
            'press stored; bad optional fields dropped',
          );
        }
        deps.publishAck(outcome.deviceId, { seq: outcome.seq, status: 'received' });
        out.push({
          type: 'report',
          householdId: outcome.householdId,
          eventId: outcome.eventId,
          state: outcome.state,
          source: 'device',
          at,
        });
        alertChanges(outcome.alerts, at, out);
        return;
      case 'duplicate':
        // A redelivery: acknowledged again, with no second effect.
        log.debug({ deviceId: outcome.deviceId, seq: outcome.seq }, 'duplicate press acknowledged again');
        deps.publishAck(outcome.deviceId, { seq: outcome.seq, status: 'received' });
        return;
      case 'heartbeat':
        out.push({
          type: 'device',
          deviceId: outcome.deviceId,
          householdId: outcome.householdId,
          battery: outcome.battery,
          at,
        });
        alertChanges(outcome.alerts, at, out);
        if (outcome.config !== null) deps.publishConfig?.(outcome.deviceId, outcome.config);
        return;
      case 'online':
        out.push({
          type: 'device',
          deviceId: outcome.deviceId,
          householdId: outcome.householdId,
          online: outcome.online,
          at,
        });
        alertChanges(outcome.alerts, at, out);
        if (outcome.config !== null) deps.publishConfig?.(outcome.deviceId, outcome.config);
        return;
      case 'rejected':
        metrics.rejected.inc();
        deps.unreadable.kept.inc();
        log.warn(
          {
            deviceId: outcome.deviceId,
            topic: message.topic,
            bytes: message.payload.length,
            reason: outcome.reason,
            rejectedId: outcome.rejectedId,
          },
          'unreadable device message kept in the rejected log; device alert raised',
        );
        alertChanges(outcome.alerts, at, out);
        return;
      case 'counted':
        // Past the device's limit: a counter, and one log line per device per window.
        deps.unreadable.counted.inc();
        if (outcome.overLimit) {
          log.warn(
            { deviceId: outcome.deviceId, householdId: outcome.householdId, reason: outcome.reason },
            'device over its limit of unreadable messages: only counted until its window ends; device alert carries the count',
          );
        }
        alertChanges(outcome.alerts, at, out);
        return;
      case 'unknown-device':
        if (outcome.rejectedId === null) {
          // Not a kept press (an unknown device's message, or a retired one's heartbeat or online
          // state). The online state is the server's own note of a connection closing (the device
          // was retired and disconnected): no news.
          const level = message.channel === 'online' ? 'debug' : 'warn';
          log[level](
            { deviceId: outcome.deviceId, topic: message.topic },
            'message from a retired or unknown device ignored',
          );
          return;
        }
        metrics.rejected.inc();
        log.warn(
          {
            deviceId: outcome.deviceId,
            householdId: outcome.householdId,
            topic: message.topic,
            rejectedId: outcome.rejectedId,
          },
          'press from a retired device kept in the rejected log; device alert raised',
        );
        alertChanges(outcome.alerts, at, out);
        return;
      default:
        assertNever(outcome);
    }
  }

  const commit = createGroupCommit<InboundMessage, Outcome>({
    commit: (batch) => deps.record.recordBatch(batch),
    batchMax: deps.batchMax,
    onCommit(size, ms) {
      metrics.batchSize.observe(size);
      metrics.commitSeconds.observe(ms / 1000);
    },
    onFailure(err, size) {
      metrics.commitFailures.inc();
      // Not final, and said at a bounded rate: devices resend while the disk stays full.
      if (isDiskFull(err)) {
        deps.diskFull.refused(err, size);
        return;
      }
      log.error(
        { err, size },
        'group commit failed; its messages get no PUBACK (retried one by one if the failure may be theirs)',
      );
    },
    afterCommit,
    // Only a problem with one message's data (a constraint, a bug on one path) is isolated by
    // retrying one by one; the database being locked, full or failing is not.
    retryItems: (err) =>
      !/^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CORRUPT|NOTADB|CANTOPEN|PROTOCOL)/.test(
        (err as { code?: string }).code ?? '',
      ),
    // An I/O error in a commit (SQLite's own fsync of the WAL when it restarts it, or a write)
    // is the disk failing, as final as a failed WAL sync: seen with dm-flakey error_writes
    // (test/fault/disk.test.ts), where every commit failed with SQLITE_IOERR_FSYNC and the
    // server would otherwise have refused presses forever without restarting.
    isFinal: (err) => /^SQLITE_IOERR/.test((err as { code?: string }).code ?? ''),
    onCallbackError(err) {
      log.error({ err }, 'a commit callback threw');
    },
    ...(deps.sync ? { sync: deps.sync } : {}),
    ...(deps.syncsInFlight !== undefined ? { syncsInFlight: deps.syncsInFlight } : {}),
    onSync(_batches, _items, ms) {
      metrics.syncSeconds.observe(ms / 1000);
    },
    onSyncFailure(err, items) {
      metrics.commitFailures.inc();
      log.fatal(
        { err, items },
        'fsync of the WAL failed (or an I/O error in a commit): these presses get no PUBACK, and what is on disk is no longer known',
      );
      deps.onSyncFailure?.(err);
    },
  });

  let waiting = 0;
  return {
    submit(message, acknowledge) {
      // The server's share of the PUBACK's wait: from here to the callback that releases it.
      const started = performance.now();
      waiting += 1;
      let answered = false;
      const done: Done<Outcome> = (err, outcome) => {
        if (!answered) waiting -= 1;
        answered = true;
        if (!err) metrics.pubackSeconds.observe((performance.now() - started) / 1000);
        acknowledge(err, outcome);
      };
      if (!receive(message)) {
        commit.submit(message, done);
        return;
      }
      commit.submit(message, (err, outcome) => {
        if (err) {
          const out: Change[] = [];
          settle(message, 'unrecorded', out);
          announcer.publish(out);
        }
        done(err, outcome);
      });
    },
    flush: commit.flush,
    drained: () => commit.drained(),
    get waiting() {
      return waiting;
    },
  };
}
