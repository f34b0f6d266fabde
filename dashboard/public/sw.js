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
    event.respondWith(
      fetch(request)
        .then((response) => {
          // A new page may name new assets: fetch them now, while there is network.
          if (response.ok) void cacheShell(response.clone()).catch(() => {});
          return response;
        })
        .catch(() => caches.match('/').then((cached) => cached ?? Response.error())),
    );
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
