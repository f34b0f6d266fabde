import { describe, expect, it } from 'vitest';
import { connectDevice } from '../../device-sim/device.js';
import { client, loginAdmin, makeCast, TEST_USER_PASSWORD } from '../helpers/api.js';
import { browserAvailable, loginPage, newContext, screenshot, useBrowser } from '../helpers/browser.js';
import { startTestSystem } from '../helpers/system.js';

/**
 * Nobody reached is itself an alarm (issue 13), in Debian's headless Chromium against the real
 * server and a simulated button: with no channel that reaches a phone, a red press reaches
 * nobody; every view says so (紧急求助未能通知到任何人, the household named) until someone
 * taps 我去处理; staff see a setup banner until a phone channel exists.
 */
const available = browserAvailable();

describe.skipIf(!available)('an emergency that reached nobody, in a real browser', () => {
  const browser = useBrowser();

  it('when a red reaches no phone, then the wall and the household page show the banner until 我去处理, and the card says so', async () => {
    const system = await startTestSystem();
    const cast = await makeCast(system);
    const device = system.provision({ compound: cast.compoundA.name, building: '2号楼', room: '301', name: '王秀英' });
    // A volunteer on duty with a mobile, but no SMS or voice channel: nobody's phone can ring.
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

    const context = await newContext(browser());
    const wall = await loginPage(context, system.httpUrl, cast.users.staffA.username, TEST_USER_PASSWORD, '#/wall');
    const home = await context.newPage();
    await home.goto(`${system.httpUrl}/#/household/${device.householdId}`);
    await expect.poll(() => home.locator('.live-status').getAttribute('data-status'), { timeout: 10_000 }).toBe('live');
    const alarms = await context.newPage();
    await alarms.goto(`${system.httpUrl}/#/alarms`);
    await expect
      .poll(() => alarms.locator('.live-status').getAttribute('data-status'), { timeout: 10_000 })
      .toBe('live');

    // Staff are told at once that no channel reaches a phone, and what to do.
    const setup = wall.locator('#setup-banner');
    await expect.poll(() => setup.isVisible(), { timeout: 5000 }).toBe(true);
    expect(await setup.textContent()).toContain('尚未配置能打到手机的通道');
    expect(await setup.textContent()).toContain('add-channel');
    expect(await wall.locator('#reach-banner').isVisible()).toBe(false);

    const button = await connectDevice({
      url: system.mqttUrl,
      id: device.id,
      secret: device.secret,
      reconnectPeriodMs: 100,
    });
    try {
      await button.press('red');
      for (const page of [wall, home, alarms]) {
        const banner = page.locator('#reach-banner');
        await expect.poll(() => banner.isVisible(), { timeout: 5000 }).toBe(true);
        expect(await banner.getAttribute('role')).toBe('alert');
        expect(await banner.textContent()).toContain('紧急求助未能通知到任何人');
        expect(await banner.textContent()).toContain('王秀英');
        // Not colour alone: an icon beside the words.
        expect(await banner.locator('svg.icon').count()).toBe(1);
      }
      const card = alarms.locator('#alarms-emergency .alarm[data-status="open"]');
      await expect.poll(() => card.textContent(), { timeout: 5000 }).toContain('未能通知到任何人');
      expect(await card.textContent()).not.toContain('已通知第');
      await screenshot(wall, 'reach-unreached-wall-1920x1080');
      await screenshot(home, 'reach-unreached-household-1920x1080');

      await card.getByRole('button', { name: '我去处理' }).click();
      for (const page of [wall, home, alarms])
        await expect.poll(() => page.locator('#reach-banner').isVisible(), { timeout: 5000 }).toBe(false);
      await expect.poll(() => button.acks.some((a) => a.status === 'acknowledged'), { timeout: 5000 }).toBe(true);

      // Once an SMS channel exists, a fresh look has no setup banner.
      const admin = client(system.app, await loginAdmin(system.app));
      const added = await admin('POST', '/api/channels', {
        kind: 'aliyun-sms',
        accessKeyId: 'id',
        accessKeySecret: 'secret',
        signName: '彩带之约',
        templates: { emergency: 'SMS_1', service: 'SMS_2', missed_checkin: 'SMS_3' },
        endpoint: 'http://127.0.0.1:9',
      });
      expect(added.statusCode, added.body).toBe(201);
      await wall.reload();
      await expect
        .poll(() => wall.locator('.live-status').getAttribute('data-status'), { timeout: 10_000 })
        .toBe('live');
      await expect.poll(async () => (await wall.locator('#setup-banner').getAttribute('hidden')) !== null).toBe(true);
      expect(context.errors).toEqual([]);
    } finally {
      await button.close();
    }
  }, 60_000);
});
