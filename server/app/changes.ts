import { EventEmitter } from 'node:events';
import type { AlertKind, AlertStatus, RibbonState } from '../domain/ribbon.js';

/**
 * The in-process stream of committed changes (alerts, households, devices), for the live hub
 * and notifications. Emitted only after the commit, so a listener never sees what may roll back.
 */
export type Change =
  | { type: 'report'; householdId: number; eventId: number; state: RibbonState; source: 'device' | 'person'; at: number }
  | { type: 'alert'; alertId: number; householdId: number; kind: AlertKind; opened: boolean; status: AlertStatus; level: number; at: number }
  | { type: 'device'; deviceId: string; householdId: number; online?: boolean; battery?: number; at: number }
  /** A household registered or changed by a person (name, room, away, check-in rule). */
  | { type: 'household'; householdId: number; at: number };

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
