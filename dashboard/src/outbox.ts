import type { RibbonState } from '../../protocol/ribbon.js';

/**
 * The patrol's outbox: every report a volunteer taps is written to IndexedDB first, with an
 * idempotency key, and removed only when the server has answered for it (201 recorded, or 200
 * "already recorded" for a resend). So nothing entered is lost when the network is gone or the
 * phone is put away, and nothing is recorded twice however often it is sent.
 */
export type Pending = {
  key: string;
  /** Who tapped it: only their session sends it (a shared phone may change hands). */
  userId: number;
  householdId: number;
  /** A ribbon seen, or `none`: no ribbon in the window. */
  seen: RibbonState | 'none';
  /** When it was tapped (ms). */
  at: number;
  /** The last answer that was not a success, shown to the volunteer. */
  lastError: string | null;
  /** The server refused it for good (e.g. the household is gone): kept, shown, never resent. */
  refused: boolean;
};

const DB_NAME = 'ribbon-patrol';
const STORE = 'outbox';
/** The last picture of the user's compounds, so the page can open with no network (see offline.ts). */
const CACHE = 'cache';

let opening: Promise<IDBDatabase> | null = null;

function db(): Promise<IDBDatabase> {
  opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 2);
    req.onupgradeneeded = () => {
      const names = req.result.objectStoreNames;
      if (!names.contains(STORE)) req.result.createObjectStore(STORE, { keyPath: 'key' });
      if (!names.contains(CACHE)) req.result.createObjectStore(CACHE);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => {
      opening = null;
      reject(req.error ?? new Error('IndexedDB is not available'));
    };
  });
  return opening;
}

async function run<T>(
  mode: IDBTransactionMode,
  body: (store: IDBObjectStore) => IDBRequest<T> | null,
  storeName = STORE,
): Promise<T | undefined> {
  const database = await db();
  return new Promise((resolve, reject) => {
    const tx = database.transaction(storeName, mode);
    const req = body(tx.objectStore(storeName));
    let result: T | undefined;
    if (req) req.onsuccess = () => (result = req.result);
    // Resolved on commit, not on the request: the write is on disk when we say "saved".
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB write failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB write aborted'));
  });
}

/** A fresh idempotency key (32 hex characters, as the API's `key` pattern allows). */
export function newKey(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

export async function enqueue(p: Pending): Promise<void> {
  await run('readwrite', (s) => s.put(p));
}

export async function pending(): Promise<Pending[]> {
  const all = (await run<Pending[]>('readonly', (s) => s.getAll() as IDBRequest<Pending[]>)) ?? [];
  return all.sort((a, b) => a.at - b.at);
}

export async function remove(key: string): Promise<void> {
  await run('readwrite', (s) => s.delete(key));
}

export async function saveCached(key: string, value: unknown): Promise<void> {
  await run('readwrite', (s) => s.put(value, key), CACHE);
}

export async function loadCached<T>(key: string): Promise<T | undefined> {
  return run<T>('readonly', (s) => s.get(key) as IDBRequest<T>, CACHE);
}

export async function clearCached(): Promise<void> {
  await run('readwrite', (s) => s.clear(), CACHE);
}
