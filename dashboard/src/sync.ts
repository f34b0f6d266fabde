import { api, ApiError } from './api.js';
import { enqueue, newKey, pending, remove, type Pending } from './outbox.js';

/**
 * Sends the patrol's outbox to the server: at start, when the browser says it is online again,
 * every 15 s, and right after each tap. One round at a time, oldest first; a network failure
 * ends the round (the rest waits), a refusal for good is kept and shown, never resent.
 */
export const RETRY_MS = 15_000;

type Listener = (items: Pending[], syncing: boolean) => void;
const listeners = new Set<Listener>();
let running: Promise<void> | null = null;
let again = false;
let timer: ReturnType<typeof setInterval> | null = null;
let lastItems: Pending[] = [];
export const syncStats = { sent: 0, duplicates: 0 };

export function onOutbox(listener: Listener): () => void {
  listeners.add(listener);
  listener(lastItems, running !== null);
  return () => listeners.delete(listener);
}

async function publish(syncing: boolean): Promise<void> {
  lastItems = await pending();
  for (const l of listeners) l(lastItems, syncing);
}

/** Record what the volunteer saw: on disk first, then (if the network allows) on the server. */
export async function record(householdId: number, seen: Pending['seen']): Promise<Pending> {
  const item: Pending = { key: newKey(), householdId, seen, at: Date.now(), lastError: null, refused: false };
  await enqueue(item);
  await publish(running !== null);
  void syncNow();
  return item;
}

async function send(item: Pending): Promise<'done' | 'stop' | 'refused'> {
  try {
    const path = item.seen === 'none' ? `/api/households/${item.householdId}/visits` : `/api/households/${item.householdId}/reports`;
    const body = item.seen === 'none' ? { seen: 'none', key: item.key } : { state: item.seen, key: item.key };
    const result = await api<{ duplicate?: boolean }>('POST', path, body);
    syncStats.sent += 1;
    if (result?.duplicate) syncStats.duplicates += 1;
    await remove(item.key);
    return 'done';
  } catch (err) {
    const e = err instanceof ApiError ? err : new ApiError(0, 'OFFLINE', String(err));
    const permanent = e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 408 && e.status !== 429;
    await enqueue({ ...item, lastError: e.offline ? null : e.message, refused: permanent });
    return permanent ? 'refused' : 'stop';
  }
}

export function syncNow(): Promise<void> {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    await publish(true);
    do {
      again = false;
      for (const item of await pending()) {
        if (item.refused) continue;
        const outcome = await send(item);
        if (outcome === 'stop') break;
      }
    } while (again);
  })()
    .catch(() => {})
    .finally(() => {
      running = null;
      void publish(false);
    });
  return running;
}

/** Starts the background sync (once per page). */
export function startSync(): void {
  if (timer !== null) return;
  window.addEventListener('online', () => void syncNow());
  timer = setInterval(() => void syncNow(), RETRY_MS);
  void syncNow();
}

/** Drops a refused item the volunteer has read. */
export async function discard(key: string): Promise<void> {
  await remove(key);
  await publish(running !== null);
}
