import { EventEmitter } from 'node:events';
import type { Change } from '../../protocol/live.js';

export type { Change, ReceiptStatus } from '../../protocol/live.js';

export type ChangeListener = (change: Change) => void;

/**
 * The in-process stream of committed changes (alerts, households, devices), for the live hub
 * and notifications. Emitted only after the commit, so a listener never sees what may roll back —
 * with ONE exception, `receipt`, which says what has not been committed yet (see Change in
 * protocol/live.ts); a listener that acts on what is on disk ignores it.
 */
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
