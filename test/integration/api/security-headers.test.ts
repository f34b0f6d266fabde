import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCS_CSP } from '../../../server/api/build-app.js';
import { DASHBOARD_CSP } from '../../../server/api/routes/home.js';
import { startTestSystem, tempDir } from '../../helpers/system.js';
import { selfSignedCert } from '../../helpers/tls.js';
import { requireProgram } from '../../helpers/tools.js';

// The headers that keep a browser from being turned against the page: no type sniffing anywhere,
// a Content-Security-Policy on the API documentation and on the dashboard's files, and HSTS over TLS.

const openssl = requireProgram('/usr/bin/openssl', 'openssl');

/** A dashboard build of two files, enough to serve /assets (no Vite needed). */
function fakeDashboard(): string {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><script type="module" src="/assets/app-1.js"></script><link rel="stylesheet" href="/assets/app-1.css">',
  );
  fs.writeFileSync(path.join(dir, 'assets', 'app-1.js'), 'console.log(1);\n');
  fs.writeFileSync(path.join(dir, 'assets', 'app-1.css'), 'body{}\n');
  fs.writeFileSync(path.join(dir, 'assets', 'icon-1.svg'), '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
  return dir;
}

/** The scripts and stylesheets a page links. */
function linkedFiles(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
}

describe('security headers', () => {
  it('when /docs and the files it links are fetched, then each is served, with the docs CSP and nosniff, and the page links only its own files', async () => {
    const s = await startTestSystem({ scheduler: false });
    const page = await fetch(`${s.httpUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(DOCS_CSP);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const files = linkedFiles(await page.text());
    expect(files.filter((f) => f.endsWith('.js'))).toHaveLength(3);
    expect(files.some((f) => f.endsWith('swagger-ui.css'))).toBe(true);
    for (const file of files) {
      // Relative to /docs, never another origin: the CSP's 'self' covers them.
      const url = new URL(file, `${s.httpUrl}/docs`);
      expect(url.origin, file).toBe(s.httpUrl);
      const res = await fetch(url);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('x-content-type-options'), file).toBe('nosniff');
      expect(res.headers.get('content-type'), file).toMatch(file.endsWith('.css') ? /text\/css/ : /javascript|image/);
      await res.arrayBuffer();
    }
    // The document the page fetches is same-origin too.
    expect((await fetch(`${s.httpUrl}/docs/json`)).status).toBe(200);
    expect(DOCS_CSP).toContain("script-src 'self'");
    expect(DOCS_CSP).toContain("connect-src 'self'");
  });

  it('when the dashboard’s files under /assets are fetched, then each carries nosniff and the dashboard’s CSP (an SVG opened alone runs nothing foreign)', async () => {
    const s = await startTestSystem({ scheduler: false, env: { DASHBOARD_DIR: fakeDashboard() } });
    for (const [file, type] of [
      ['/assets/app-1.js', /javascript/],
      ['/assets/app-1.css', /text\/css/],
      ['/assets/icon-1.svg', /image\/svg\+xml/],
    ] as const) {
      const res = await fetch(`${s.httpUrl}${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type'), file).toMatch(type);
      expect(res.headers.get('x-content-type-options'), file).toBe('nosniff');
      expect(res.headers.get('content-security-policy'), file).toBe(DASHBOARD_CSP);
      await res.arrayBuffer();
    }
    const home = await fetch(`${s.httpUrl}/`);
    expect(home.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    await home.arrayBuffer();
  });

  it('when the API answers over plain HTTP, then it says nosniff and no HSTS (that is for TLS only)', async () => {
    const s = await startTestSystem({ scheduler: false });
    for (const url of ['/api/session', '/healthz', '/api/nothing']) {
      const res = await fetch(`${s.httpUrl}${url}`);
      expect(res.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(res.headers.get('strict-transport-security'), url).toBeNull();
      await res.arrayBuffer();
    }
  });

  it.skipIf(!openssl.available)(
    'when served over TLS, then every answer (API, docs, errors) carries strict-transport-security',
    async () => {
      const { certFile, keyFile, cert: ca } = selfSignedCert(tempDir());
      const s = await startTestSystem({ scheduler: false, env: { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile } });
      for (const url of ['/healthz', '/docs', '/api/session', '/api/nothing']) {
        const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
          https
            .get(`https://127.0.0.1:${s.httpAddress.port}${url}`, { ca }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.headers));
            })
            .on('error', reject);
        });
        expect(headers['strict-transport-security'], url).toBe('max-age=31536000');
        expect(headers['x-content-type-options'], url).toBe('nosniff');
      }
    },
  );
});
