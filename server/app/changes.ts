import { EventEmitter } from 'node:events';
import type { AlertKind, AlertStatus, RibbonState } from '../domain/ribbon.js';

/**
 * The in-process stream of committed changes (alerts, households, devices), for the live hub
 * and notifications. Emitted only after the commit, so a listener never sees what may roll back —
 * with ONE exception, `receipt`, which says what has not been committed yet (see below); a
 * listener that acts on what is on disk ignores it.
 */
export type Change =
  | {
      type: 'report';
      householdId: number;
      eventId: number;
      state: RibbonState;
      source: 'device' | 'person';
      at: number;
    }
  | {
      type: 'alert';
      alertId: number;
      householdId: number;
      kind: AlertKind;
      opened: boolean;
      status: AlertStatus;
      level: number;
      at: number;
    }
  | { type: 'device'; deviceId: string; householdId: number; online?: boolean; battery?: number; at: number }
  /** A household registered or changed by a person (name, room, away, check-in rule). */
  | { type: 'household'; householdId: number; at: number }
  /**
   * A red press on its way to disk (server/ingest/pipeline.ts): `recording` is published when
   * the press arrives, BEFORE its commit, so the dashboards learn of an emergency without waiting
   * for the disk (red to screen, issue 6); then `recorded` after the commit (this press, or an
   * earlier copy of it, is on disk: the report and alert changes of the same commit come first),
   * or `unrecorded` if the commit failed (the device got no PUBACK and will send it again). `at`
   * is when the press arrived.
   */
  | { type: 'receipt'; receiptId: number; householdId: number; deviceId: string; status: ReceiptStatus; at: number };

export type ReceiptStatus = 'recording' | 'recorded' | 'unrecorded';

export type ChangeListener = (change: Change) => void;

export function createChangeFeed() {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish(change: Change): void {
      emitter.emit('change', change);
    },
    subscribe(listener: ChangeListener): () => void {
      emitter.on('change', listener);
      return () => emitter.off('change', listener);
    },
  };
}

export type ChangeFeed = ReturnType<typeof createChangeFeed>;
