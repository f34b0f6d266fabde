import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { CHROMIUM_PATH, launchChromium } from '../../bench/lib/chromium.js';
import { requireProgram } from './tools.js';

/**
 * The real dashboard in Debian's Chromium, driven by playwright-core (`npx playwright install`
 * cannot work here). Without /usr/bin/chromium the browser tests are skipped with the reason
 * printed; under CI they fail instead (tools.ts).
 */
export const CJK_FONT = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';

export function browserAvailable(): boolean {
  const browser = requireProgram(CHROMIUM_PATH, 'chromium');
  const fonts = requireProgram(CJK_FONT, 'fonts-noto-cjk');
  return browser.available && fonts.available;
}

export function launchBrowser(): Promise<Browser> {
  return launchChromium();
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DASHBOARD_DIST = path.join(ROOT, 'dashboard', 'dist');
export const SHOTS_DIR = path.join(ROOT, 'test', 'e2e', '__shots__');

/** `npm test` builds the dashboard first; a lone `vitest run` builds it here if it is missing. */
export async function ensureDashboardBuilt(): Promise<void> {
  if (fs.existsSync(path.join(DASHBOARD_DIST, 'index.html'))) return;
  const { build } = await import('vite');
  await build({ configFile: path.join(ROOT, 'dashboard', 'vite.config.ts'), logLevel: 'warn' });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SHOTS_DIR, { recursive: true });
  const file = path.join(SHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

export const WALL_VIEWPORT = { width: 1920, height: 1080 };
export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 2,
};

/**
 * One Chromium for the tests of a describe block: launched before them (the dashboard built
 * first, unless the pages under test are not the dashboard's), closed after. Call it inside the
 * describe; the function it returns gives the browser to the tests.
 */
export function useBrowser(opts: { dashboard?: boolean } = {}): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (opts.dashboard !== false) await ensureDashboardBuilt();
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (browser === undefined) throw new Error('the browser is not launched yet');
    return browser;
  };
}

/** A fresh browser context (its own cookies and IndexedDB) with the page's errors collected. */
export async function newContext(
  browser: Browser,
  opts: BrowserContextOptions = { viewport: WALL_VIEWPORT },
): Promise<BrowserContext & { errors: string[] }> {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...opts });
  const errors: string[] = [];
  context.on('weberror', (e) => errors.push(e.error().message));
  context.on('console', (m) => {
    // 401 from GET /api/session before login is how the page learns it must log in.
    if (m.type() === 'error' && !m.text().includes('401')) errors.push(m.text());
  });
  return Object.assign(context, { errors });
}

/** Opens the dashboard and logs in through the form, as a person would. */
export async function loginPage(
  context: BrowserContext,
  baseUrl: string,
  username: string,
  password: string,
  hash = '',
): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/${hash}`);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  await expect.poll(() => page.locator('.live-status').getAttribute('data-status'), { timeout: 10_000 }).toBe('live');
  return page;
}
