import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { readSheet } from 'read-excel-file/node';
import writeXlsxFile from 'write-excel-file/node';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connectDevice } from '../../device-sim/device.js';
import { addHousehold } from '../../server/app/provision.js';
import { COMPOUND_A, COMPOUND_B, makeCast, TEST_USER_PASSWORD } from '../helpers/api.js';
import {
  browserAvailable,
  loginPage,
  newContext,
  PHONE,
  screenshot,
  useBrowser,
  WALL_VIEWPORT,
} from '../helpers/browser.js';
import { inventory } from '../helpers/fleet.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

/**
 * Issue 16 in Debian's headless Chromium against the real server: staff upload an .xlsx of
 * households, preview, create a device for each, download the sheet and open the labels (one QR
 * code each, printed alone); the inventory lists every device with model, firmware, battery and
 * connection, filtered by compound, model, offline and low battery, and sorted by last seen.
 */
const available = browserAvailable();

async function pageWidth(page: Page): Promise<{ scroll: number; client: number }> {
  return page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
}

async function households(system: TestSystem, n: number): Promise<Buffer> {
  for (let i = 0; i < n; i++)
    addHousehold(
      system.stores,
      { compound: COMPOUND_A, building: '7号楼', room: `${501 + i}`, name: `新户${i}` },
      Date.now(),
    );
  const rows = [
    ['小区', '楼栋', '房号', '姓名'],
    ...Array.from({ length: n }, (_, i) => [COMPOUND_A, '7号楼', `${501 + i}`, `新户${i}`]),
  ];
  return writeXlsxFile(rows.map((r) => r.map((value) => ({ value, type: String })))).toBuffer();
}

describe.skipIf(!available)('fleet provisioning and the inventory in a real browser', () => {
  const browser = useBrowser();

  for (const [label, options] of [
    ['1920×1080', { viewport: WALL_VIEWPORT }],
    ['a phone', PHONE],
  ] as const)
    it(`when staff upload an .xlsx of households on ${label}, preview it and create the devices, then the sheet downloads with every secret and the labels page holds one QR code each, printed alone`, async () => {
      const system = await startTestSystem();
      const cast = await makeCast(system);
      const N = 4;
      const file = await households(system, N);
      const context = await newContext(browser(), { ...options, acceptDownloads: true });
      const page = await loginPage(context, system.httpUrl, cast.users.staffA.username, TEST_USER_PASSWORD, '#/manage');
      await page
        .locator('#manage-list')
        .getByRole('link', { name: /^批量添加设备/ })
        .click();
      // A bad row is explained, in Chinese, and nothing can be created.
      await page.locator('#fl-file').setInputFiles({
        name: '错.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(`小区,楼栋,房号\n${COMPOUND_A},7号楼,999\n`),
      });
      await page.getByRole('button', { name: '检查', exact: true }).click();
      const bad = page.locator('#fl-errors tbody tr[data-line="2"]');
      await expect.poll(() => bad.count(), { timeout: 15_000 }).toBe(1);
      expect(await bad.locator('.im-reason').textContent()).toContain('没有地址');
      expect(await bad.locator('td').nth(1).textContent()).toBe('房号');
      expect(await page.locator('#fl-run').isDisabled()).toBe(true);
      await page
        .locator('#fl-file')
        .setInputFiles({ name: '住户.xlsx', mimeType: 'application/octet-stream', buffer: file });
      await page.getByRole('button', { name: '检查', exact: true }).click();
      await expect.poll(() => page.locator('#fl-preview tbody tr').count(), { timeout: 15_000 }).toBe(N);
      expect(await page.locator('#fl-status').textContent()).toContain(`将为 ${N} 户各添加一台设备`);
      await page.getByRole('button', { name: '创建设备' }).click();
      await expect.poll(() => page.locator('#fl-once').isVisible(), { timeout: 15_000 }).toBe(true);
      expect(await page.locator('#fl-once').textContent()).toContain('哈希');

      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#fl-xlsx').click()]);
      const sheet = await readSheet(fs.readFileSync((await download.path()) ?? ''));
      expect(sheet).toHaveLength(N + 1);
      const secrets = sheet.slice(1).map((r) => String(r[6]));
      for (const s of secrets) expect(s.length).toBeGreaterThan(20);

      await page.getByRole('button', { name: '打开标签页' }).click();
      const labels = page.locator('#fl-sheet .fleet-label');
      expect(await labels.count()).toBe(N);
      expect(await page.locator('#fl-sheet svg.qr').count()).toBe(N);
      const texts = await labels.evaluateAll((els) => els.map((e) => e.getAttribute('data-label') ?? ''));
      expect(texts).toEqual(sheet.slice(1).map((r) => String(r[7])));
      expect(await labels.first().textContent()).toContain(`${COMPOUND_A} 7号楼 501`);
      const w = await pageWidth(page);
      expect(w.scroll).toBeLessThanOrEqual(w.client);
      await screenshot(page, `fleet-labels-${label === 'a phone' ? 'phone' : 'wall'}`);

      // The label's text configures a button that connects and presses red.
      const first = JSON.parse(texts[0] ?? '{}') as { id: string; secret: string };
      const button = await connectDevice({ url: system.mqttUrl, id: first.id, secret: first.secret, boot: 1 });
      onTestFinished(() => button.close());
      const { seq } = await button.press('red');
      await button.waitForAck({ seq, status: 'received' }, 5000);

      await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('#print-slot .fleet-label').count()).toBe(N);
      expect(await page.locator('#app').isVisible()).toBe(false);
      await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
      await page.emulateMedia({ media: 'screen' });
      // Reloaded, the secrets are gone: they lived only in that answer.
      await page.reload();
      await expect.poll(() => page.locator('#fl-file').count(), { timeout: 10_000 }).toBe(1);
      expect(await page.content()).not.toContain(secrets[0]);
      expect(context.errors).toEqual([]);
    });

  for (const [label, options] of [
    ['1920×1080', { viewport: WALL_VIEWPORT }],
    ['a phone', PHONE],
  ] as const)
    it(`when the inventory is filtered on ${label} by compound, model, offline and low battery, then only those devices are listed, sorted by last seen`, async () => {
      const system = await startTestSystem();
      const cast = await makeCast(system);
      // Three buttons of compound A report themselves; a fourth never connects; B has its own.
      const made = await inventory(system, {
        compound: COMPOUND_A,
        building: '8号楼',
        firstRoom: 60,
        count: 4,
        reports: [
          { battery: 87, model: 'RB-3', fw: '1.4.2' },
          { battery: 12, model: 'RB-3', fw: '1.4.0' },
          { battery: 64, model: 'RB-5', fw: '2.0.1' },
        ],
      });
      const context = await newContext(browser(), options);
      const page = await loginPage(context, system.httpUrl, cast.users.staffA.username, TEST_USER_PASSWORD, '#/manage');
      await page
        .locator('#manage-list')
        .getByRole('link', { name: /^设备清单/ })
        .click();
      const rows = page.locator('#iv-rows tr');
      // Staff A sees compound A's five (the cast's one and the four); not B's.
      await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(5);
      expect(await page.locator('#iv-table').textContent()).not.toContain(COMPOUND_B);
      const row = page.locator(`#iv-rows tr[data-device="${made[0]?.id}"]`);
      expect(await row.textContent()).toContain('RB-3');
      expect(await row.textContent()).toContain('1.4.2');
      expect(await row.textContent()).toContain('87%');
      expect(await row.textContent()).toContain('在线');
      expect(await row.textContent()).toContain(`${COMPOUND_A} 8号楼 60`);

      await page.locator('#iv-model').selectOption('RB-3');
      await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
      await page.locator('#iv-low').check();
      await expect
        .poll(() => rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-device'))), { timeout: 10_000 })
        .toEqual([made[1]?.id]);
      await page.locator('#iv-low').uncheck();
      await page.locator('#iv-model').selectOption('');
      await page.locator('#iv-connection').selectOption({ label: '离线' });
      // Offline: the one that never connected and the cast's household's. Polled on the rows'
      // text: the model filter's two rows are still shown for a moment after the choice.
      await expect
        .poll(() => rows.allTextContents(), { timeout: 10_000 })
        .toEqual([expect.stringContaining('离线'), expect.stringContaining('离线')]);
      await page.locator('#iv-connection').selectOption('');
      await page.locator('#iv-compound').selectOption({ label: COMPOUND_A });
      await page.locator('#iv-sort').selectOption('-lastSeen');
      await expect
        .poll(() => rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-device'))), { timeout: 10_000 })
        .toEqual([made[2]?.id, made[1]?.id, made[0]?.id, expect.any(String), expect.any(String)]);
      const w = await pageWidth(page);
      expect(w.scroll).toBeLessThanOrEqual(w.client);
      await screenshot(page, `inventory-${label === 'a phone' ? 'phone' : 'wall'}`);
      expect(context.errors).toEqual([]);
    });
});
