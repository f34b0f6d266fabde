import type { Alert, Device, Household, User } from './api.js';
import { clearCached, loadCached, saveCached } from './outbox.js';
import type { Store } from './store.js';

/**
 * Opening with no network: the service worker (public/sw.js) serves the page, and this keeps the
 * last picture of the user's compounds on the phone (IndexedDB), so a volunteer whose tab was
 * reloaded in a stairwell still has the patrol list. What is shown that way is marked stale by
 * the live status ("reconnecting") until the server answers again. Logging out clears it.
 */
export type CachedSession = { user: User; csrfToken: string | null; savedAt: number };
type CachedPicture = { households: Household[]; alerts: Alert[]; devices: Device[]; savedAt: number };

export const SAVE_EVERY_MS = 60_000;

export function registerServiceWorker(): void {
  // Only in a secure context (HTTPS, or 127.0.0.1 / localhost); elsewhere the page needs the network.
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register('/sw.js').catch(() => {});
}

export async function rememberSession(user: User, csrfToken: string | null): Promise<void> {
  await saveCached('session', { user, csrfToken, savedAt: Date.now() } satisfies CachedSession).catch(() => {});
}

export async function cachedSession(): Promise<CachedSession | undefined> {
  return loadCached<CachedSession>('session').catch(() => undefined);
}

export async function forget(): Promise<void> {
  await clearCached().catch(() => {});
}

/** Saves the store's picture now and then (not on every delta), and at once after a snapshot. */
export function keepPicture(store: Store): () => void {
  let dirty = false;
  let last = 0;
  const save = () => {
    dirty = false;
    last = Date.now();
    // Stamped with when the server last told us anything, not with now: a copy of a copy keeps its age.
    // A red still being recorded is a moment's state: by the time a copy is read it is an alert (or unrecorded).
    const alerts = [...store.alerts.values()].filter((a) => a.receipt !== 'recording');
    const picture: CachedPicture = {
      households: [...store.households.values()],
      alerts,
      devices: [...store.devices.values()],
      savedAt: store.lastUpdate,
    };
    void saveCached('picture', picture).catch(() => {});
  };
  const off = store.listen((change) => {
    // What was read from the copy is not saved back over it.
    if (store.fromCache) return;
    if (change.reset && Date.now() - last > 5000) save();
    else dirty = true;
  });
  const timer = setInterval(() => dirty && !store.fromCache && save(), SAVE_EVERY_MS);
  return () => {
    off();
    clearInterval(timer);
  };
}

/**
 * Fills the store with the saved picture (if any), unless the live feed has already given a
 * snapshot (the network came back while the copy was being read): fresh beats saved.
 */
export async function restorePicture(store: Store): Promise<void> {
  const picture = await loadCached<CachedPicture>('picture').catch(() => undefined);
  if (!picture || store.liveSnapshots > 0) return;
  store.reset(picture.households, picture.alerts, picture.devices, false, 'cache', picture.savedAt);
}
