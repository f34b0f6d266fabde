import path from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../bench/lib/chromium.js';
import { describe, expect, it } from 'vitest';
import { connectDevice } from '../../device-sim/device.js';
import { addHousehold, provisionDevice } from '../../server/app/provision.js';
import { DB_FILE_NAME, openDatabase } from '../../server/store/db.js';
import { createStores } from '../../server/store/index.js';
import { addUser, client, login, makeCast, TEST_USER_PASSWORD, type Cast } from '../helpers/api.js';
import { browserAvailable, loginPage, newContext, PHONE, screenshot, useBrowser } from '../helpers/browser.js';
import { freePort, startChildServer } from '../helpers/child-server.js';
import { answerers, phoneChannels } from '../helpers/phones.js';
import { RawMqtt } from '../helpers/raw-mqtt.js';
import { startTestSystem, tempDir, TEST_ADMIN_PASSWORD, type TestSystem } from '../helpers/system.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * The dashboard end to end: the real server (embedded broker, SQLite file), a simulated button
 * over MQTT, and the built dashboard in Debian's headless Chromium.
 */
const available = browserAvailable();

describe.skipIf(!available)('the dashboard in a real browser', () => {
  const browser = useBrowser();

  /** Two compounds (makeCast), a household with a button, its tier-1 volunteer and a webhook channel. */
  async function setUp(): Promise<{
    system: TestSystem;
    cast: Cast;
    device: { id: string; secret: string; householdId: number };
  }> {
    const system = await startTestSystem();
    const cast = await makeCast(system);
    const device = system.provision({ compound: '阳光小区', building: '2号楼', room: '301', name: '王秀英' });
    const receiver = await startWebhookReceiver();
    system.stores.people.add(
      {
        name: '李志愿',
        phone: '13800000001',
        role: 'volunteer',
        tier: 1,
        compoundId: cast.compoundA.id,
        buildingId: null,
      },
      Date.now(),
    );
    system.stores.channels.add('webhook', '社区群', { url: receiver.url, secret: 'webhook-secret' }, null, Date.now());
    // Phones too (a fake Alibaba Cloud gateway): a tier no phone reaches would be skipped at once.
    await phoneChannels(system.stores, Date.now());
    return { system, cast, device };
  }

  it('a red press shows on the wall and in the alarm list within 1 s and sounds; 我去处理 reaches the button; 已解决 needs a note; another compound sees nothing', async () => {
    const { system, cast, device } = await setUp();
    const context = await newContext(browser());
    const wall = await loginPage(context, system.httpUrl, cast.users.volunteerA.username, TEST_USER_PASSWORD, '#/wall');
    const alarms = await context.newPage();
    await alarms.goto(`${system.httpUrl}/#/alarms`);
    await expect
      .poll(() => alarms.locator('.live-status').getAttribute('data-status'), { timeout: 10_000 })
      .toBe('live');
    const tile = wall.locator(`.tile[data-hid="${device.householdId}"]`);
    // Provisioned, never connected: the device is offline.
    await expect.poll(() => tile.getAttribute('data-status')).toBe('offline');
    expect(await wall.locator(`.tile[data-hid="${cast.householdB}"]`).count()).toBe(0);

    const outsider = await newContext(browser());
    const other = await loginPage(
      outsider,
      system.httpUrl,
      cast.users.volunteerB.username,
      TEST_USER_PASSWORD,
      '#/alarms',
    );

    const button = await connectDevice({
      url: system.mqttUrl,
      id: device.id,
      secret: device.secret,
      reconnectPeriodMs: 100,
    });
    try {
      // Online now, and nothing pressed yet.
      await expect.poll(() => tile.getAttribute('data-status')).toBe('none');
      const pressed = Date.now();
      const { seq } = await button.press('red');
      // Within 1 s of the press: the tile is red on the wall, and the alarm card is listed.
      await wall
        .locator(`.tile[data-hid="${device.householdId}"][data-status="red"]`)
        .waitFor({ timeout: Math.max(1, 1000 - (Date.now() - pressed)) });
      const card = alarms.locator('#alarms-emergency .alarm[data-status="open"]');
      await card.waitFor({ timeout: Math.max(1, 1000 - (Date.now() - pressed)) });
      expect(await tile.textContent()).toContain('红');
      expect(await tile.getAttribute('aria-label')).toContain('红 · 紧急');
      await expect.poll(() => card.textContent()).toContain('王秀英');
      // The tier reached and whom it was sent to, and how: an SMS, a call, the group's webhook.
      await expect.poll(() => card.textContent(), { timeout: 10_000 }).toContain('李志愿：');
      for (const how of ['短信已发', '电话已拨', '群消息已发'])
        await expect.poll(() => card.textContent(), { timeout: 10_000 }).toContain(how);
      expect(await card.textContent()).toContain('当前第 1 级');

      // The alarm sounded (Web Audio, in both tabs), the title flashes, screen readers are told.
      await expect.poll(() => alarms.evaluate(() => window.ribbonStats.alarmsPlayed())).toBeGreaterThanOrEqual(1);
      await expect.poll(() => alarms.locator('#alarm-announce').textContent()).toContain('王秀英');
      await expect.poll(() => alarms.title(), { timeout: 3000 }).toContain('紧急求助');
      expect(await alarms.locator('#sound-toggle').getAttribute('aria-pressed')).toBe('false');
      await expect.poll(() => wall.locator('.chip[data-status="red"] b').textContent()).toBe('1');
      await screenshot(wall, 'wall-1920x1080');
      await screenshot(alarms, 'alarm-1920x1080');

      // 我去处理: the button hears "acknowledged"; the card says who is going.
      await card.getByRole('button', { name: '我去处理' }).click();
      await button.waitForAck({ seq, status: 'acknowledged' }, 5000);
      await expect
        .poll(() => alarms.locator('#alarms-emergency .alarm').getAttribute('data-status'))
        .toBe('acknowledged');
      await expect.poll(() => alarms.locator('#alarms-emergency .alarm').textContent()).toContain('李志愿 正在处理');

      // 已解决 without a note is refused in the dialog; with one, the alert is resolved.
      await alarms.locator('#alarms-emergency .alarm').getByRole('button', { name: '已解决' }).click();
      const dialog = alarms.getByRole('dialog');
      await dialog.getByRole('button', { name: '确认' }).click();
      expect(await dialog.isVisible()).toBe(true);
      await dialog.getByLabel('处理说明（必填）').fill('老人摔倒，已扶起，无大碍');
      await dialog.getByRole('button', { name: '确认' }).click();
      await button.waitForAck({ seq, status: 'resolved' }, 5000);
      await expect.poll(() => alarms.locator('#alarms-emergency .alarm').count()).toBe(0);
      const resolved = system.stores.alerts.page({ status: 'resolved', compoundIds: null }, null, 10);
      expect(resolved).toHaveLength(1);
      expect(resolved[0]).toMatchObject({ resolutionNote: '老人摔倒，已扶起，无大碍', resolvedBy: '李志愿' });
      await expect.poll(() => tile.getAttribute('data-status')).toBe('handled');

      // The household's page tells the story, with who did what; a volunteer sees no phone numbers.
      await tile.click();
      const timeline = wall.locator('#household-timeline');
      await expect.poll(() => timeline.textContent(), { timeout: 5000 }).toContain('老人摔倒，已扶起，无大碍');
      const story = (await timeline.textContent()) ?? '';
      expect(story).toContain('李志愿');
      expect(story).toContain(device.id);
      expect(await wall.locator('#household-contacts').count()).toBe(0);
      expect(await wall.locator('#household-device').textContent()).toContain('在线');
      // The month's figures count this emergency, acknowledged within 60 s.
      await wall.goto(`${system.httpUrl}/#/figures`);
      await expect.poll(() => wall.locator('#fig-opened').textContent(), { timeout: 5000 }).toContain('1');
      expect(await wall.locator('#fig-acknowledged').textContent()).toContain('1');
      expect(await wall.locator('#fig-target-60').getAttribute('data-met')).toBe('true');

      // The volunteer of the other compound never saw any of it.
      expect(await other.locator('#alarms-emergency .alarm').count()).toBe(0);
      expect(await other.evaluate(() => window.ribbonStats.alarmsPlayed())).toBe(0);
      await other.goto(`${system.httpUrl}/#/wall`);
      await other.locator(`.tile[data-hid="${cast.householdB}"]`).waitFor();
      expect(await other.locator(`.tile[data-hid="${device.householdId}"]`).count()).toBe(0);
      expect([...context.errors, ...outsider.errors]).toEqual([]);
    } finally {
      await button.close();
      await context.close();
      await outsider.close();
    }
  });

  it('a red press shows before it is on disk: with the database locked, the card says 正在记录 and sounds within 1 s, then becomes the alert (one sound); a press whose commit fails says so', async () => {
    // The server in a process of its own: this test holds SQLite's write lock, and the server's
    // commit waits for it (blocking the server, not the test or the browser).
    const dataDir = tempDir();
    const stores = createStores(openDatabase(dataDir));
    const now = Date.now();
    const firstHousehold = addHousehold(
      stores,
      { compound: '阳光小区', building: '2号楼', room: '301', name: '王秀英' },
      now,
    );
    const first = provisionDevice(stores, firstHousehold, now);
    const secondHousehold = addHousehold(
      stores,
      { compound: '阳光小区', building: '2号楼', room: '302', name: '赵淑珍' },
      now,
    );
    const second = provisionDevice(stores, secondHousehold, now);
    // Someone with a phone at every tier, and SMS and voice channels: the red stays at tier 1.
    answerers(stores, stores.places.getHousehold(firstHousehold)?.compoundId ?? 0, now);
    await phoneChannels(stores, now);
    stores.db.close();
    const server = await startChildServer({
      dataDir,
      mqttPort: await freePort(),
      env: { ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
    });
    const lock = new Database(path.join(dataDir, DB_FILE_NAME));
    const onlineOnDisk = (deviceId: string) =>
      expect
        .poll(() => lock.prepare('SELECT online FROM devices WHERE id = ?').get(deviceId), { timeout: 10_000 })
        .toEqual({ online: 1 });
    const context = await newContext(browser());
    try {
      const alarms = await loginPage(context, server.httpUrl, 'admin', TEST_ADMIN_PASSWORD, '#/alarms');
      await expect
        .poll(() => alarms.locator('.live-status').getAttribute('data-status'), { timeout: 10_000 })
        .toBe('live');
      const wall = await context.newPage();
      await wall.goto(`${server.httpUrl}/#/wall`);
      const tile = wall.locator(`.tile[data-hid="${firstHousehold}"]`);
      await tile.waitFor({ timeout: 10_000 });
      const { raw } = await RawMqtt.connect(server.mqttPort, {
        clientId: first.id,
        username: first.id,
        password: first.secret,
      });
      // The connect's own write (the device online) must be on disk before the lock is taken: a
      // commit waiting on the lock holds the core's thread (up to its 5 s busy timeout), and the red
      // press with it. CONNACK comes before that commit, so a loaded machine lost this race.
      await onlineOnDisk(first.id);

      lock.exec('BEGIN IMMEDIATE');
      const pressed = Date.now();
      raw.send(raw.publish(`ribbon/${first.id}/state`, '{"state":"red","seq":1,"boot":1}', 1));
      const early = alarms.locator('#alarms-emergency .alarm.receipt-recording');
      await early.waitFor({ timeout: Math.max(1, 1000 - (Date.now() - pressed)) });
      await wall
        .locator(`.tile[data-hid="${firstHousehold}"][data-status="red"]`)
        .waitFor({ timeout: Math.max(1, 1000 - (Date.now() - pressed)) });
      expect(await early.textContent()).toContain('王秀英');
      expect(await early.textContent()).toContain('收到紧急求助，正在记录');
      // Not an alert yet: nothing to acknowledge.
      expect(await early.getByRole('button').count()).toBe(0);
      await expect.poll(() => alarms.evaluate(() => window.ribbonStats.alarmsPlayed())).toBe(1);
      await expect.poll(() => alarms.locator('#alarm-announce').textContent()).toContain('王秀英');
      // Still not on disk, still not acknowledged to the button.
      expect(raw.packets.some((p) => p.cmd === 'puback')).toBe(false);
      await screenshot(alarms, 'alarm-recording-1920x1080');
      lock.exec('COMMIT');

      await raw.next((p) => p.cmd === 'puback' && p.messageId === 1, 6000);
      const card = alarms.locator('#alarms-emergency .alarm[data-status="open"]');
      await card.getByRole('button', { name: '我去处理' }).waitFor({ timeout: 5000 });
      expect(await alarms.locator('#alarms-emergency .alarm').count()).toBe(1);
      expect(await alarms.locator('.alarm.receipt-recording').count()).toBe(0);
      expect(await card.textContent()).toContain('当前第 1 级');
      // The alert is the same emergency: it did not sound a second time.
      expect(await alarms.evaluate(() => window.ribbonStats.alarmsPlayed())).toBe(1);

      // A red whose commit fails (the lock outlasts the server's 5 s busy timeout) stays on screen, saying so.
      // First the first red's SMS, call and their bookkeeping are done: a write of the core's
      // waiting on the test's lock would hold its thread and the second press with it.
      await expect
        .poll(() => lock.prepare("SELECT count(*) AS n FROM alerts WHERE reach = 'reached'").get() as { n: number }, {
          timeout: 10_000,
        })
        .toEqual({ n: 1 });
      await expect
        .poll(() => lock.prepare("SELECT count(*) AS n FROM outbox WHERE status = 'pending'").get() as { n: number }, {
          timeout: 10_000,
        })
        .toEqual({ n: 0 });
      const { raw: other } = await RawMqtt.connect(server.mqttPort, {
        clientId: second.id,
        username: second.id,
        password: second.secret,
      });
      await onlineOnDisk(second.id);
      lock.exec('BEGIN IMMEDIATE');
      other.send(other.publish(`ribbon/${second.id}/state`, 'red', 1));
      const failed = alarms.locator('#alarms-emergency .alarm.receipt-unrecorded');
      await failed.waitFor({ timeout: 10_000 });
      lock.exec('ROLLBACK');
      expect(await failed.textContent()).toContain('赵淑珍');
      expect(await failed.textContent()).toContain('服务器未能记录');
      await expect
        .poll(() => wall.locator(`.tile[data-hid="${secondHousehold}"]`).getAttribute('data-status'))
        .toBe('red');
      expect(await alarms.evaluate(() => window.ribbonStats.alarmsPlayed())).toBe(2);
      await screenshot(alarms, 'alarm-unrecorded-1920x1080');
      expect(context.errors).toEqual([]);
    } finally {
      if (lock.inTransaction) lock.exec('ROLLBACK');
      lock.close();
      await context.close();
    }
  }, 60_000);

  it('patrol offline: the tap is kept in IndexedDB and shown as waiting, survives closing the page, and is recorded exactly once when the network returns, even when an answer is lost', async () => {
    const { system, cast } = await setUp();
    const first = system.provision({ compound: '阳光小区', building: '3号楼', room: '101', name: '赵凤英' });
    const second = system.provision({ compound: '阳光小区', building: '3号楼', room: '102', name: '钱德明' });
    const third = system.provision({ compound: '阳光小区', building: '3号楼', room: '103', name: '孙建国' });
    const fourth = system.provision({ compound: '阳光小区', building: '3号楼', room: '104', name: '吴秀英' });
    const personReports = (householdId: number) =>
      system.stores.events.pageForHousehold(householdId, null, 100).filter((e) => e.source === 'person');
    const context = await newContext(browser(), PHONE);
    try {
      const page = await loginPage(
        context,
        system.httpUrl,
        cast.users.volunteerA.username,
        TEST_USER_PASSWORD,
        '#/patrol',
      );
      const row = (hid: number) => page.locator(`.patrol-row[data-hid="${hid}"]`);
      await row(first.householdId).waitFor();

      await context.setOffline(true);
      await row(first.householdId).getByRole('button', { name: '蓝' }).click();
      await expect.poll(() => page.locator('#sync-bar').getAttribute('data-pending')).toBe('1');
      expect(await page.locator('#sync-bar').textContent()).toContain('1 条记录等待同步');
      expect(await row(first.householdId).textContent()).toContain('等待同步');
      await row(second.householdId).getByRole('button', { name: '黄' }).click();
      await expect.poll(() => page.locator('#sync-bar').getAttribute('data-pending')).toBe('2');
      await row(third.householdId).getByRole('button', { name: '无彩带' }).click();
      await expect.poll(() => page.locator('#sync-bar').getAttribute('data-pending')).toBe('3');
      // A red seen with no network: kept, and the volunteer is told plainly that nobody knows yet.
      await row(fourth.householdId).getByRole('button', { name: '红' }).click();
      await expect.poll(() => page.locator('.toast-error').last().textContent()).toContain('紧急求助尚未送出');
      await expect.poll(() => page.locator('#sync-bar').getAttribute('data-pending')).toBe('4');
      await screenshot(page, 'patrol-390x844-offline');
      const tappedBy = Date.now();
      expect(personReports(first.householdId)).toHaveLength(0);
      expect(system.stores.visits.pageForHousehold(third.householdId, null, 10)).toHaveLength(0);

      // The phone is put away: the page closes with both taps unsent.
      await page.close();
      const again = await context.newPage();
      // The first send reaches the server but its answer is lost on the way back.
      let lost = 0;
      await again.route('**/api/households/*/reports', async (route) => {
        if (lost === 0) {
          lost += 1;
          await route.fetch();
          await route.abort('connectionreset');
        } else {
          await route.continue();
        }
      });
      await context.setOffline(false);
      await again.goto(`${system.httpUrl}/#/patrol`);
      await expect
        .poll(() => again.locator('.live-status').getAttribute('data-status'), { timeout: 10_000 })
        .toBe('live');
      // The lost answer left both waiting (a round stops at a network failure); the next round
      // sends the first again, with the same key, and the server says it already has it.
      await expect.poll(() => lost).toBe(1);
      await expect.poll(() => again.locator('#sync-bar .sync-state .spin').count()).toBe(0);
      expect(personReports(first.householdId)).toHaveLength(1);
      await again.getByRole('button', { name: '立即同步' }).click();
      await expect.poll(() => again.locator('#sync-bar').getAttribute('data-pending'), { timeout: 10_000 }).toBe('0');
      expect(await again.locator('#sync-bar').textContent()).toContain('全部已同步');
      await screenshot(again, 'patrol-390x844-synced');

      expect(personReports(first.householdId).map((e) => e.state)).toEqual(['blue']);
      // Recorded as seen when it was tapped (offline), not when it got through.
      const [blue] = personReports(first.householdId);
      expect(blue?.observedAt).toBeLessThanOrEqual(tappedBy);
      expect(blue?.receivedAt).toBeGreaterThan(tappedBy);
      expect(personReports(second.householdId).map((e) => e.state)).toEqual(['yellow']);
      expect(personReports(fourth.householdId).map((e) => e.state)).toEqual(['red']);
      // "No ribbon" is kept as a visit, not as a ribbon.
      expect(system.stores.visits.pageForHousehold(third.householdId, null, 10).map((v) => v.seen)).toEqual(['none']);
      expect(personReports(third.householdId)).toHaveLength(0);
      expect(await again.evaluate(() => window.ribbonStats.sync)).toMatchObject({ duplicates: 1 });
      // A double tap is one report: the row rests after a tap.
      const fifthRow = again.locator(`.patrol-row[data-hid="${first.householdId}"]`);
      await fifthRow.getByRole('button', { name: '蓝' }).dblclick();
      await expect.poll(() => again.evaluate(() => window.ribbonStats.sync.sent)).toBeGreaterThanOrEqual(5);
      await expect.poll(() => fifthRow.getByRole('button', { name: '蓝' }).isEnabled(), { timeout: 5000 }).toBe(true);
      await expect.poll(() => again.locator('#sync-bar .sync-state .spin').count()).toBe(0);
      // Four queued taps and one for the double tap: a second send would make it six.
      expect(await again.evaluate(() => window.ribbonStats.sync.sent)).toBe(5);
      expect(personReports(first.householdId).map((e) => e.state)).toEqual(['blue', 'blue']);
      // The yellow became a service request, live on the phone too.
      await expect
        .poll(() => again.locator(`.patrol-row[data-hid="${second.householdId}"] .now`).getAttribute('class'))
        .toContain('s-yellow');
      expect(
        context.errors.filter((e) => !e.includes('ERR_INTERNET_DISCONNECTED') && !e.includes('ERR_CONNECTION_RESET')),
      ).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('opens with no network from what the phone kept (a reloaded tab in a stairwell), and sends the taps made meanwhile once the server is back', async () => {
    const port = await freePort();
    const dataDir = tempDir();
    let system = await startTestSystem({ env: { PORT: String(port) }, dataDir });
    const cast = await makeCast(system);
    const home = system.provision({ compound: '阳光小区', building: '5号楼', room: '502', name: '周桂兰' });
    const context = await newContext(browser(), PHONE);
    try {
      const page = await loginPage(
        context,
        system.httpUrl,
        cast.users.volunteerA.username,
        TEST_USER_PASSWORD,
        '#/patrol',
      );
      await page.locator(`.patrol-row[data-hid="${home.householdId}"]`).waitFor();
      // The service worker holds the page and its files.
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
      await expect
        .poll(() =>
          page.evaluate(
            async () =>
              (await caches.keys()).length > 0 && (await (await caches.open('ribbon-shell-v1')).keys()).length >= 3,
          ),
        )
        .toBe(true);

      await system.stop();
      await page.reload();
      const row = page.locator(`.patrol-row[data-hid="${home.householdId}"]`);
      await row.waitFor({ timeout: 10_000 });
      expect(await row.textContent()).toContain('周桂兰');
      await expect
        .poll(() => page.locator('.live-status').getAttribute('data-status'), { timeout: 10_000 })
        .toBe('reconnecting');
      await row.getByRole('button', { name: '红' }).click();
      await expect.poll(() => page.locator('#sync-bar').getAttribute('data-pending')).toBe('1');
      await screenshot(page, 'patrol-390x844-opened-offline');

      system = await startTestSystem({ env: { PORT: String(port) }, dataDir });
      await expect
        .poll(() => page.locator('.live-status').getAttribute('data-status'), { timeout: 30_000 })
        .toBe('live');
      await expect.poll(() => page.locator('#sync-bar').getAttribute('data-pending'), { timeout: 30_000 }).toBe('0');
      const reports = system.stores.events
        .pageForHousehold(home.householdId, null, 10)
        .filter((e) => e.source === 'person');
      expect(reports.map((e) => e.state)).toEqual(['red']);
      expect(
        system.stores.alerts.page({ status: 'open', compoundIds: null }, null, 10).map((a) => [a.kind, a.householdId]),
      ).toEqual([['emergency', home.householdId]]);
    } finally {
      await context.close();
    }
  });

  it('logging out forgets what the phone kept of the compounds', async () => {
    const { system, cast } = await setUp();
    const context = await newContext(browser(), PHONE);
    try {
      const page = await loginPage(
        context,
        system.httpUrl,
        cast.users.volunteerA.username,
        TEST_USER_PASSWORD,
        '#/patrol',
      );
      const kept = () =>
        page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const req = indexedDB.open('ribbon-patrol');
              req.onsuccess = () => {
                const tx = req.result.transaction('cache', 'readonly');
                const count = tx.objectStore('cache').count();
                count.onsuccess = () => resolve(count.result);
              };
            }),
        );
      await expect.poll(kept).toBeGreaterThanOrEqual(2);
      await page.getByRole('button', { name: '退出登录' }).click();
      await page.getByLabel('用户名').waitFor();
      await expect.poll(kept).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('says plainly when the screen is stale, reconnects with backoff, and comes back live', async () => {
    const { system, cast } = await setUp();
    const context = await newContext(browser());
    try {
      // The page's /ws goes through a relay the test can cut, as a dropped mobile link would.
      const sockets: Array<{ close(o: { code: number; reason: string }): Promise<void> }> = [];
      let down = false;
      let attempts = 0;
      await context.routeWebSocket(/\/ws(\?[^/]*)?$/, (ws) => {
        attempts += 1;
        if (down) {
          void ws.close({ code: 1013, reason: 'down' });
          return;
        }
        ws.connectToServer();
        sockets.push(ws);
      });
      const page = await loginPage(
        context,
        system.httpUrl,
        cast.users.volunteerA.username,
        TEST_USER_PASSWORD,
        '#/wall',
      );
      down = true;
      await Promise.all(sockets.map((ws) => ws.close({ code: 1001, reason: 'link lost' })));
      await expect
        .poll(() => page.locator('.live-status').getAttribute('data-status'), { timeout: 5000 })
        .toBe('reconnecting');
      expect(await page.locator('.live-status').textContent()).toContain('画面可能已过时');
      await screenshot(page, 'wall-reconnecting');
      // It keeps trying, with growing waits (0.5 s, 1 s, 2 s … with jitter), not in a tight loop.
      await expect.poll(() => attempts, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
      const tries = attempts;
      await page.waitForTimeout(1000);
      expect(attempts - tries).toBeLessThanOrEqual(2);
      down = false;
      await expect
        .poll(() => page.locator('.live-status').getAttribute('data-status'), { timeout: 20_000 })
        .toBe('live');
    } finally {
      await context.close();
    }
  });

  it('a page opened without a touch (a wall restarted at night) says the alarm cannot sound yet, and a touch enables it', async () => {
    const { system, cast } = await setUp();
    // This browser keeps Chromium's own rule: no sound before the person touches the page.
    const strict = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS.filter((a) => !a.startsWith('--autoplay-policy')),
    });
    try {
      const context = await newContext(strict);
      const page = await loginPage(
        context,
        system.httpUrl,
        cast.users.volunteerA.username,
        TEST_USER_PASSWORD,
        '#/wall',
      );
      const toggle = page.locator('#sound-toggle');
      // Logging in was a touch: sound is allowed.
      await expect.poll(() => toggle.getAttribute('data-state')).toBe('on');
      expect(await page.locator('#sound-banner').isVisible()).toBe(false);
      await page.reload();
      await expect
        .poll(() => page.locator('.live-status').getAttribute('data-status'), { timeout: 10_000 })
        .toBe('live');
      await expect.poll(() => toggle.getAttribute('data-state')).toBe('blocked');
      expect(await toggle.textContent()).toContain('点击页面任意处以启用警报声音');
      expect(await page.locator('#sound-banner').isVisible()).toBe(true);
      await screenshot(page, 'wall-sound-blocked');
      await page.mouse.click(600, 600);
      await expect.poll(() => toggle.getAttribute('data-state')).toBe('on');
      expect(await page.locator('#sound-banner').isVisible()).toBe(false);
    } finally {
      await strict.close();
    }
  });

  it('a shared phone: taps wait for the volunteer who made them, and logging out with taps waiting asks first and is finished when the network returns', async () => {
    const { system, cast } = await setUp();
    const other = await addUser(system, {
      username: 'volunteer-a2',
      role: 'volunteer',
      compoundIds: [cast.compoundA.id],
      displayName: '周志愿',
    });
    const personReports = () =>
      system.stores.events.pageForHousehold(cast.householdA, null, 100).filter((e) => e.source === 'person');
    const context = await newContext(browser(), PHONE);
    try {
      const page = await loginPage(
        context,
        system.httpUrl,
        cast.users.volunteerA.username,
        TEST_USER_PASSWORD,
        '#/patrol',
      );
      await context.setOffline(true);
      await page.locator(`.patrol-row[data-hid="${cast.householdA}"]`).getByRole('button', { name: '蓝' }).click();
      await expect.poll(() => page.locator('#sync-bar').getAttribute('data-pending')).toBe('1');
      const asked: string[] = [];
      page.once('dialog', (d) => {
        asked.push(d.message());
        void d.accept();
      });
      await page.getByRole('button', { name: '退出登录' }).click();
      await expect.poll(() => page.locator('#login-error').textContent()).toContain('退出登录尚未完成');
      expect(asked[0]).toContain('1 条巡查记录未同步');

      // Back online, the page first finishes the logout: the old session is really gone.
      await context.setOffline(false);
      await page.reload();
      await page.getByLabel('用户名').waitFor();
      const still = await context.request.get(`${system.httpUrl}/api/session`);
      expect(still.status()).toBe(401);

      // Another volunteer on the same phone: the first one's tap is neither shown nor sent.
      await page.getByLabel('用户名').fill(other.username);
      await page.getByLabel('密码').fill(TEST_USER_PASSWORD);
      await page.getByRole('button', { name: '登录' }).click();
      await expect
        .poll(() => page.locator('.live-status').getAttribute('data-status'), { timeout: 10_000 })
        .toBe('live');
      await page.goto(`${system.httpUrl}/#/patrol`);
      await expect.poll(() => page.evaluate(() => window.ribbonStats.sync.rounds)).toBeGreaterThanOrEqual(1);
      expect(await page.locator('#sync-bar').getAttribute('data-pending')).toBe('0');
      expect(personReports()).toHaveLength(0);

      // The volunteer who tapped logs in again: it goes, in their name.
      await page.getByRole('button', { name: '退出登录' }).click();
      await page.getByLabel('用户名').fill(cast.users.volunteerA.username);
      await page.getByLabel('密码').fill(TEST_USER_PASSWORD);
      await page.getByRole('button', { name: '登录' }).click();
      await expect
        .poll(() => personReports().map((e) => [e.state, e.reportedBy]), { timeout: 10_000 })
        .toEqual([['blue', '李志愿']]);
    } finally {
      await context.close();
    }
  });

  it('the alarm can be muted, visibly, and the choice is remembered', async () => {
    const { system, cast, device } = await setUp();
    const context = await newContext(browser());
    try {
      const page = await loginPage(
        context,
        system.httpUrl,
        cast.users.volunteerA.username,
        TEST_USER_PASSWORD,
        '#/alarms',
      );
      const toggle = page.locator('#sound-toggle');
      expect(await toggle.textContent()).toContain('警报声音：开');
      await toggle.click();
      expect(await toggle.getAttribute('aria-pressed')).toBe('true');
      expect(await toggle.textContent()).toContain('已静音');
      await page.reload();
      await expect
        .poll(() => page.locator('.live-status').getAttribute('data-status'), { timeout: 10_000 })
        .toBe('live');
      expect(await page.locator('#sound-toggle').getAttribute('aria-pressed')).toBe('true');
      system.recordPersonReport({
        householdId: device.householdId,
        state: 'red',
        note: null,
        by: 'test',
        idempotencyKey: null,
      });
      // Muted: no sound, but the card, the announcement and the flashing title still come.
      await page.locator('#alarms-emergency .alarm').waitFor({ timeout: 5000 });
      await expect.poll(() => page.locator('#alarm-announce').textContent()).toContain('王秀英');
      expect(await page.evaluate(() => window.ribbonStats.alarmsPlayed())).toBe(0);
      await page.locator('#sound-toggle').click();
      expect(await page.locator('#sound-toggle').getAttribute('aria-pressed')).toBe('false');
    } finally {
      await context.close();
    }
  });

  it('a household marked away by staff turns 外出 on the wall at once', async () => {
    const { system, cast } = await setUp();
    const context = await newContext(browser());
    try {
      const page = await loginPage(
        context,
        system.httpUrl,
        cast.users.volunteerA.username,
        TEST_USER_PASSWORD,
        '#/wall',
      );
      const tile = page.locator(`.tile[data-hid="${cast.householdA}"]`);
      await expect.poll(() => tile.getAttribute('data-status')).toBe('offline');
      const staff = await login(system.app, cast.users.staffA.username);
      const res = await client(system.app, staff)('PATCH', `/api/households/${cast.householdA}`, {
        awayUntil: '2099-12-31',
      });
      expect(res.statusCode, res.body).toBe(200);
      // Away outranks an offline device that was never set up: nobody is home to press it.
      await expect.poll(() => tile.getAttribute('data-status'), { timeout: 2000 }).toBe('away');
      expect(await tile.textContent()).toContain('外出');
    } finally {
      await context.close();
    }
  });

  it('speaks English when asked, and remembers it', async () => {
    const { system, cast } = await setUp();
    const context = await newContext(browser());
    try {
      const page = await loginPage(
        context,
        system.httpUrl,
        cast.users.volunteerA.username,
        TEST_USER_PASSWORD,
        '#/wall',
      );
      expect(await page.locator('nav').textContent()).toContain('总览墙');
      await page.getByRole('button', { name: '切换到英文' }).click();
      await expect.poll(() => page.locator('nav').textContent()).toContain('Wall');
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
      await page.reload();
      await expect.poll(() => page.locator('nav').textContent()).toContain('Alarms');
    } finally {
      await context.close();
    }
  });

  it('is usable without sight or a mouse: every control has a name, focus is visible, text contrast meets AA', async () => {
    const { system, cast } = await setUp();
    const context = await newContext(browser());
    const device = system.provision({ compound: '阳光小区', building: '2号楼', room: '302', name: '孙玉兰' });
    system.recordPersonReport({
      householdId: device.householdId,
      state: 'red',
      note: null,
      by: 'test',
      idempotencyKey: null,
    });
    try {
      const page = await loginPage(
        context,
        system.httpUrl,
        cast.users.volunteerA.username,
        TEST_USER_PASSWORD,
        '#/alarms',
      );
      await page.locator('#alarms-emergency .alarm').waitFor();
      for (const route of ['#/wall', '#/alarms', '#/patrol', '#/figures', `#/household/${device.householdId}`]) {
        await page.goto(`${system.httpUrl}/${route}`);
        await expect
          .poll(() => page.locator('.live-status').getAttribute('data-status'), { timeout: 10_000 })
          .toBe('live');
        await page.waitForTimeout(300);
        expect(await unnamedControls(page), route).toEqual([]);
        expect(await lowContrastText(page), route).toEqual([]);
      }
      // Keyboard: Tab reaches a control and shows where the focus is.
      await page.goto(`${system.httpUrl}/#/alarms`);
      await page.locator('#alarms-emergency .alarm').waitFor();
      await page.bringToFront();
      // From the view (focused on arrival) to the card's first button.
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      const outline = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return 'nothing focused';
        const s = getComputedStyle(el);
        return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2
          ? `${el.tagName} ${el.textContent}`
          : `${el.tagName} outline ${s.outlineStyle} ${s.outlineWidth}`;
      });
      expect(outline).toBe('BUTTON 我去处理');
      expect(await page.locator('[aria-live="assertive"]').count()).toBeGreaterThanOrEqual(1);
    } finally {
      await context.close();
    }
  });

  it('keeps 10,000 households on the wall and coalesces a storm of changes into frames', async () => {
    const system = await startTestSystem();
    const volunteer = await addUser(system, { username: 'wall-watcher', role: 'admin' });
    const ids: number[] = [];
    system.stores.transaction(() => {
      for (let i = 0; i < 10_000; i += 1) {
        const compound = i < 5000 ? '阳光小区' : '幸福里';
        ids.push(
          addHousehold(
            system.stores,
            {
              compound,
              building: `${1 + Math.floor((i % 5000) / 100)}号楼`,
              room: `${100 + (i % 100)}`,
              name: `住户${i}`,
            },
            Date.now(),
          ),
        );
      }
    });
    const context = await newContext(browser());
    try {
      const page = await loginPage(context, system.httpUrl, volunteer.username, TEST_USER_PASSWORD, '#/wall');
      await expect.poll(() => page.locator('.tile').count(), { timeout: 20_000 }).toBe(10_000);
      const before = await page.evaluate(() => ({ ...window.ribbonStats, wall: { ...window.ribbonStats.wall } }));
      // 2,000 blue reports as fast as the server takes them.
      for (let i = 0; i < 2000; i += 1) {
        system.recordPersonReport({
          householdId: ids[i * 5] as number,
          state: 'blue',
          note: null,
          by: 'storm',
          idempotencyKey: null,
        });
      }
      await expect
        .poll(() => page.locator('.chip[data-status="blue"] b').textContent(), { timeout: 20_000 })
        .toBe('2000');
      await screenshot(page, 'wall-10000-households-1920x1080');
      const after = await page.evaluate(() => ({ ...window.ribbonStats, wall: { ...window.ribbonStats.wall } }));
      const flushes = after.flushes - before.flushes;
      const changes = after.changes - before.changes;
      expect(changes).toBeGreaterThanOrEqual(2000);
      // Many changes per frame, and no rebuild of the whole wall for them.
      expect(flushes).toBeLessThan(changes / 5);
      expect(after.wall.rebuilds).toBe(before.wall.rebuilds);
    } finally {
      await context.close();
    }
  });
});

/** Buttons, links and fields with no accessible name (text, aria-label, aria-labelledby or a label). */
function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>(
      'button, a[href], input, select, textarea, [role="button"]',
    )) {
      if (el.closest('[hidden], .sprite') || el.getClientRects().length === 0) continue;
      const labelled = el
        .getAttribute('aria-labelledby')
        ?.split(/\s+/)
        .some((id) => (document.getElementById(id)?.textContent ?? '').trim() !== '');
      const label = el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`) : el.closest('label');
      const name =
        (el.getAttribute('aria-label') ?? '').trim() ||
        (el.textContent ?? '').trim() ||
        (el.getAttribute('title') ?? '').trim() ||
        (label?.textContent ?? '').trim();
      if (!name && !labelled) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  });
}

/** Visible text whose contrast with its background is under WCAG AA (4.5:1, or 3:1 when large). */
function lowContrastText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const parse = (c: string): [number, number, number, number] => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const p = (m[1] as string)
        .split(/[ ,/]+/)
        .filter(Boolean)
        .map(Number);
      return [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, p[3] ?? 1];
    };
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r ?? 0) + 0.7152 * f(g ?? 0) + 0.0722 * f(b ?? 0);
    };
    const background = (el: Element | null): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c[3] > 0.5) return c;
      }
      return [255, 255, 255, 1];
    };
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = (node.textContent ?? '').trim();
      const el = node.parentElement;
      if (!text || !el || el.closest('.sr-only, .sprite, script, style') || el.getClientRects().length === 0) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || Number(style.opacity) < 0.1) continue;
      const fg = parse(style.color);
      const bg = background(el);
      const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a) as [number, number];
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5))
        out.push(`${text.slice(0, 30)} (${ratio.toFixed(2)}: ${style.color} on rgb(${bg.slice(0, 3).join(',')}))`);
    }
    return out;
  });
}
