import { describe, expect, it } from 'vitest';
import { addUser, TEST_USER_PASSWORD } from '../helpers/api.js';
import { browserAvailable, loginPage, newContext, screenshot, useBrowser } from '../helpers/browser.js';
import { smallDistrict } from '../helpers/district.js';
import { startTestSystem } from '../helpers/system.js';

/**
 * 各地统计 in Debian's headless Chromium against the real server: a street official opens their
 * street, drills down community › compound › households, and the CSV link names the place
 * they are looking at.
 */
const available = browserAvailable();

describe.skipIf(!available)('figures by place in a real browser', () => {
  const browser = useBrowser();

  it('when a street official opens 各地统计, then their street is the top, and links reach a compound’s households', async () => {
    const system = await startTestSystem();
    const now = Date.now();
    const d = smallDistrict(system.stores, now);
    const made = [
      system.provision({ compound: '甲小区', room: '101', name: '张奶奶' }),
      system.provision({ compound: '甲小区', room: '102', name: '李爷爷' }),
      system.provision({ compound: '丙小区', room: '301' }),
      system.provision({ compound: '丁小区', room: '401', name: '西街道住户' }),
    ];
    for (const m of made) system.stores.devices.setOnline(m.id, true, now);
    system.stores.devices.setOnline(made[1]?.id ?? '', false, now);
    const user = await addUser(system, { username: 'east-official', role: 'staff', displayName: '王主任' });
    system.stores.users.setScope(user.id, [{ level: 'street', id: d.east, readOnly: true }]);

    const context = await newContext(browser(), { viewport: { width: 1366, height: 768 } });
    const page = await loginPage(context, system.httpUrl, 'east-official', TEST_USER_PASSWORD, '#/places');
    await expect.poll(() => page.locator('#places-name').textContent(), { timeout: 10_000 }).toContain('东街道');
    const children = page.locator('#places-children tbody tr');
    expect(await children.count()).toBe(2);
    expect(await page.locator('#places-children').textContent()).not.toContain('西');
    expect(await page.locator('#places-total tbody th').textContent()).toContain('东街道');
    await screenshot(page, 'places-street');

    await page.getByRole('link', { name: '东一社区' }).click();
    await expect.poll(() => page.locator('#places-name').textContent()).toContain('东一社区');
    await page.getByRole('link', { name: '甲小区' }).click();
    await expect.poll(() => page.locator('#places-households tbody tr').count()).toBe(2);
    const households = await page.locator('#places-households').textContent();
    expect(households).toContain('张奶奶');
    expect(households).toContain('离线');
    expect(await page.locator('.pl-path').textContent()).toBe('本区 › 东街道 › 东一社区 › 甲小区');
    expect(await page.locator('#places-csv').getAttribute('href')).toContain(
      `/api/figures/places.csv?level=compound&id=${d.a}`,
    );
    const csv = await page.request.get(`${system.httpUrl}${await page.locator('#places-csv').getAttribute('href')}`);
    expect(csv.status()).toBe(200);
    expect((await csv.text()).replace(/^\uFEFF/, '').split('\r\n')[1]).toContain('甲小区');
    await screenshot(page, 'places-compound');
    expect(context.errors).toEqual([]);
    await context.close();
  });
});
