import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../../../server/api/routes/home.js';
import { startTestSystem, tempDir } from '../../helpers/system.js';

/**
 * The dashboard's initial load stays small (a phone on a weak mobile link opens it on patrol),
 * and everything it loads comes from our own server.
 */
export const INITIAL_LOAD_BUDGET_GZIP = 40 * 1024;

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

async function buildInto(outDir: string): Promise<void> {
  await build({
    configFile: path.join(ROOT, 'dashboard', 'vite.config.ts'),
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
  });
}

/** The files index.html loads at once (scripts, stylesheets, preloads, icon). */
function initialFiles(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
}

describe('the dashboard build', () => {
  it(`keeps the initial load (HTML, scripts, styles) under ${INITIAL_LOAD_BUDGET_GZIP / 1024} KiB gzipped, all of it same-origin`, async () => {
    const out = tempDir();
    await buildInto(out);
    const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    const files = initialFiles(html);
    expect(files.some((f) => f.endsWith('.js'))).toBe(true);
    expect(files.some((f) => f.endsWith('.css'))).toBe(true);
    let total = gzipSync(html).length;
    const sizes: Record<string, number> = { 'index.html': total };
    for (const f of files) {
      // Same origin, no CDN: every path is our own.
      expect(f, f).toMatch(/^\/(?!\/)/);
      const body = fs.readFileSync(path.join(out, f));
      sizes[f] = gzipSync(body).length;
      total += sizes[f] as number;
      // Nothing inside fetches from elsewhere either (the SVG namespace is a name, not a fetch).
      const text = body.toString('utf8').replaceAll('http://www.w3.org/2000/svg', '');
      expect(text, f).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)[a-z0-9.-]+\.[a-z]{2,}/i);
    }
    expect(total, JSON.stringify(sizes)).toBeLessThanOrEqual(INITIAL_LOAD_BUDGET_GZIP);
  }, 60_000);

  it('is served at / with a strict Content-Security-Policy, and its hashed assets are cached for a year', async () => {
    const dir = tempDir();
    await buildInto(dir);
    const system = await startTestSystem({ env: { DASHBOARD_DIR: dir } });
    const res = await fetch(`${system.httpUrl}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toBe(fs.readFileSync(path.join(dir, 'index.html'), 'utf8'));
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const script = initialFiles(html).find((f) => f.endsWith('.js')) as string;
    const asset = await fetch(`${system.httpUrl}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${system.httpUrl}/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${system.httpUrl}/assets/..%2f..%2fpackage.json`)).status).toBe(404);
  }, 60_000);

  it('without a build, / says how to make one instead of failing', async () => {
    const system = await startTestSystem({ env: { DASHBOARD_DIR: tempDir() } });
    const res = await fetch(`${system.httpUrl}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('npm run build');
  });
});
