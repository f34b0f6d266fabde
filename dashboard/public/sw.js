/*
 * 彩带之约 service worker: lets the dashboard open with no network (a volunteer on patrol whose
 * phone reloaded the tab in a stairwell). It keeps only the page itself: `/` network-first
 * (a fresh page whenever the server answers, the last one when it does not) and the hashed
 * `/assets/` cache-first (their names change with their content). It never touches the API or
 * the live feed: reports wait in the page's own outbox (IndexedDB), not here.
 */
const CACHE = 'ribbon-shell-v1';

/**
 * Keeps the page and the files it names (hashed, so a name never changes content), so a reload
 * with no network has all of them. Given the page just fetched, or fetches it.
 */
async function cacheShell(fetched) {
  const cache = await caches.open(CACHE);
  const response = fetched ?? (await fetch('/', { cache: 'no-cache' }));
  if (!response.ok) return;
  const html = await response.clone().text();
  const files = [...html.matchAll(/(?:src|href)="(\/(?:assets\/[^"]+|favicon\.svg))"/g)].map((m) => m[1]);
  for (const file of files) if (!(await cache.match(file))) await cache.add(file);
  await cache.put('/', response);
}

/** Wait this long for the network before showing the kept page (a weak link can hang much longer). */
const NETWORK_WAIT_MS = 4000;

/**
 * The page from the network when it answers well and in time, else the kept one: no answer, a
 * proxy's error page (5xx) and a hanging link all fall back.
 */
async function pageFirstFromNetwork(request) {
  const network = fetch(request).then((response) => {
    // A new page may name new assets: fetch them now, while there is network.
    if (response.ok) void cacheShell(response.clone()).catch(() => {});
    return response;
  });
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), NETWORK_WAIT_MS));
  const first = await Promise.race([network.catch(() => null), timeout]);
  if (first?.ok) return first;
  const cached = await caches.match('/');
  if (cached) return cached;
  // Nothing kept yet: whatever the network gives, when it gives it.
  return first ?? network.catch(() => Response.error());
}

self.addEventListener('install', (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && url.pathname === '/') {
    event.respondWith(pageFirstFromNetwork(request));
    return;
  }
  if (url.pathname.startsWith('/assets/') || url.pathname === '/favicon.svg') {
    event.respondWith(
      caches.match(request).then(
        (cached) =>
          cached ??
          fetch(request).then((response) => {
            if (response.ok) {
              const copy = response.clone();
              void caches.open(CACHE).then((cache) => cache.put(request, copy));
            }
            return response;
          }),
      ),
    );
  }
});
