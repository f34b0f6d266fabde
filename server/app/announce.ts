import type { AlertChange } from './alerting.js';
import type { Change } from './changes.js';
import type { ChangeSink } from './ports.js';

/** Collects what a unit of work announces; published only once the work is committed. */
export type Announce = (change: Change) => void;

/**
 * The one place where changes are announced after their commit (docs/design.md, "Changes").
 * A person's command, a report and a sweep run through `commit`: the work runs in one
 * transaction, what it announced is published after the COMMIT, in order, and nothing is
 * published if it throws (a listener never sees what rolled back). Device batches commit in the
 * group commit and are published by the ingest pipeline with `publish` once their WAL sync is
 * done (server/ingest/pipeline.ts): the same rule, later, because a device's PUBACK waits for
 * that sync.
 */
export function createAnnouncer(deps: { transaction: <T>(fn: () => T) => T; changes: ChangeSink }) {
  const { changes } = deps;
  function publish(list: readonly Change[]): void {
    for (const change of list) changes.publish(change);
  }
  return {
    commit<T>(work: (announce: Announce) => T): T {
      const pending: Change[] = [];
      const result = deps.transaction(() => work((change) => pending.push(change)));
      publish(pending);
      return result;
    },
    publish,
  };
}

export type Announcer = ReturnType<typeof createAnnouncer>;

/**
 * The live-feed changes of alerts opened, joined or moved by one commit at `at`, appended to
 * `into` (the ingest pipeline passes its batch's list: no array per press).
 */
export function alertChanges(alerts: readonly AlertChange[], at: number, into: Change[] = []): Change[] {
  for (const alert of alerts) into.push({ type: 'alert', ...alert, at });
  return into;
}
