import { ERRORS } from '../../protocol/errors.js';
import { api, ApiError, currentSession, setCsrfToken } from './api.js';
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
/** The logged-in user: only their taps are sent and shown. Null while nobody is. */
let userId: number | null = null;
export const syncStats = { sent: 0, duplicates: 0, rounds: 0 };

export function onOutbox(listener: Listener): () => void {
  listeners.add(listener);
  listener(lastItems, running !== null);
  return () => listeners.delete(listener);
}

async function mine(): Promise<Pending[]> {
  return (await pending()).filter((p) => p.userId === userId);
}

async function publish(syncing: boolean): Promise<void> {
  lastItems = await mine();
  for (const l of listeners) l(lastItems, syncing);
}

/** Record what the volunteer saw: on disk first, then (if the network allows) on the server. */
export async function record(householdId: number, seen: Pending['seen']): Promise<Pending> {
  if (userId === null) throw new Error('not logged in');
  const item: Pending = { key: newKey(), userId, householdId, seen, at: Date.now(), lastError: null, refused: false };
  await enqueue(item);
  await publish(running !== null);
  void syncNow();
  return item;
}

/**
 * Sends one tap. 'done': the server has it (first time or again); 'stop': no network or no
 * session, the rest waits too; 'retry': this one failed for now, the next may go; 'refused':
 * refused for good (kept and shown, never resent).
 */
async function send(item: Pending, csrfRetried = false): Promise<'done' | 'stop' | 'retry' | 'refused'> {
  try {
    const path =
      item.seen === 'none'
        ? `/api/households/${item.householdId}/visits`
        : `/api/households/${item.householdId}/reports`;
    // When it was seen, not when it got through: a blue from 09:00 synced at 13:00 is a 09:00 check-in.
    const observedAt = new Date(item.at).toISOString();
    const body =
      item.seen === 'none'
        ? { seen: 'none', key: item.key, observedAt }
        : { state: item.seen, key: item.key, observedAt };
    const result = await api<{ duplicate?: boolean }>('POST', path, body);
    syncStats.sent += 1;
    if (result?.duplicate) syncStats.duplicates += 1;
    await remove(item.key);
    return 'done';
  } catch (err) {
    const e = err instanceof ApiError ? err : new ApiError(0, 'OFFLINE', String(err));
    // A token from before a new login in another tab: fetch the current one and try once more.
    if (e.code === ERRORS.csrf.code && !csrfRetried) {
      const found = await currentSession().catch(() => null);
      if (found?.csrfToken) {
        setCsrfToken(found.csrfToken);
        return send(item, true);
      }
    }
    const permanent =
      e.status >= 400 &&
      e.status < 500 &&
      e.status !== 401 &&
      e.status !== 408 &&
      e.status !== 429 &&
      e.code !== ERRORS.csrf.code;
    await enqueue({ ...item, lastError: e.offline ? null : e.message, refused: permanent });
    if (permanent) return 'refused';
    return e.offline || e.status === 401 || e.status === 429 || e.status === 503 ? 'stop' : 'retry';
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
      for (const item of await mine()) {
        if (item.refused) continue;
        const outcome = await send(item);
        if (outcome === 'stop') break;
      }
    } while (again);
  })()
    .catch(() => {})
    .finally(() => {
      syncStats.rounds += 1;
      running = null;
      void publish(false);
    });
  return running;
}

/** Starts the background sync for this user (the timer once per page). */
export function startSync(user: number): void {
  userId = user;
  void publish(false);
  if (timer !== null) {
    void syncNow();
    return;
  }
  window.addEventListener('online', () => void syncNow());
  timer = setInterval(() => void syncNow(), RETRY_MS);
  void syncNow();
}

/** Drops a refused item the volunteer has read. */
export async function discard(key: string): Promise<void> {
  await remove(key);
  await publish(running !== null);
}

/** Nobody is logged in: nothing is sent or shown. */
export async function stopSync(): Promise<void> {
  userId = null;
  lastItems = [];
  for (const l of listeners) l(lastItems, false);
}

/** How many of the logged-in user's taps still wait to be sent. */
export async function waitingCount(): Promise<number> {
  return (await mine().catch(() => [])).filter((p) => !p.refused).length;
}

/** The keys of the logged-in user's taps still waiting (refused ones included). */
export async function waitingKeys(): Promise<Set<string>> {
  return new Set((await mine().catch(() => [])).map((p) => p.key));
}
