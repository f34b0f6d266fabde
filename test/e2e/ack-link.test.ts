import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { connectDevice } from '../../device-sim/device.js';
import { ACK_LINK_TTL_MS, ackLink, signAckToken } from '../../server/app/ack-link.js';
import { addHousehold, provisionDevice } from '../../server/app/provision.js';
import { DB_FILE_NAME, openDatabase } from '../../server/store/db.js';
import { createStores } from '../../server/store/index.js';
import { loadLinkSecret } from '../../server/store/secrets.js';
import { browserAvailable, newContext, PHONE, screenshot, useBrowser } from '../helpers/browser.js';
import { freePort, startChildServer } from '../helpers/child-server.js';
import { tempDir, TEST_ADMIN_PASSWORD } from '../helpers/system.js';

/**
 * The one-tap link of an SMS end to end: the server as `npm start` runs it (the core on its own
 * thread, the people side on the main one, each with its own connection to the SQLite file), a
 * simulated button over MQTT, and the link opened in headless Chromium on a phone's screen.
 */
const available = browserAvailable();

describe.skipIf(!available)('the one-tap link on a phone', () => {
  const browser = useBrowser({ dashboard: false });

  it('a red press; the link opens on a phone (nothing changes), 我去处理 is tapped, and the button hears "acknowledged"', async () => {
    const dataDir = tempDir();
    const stores = createStores(openDatabase(dataDir));
    const t = Date.now();
    const householdId = addHousehold(
      stores,
      { compound: '阳光小区', building: '2号楼', room: '301', name: '王秀英' },
      t,
    );
    const device = provisionDevice(stores, householdId, t);
    const compoundId = stores.places.getHousehold(householdId)?.compoundId ?? null;
    const personId = stores.people.add(
      { name: '王芳', phone: '13800000002', role: 'volunteer', tier: 1, compoundId, buildingId: null },
      t,
    );
    stores.db.close();

    const httpPort = await freePort();
    const publicUrl = `http://127.0.0.1:${httpPort}`;
    const server = await startChildServer({
      dataDir,
      mqttPort: await freePort(),
      env: { PORT: String(httpPort), PUBLIC_URL: publicUrl, ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
    });
    const read = new Database(path.join(dataDir, DB_FILE_NAME), { readonly: true, fileMustExist: true });
    const button = await connectDevice({ url: server.mqttUrl, id: device.id, secret: device.secret });
    const context = await newContext(browser(), PHONE);
    try {
      const { seq } = await button.press('red');
      const alertOf = () =>
        read
          .prepare<[number], { id: number; status: string; acknowledged_by: string | null }>(
            "SELECT id, status, acknowledged_by FROM alerts WHERE household_id = ? AND kind = 'emergency'",
          )
          .get(householdId);
      await expect.poll(alertOf, { timeout: 5000 }).toBeDefined();
      const alert = alertOf();
      if (alert === undefined) throw new Error('no alert');

      // The link as the SMS code makes it, with the key the server keeps in its database.
      const token = signAckToken(loadLinkSecret(read), {
        alertId: alert.id,
        recipient: { kind: 'person', id: personId },
        expiresAt: Date.now() + ACK_LINK_TTL_MS,
      });
      const link = ackLink(publicUrl, token);
      expect(link).toBe(`${publicUrl}/a/${token}`);

      const page = await context.newPage();
      const opened = await page.goto(link);
      expect(opened?.status()).toBe(200);
      await expect.poll(() => page.locator('.household').textContent()).toBe('王秀英');
      expect(await page.locator('.address').textContent()).toBe('阳光小区 2号楼 301');
      expect(await page.locator('.status').textContent()).toContain('还没有人响应');
      // The stylesheet applied (a strict CSP refuses inline styles): the banner is red.
      expect(await page.locator('.banner').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe(
        'rgb(179, 38, 30)',
      );
      const tap = page.getByRole('button', { name: /我去处理/ });
      const box = await tap.boundingBox();
      expect(box?.width).toBeGreaterThan(300);
      expect(box?.height).toBeGreaterThanOrEqual(48);
      await screenshot(page, 'ack-link-390x844');
      // Opening it changed nothing: still open, nothing told to the button.
      expect(alertOf()?.status).toBe('open');
      expect(button.acks.some((a) => a.status === 'acknowledged')).toBe(false);

      await tap.click();
      await page.locator('.done').waitFor({ timeout: 5000 });
      expect(await page.locator('.done').textContent()).toContain('已记录：我去处理');
      await button.waitForAck({ seq, status: 'acknowledged' }, 5000);
      expect(alertOf()).toMatchObject({ status: 'acknowledged', acknowledged_by: '王芳' });
      expect(await page.locator('.people').textContent()).toContain('王芳 正在处理');
      expect(page.url()).toBe(`${link}?done=ack`);
      await screenshot(page, 'ack-link-done-390x844');

      // The key never reached the server's log, nor did the token.
      const logged = JSON.stringify(server.logs);
      expect(logged).not.toContain(token);
      expect(logged).toContain('one-tap link used');
      // No CSP refusal, no script error.
      expect(context.errors).toEqual([]);
    } finally {
      await button.close();
      await context.close();
      read.close();
    }
  }, 90_000);
});
