import { describe, expect, it } from 'vitest';
import { connectDevice } from '../../device-sim/device.js';
import { makeCast, TEST_USER_PASSWORD } from '../helpers/api.js';
import {
  browserAvailable,
  loginPage,
  newContext,
  PHONE,
  screenshot,
  useBrowser,
  WALL_VIEWPORT,
} from '../helpers/browser.js';
import { startTestSystem, TEST_ADMIN_PASSWORD } from '../helpers/system.js';

/**
 * The staff's screens of issue 15 in Debian's headless Chromium against the real server: an
 * admin adds a person (a bad phone refused at the field, in Chinese), a login with a read-only
 * scope and a webhook channel (its secret never shown back), then finds those acts in the audit
 * log by user and by action. The login page names the product; logging out empties the
 * screen reader's announcement of the last emergency. On a wall screen and on a phone.
 */
const available = browserAvailable();

/** A console error of a 400 the test provoked on purpose (the browser logs a refused request itself). */
const provoked = (e: string) => /status of 400/.test(e);

describe.skipIf(!available)('the staff screens in a real browser', () => {
  const browser = useBrowser();

  it('when an admin adds a person, a login and a channel, then the audit log finds them by user and action; logout empties the emergency announcement', async () => {
    const system = await startTestSystem();
    const cast = await makeCast(system);
    const A = cast.compoundA;
    const context = await newContext(browser(), { viewport: WALL_VIEWPORT });
    context.on('page', (p) => p.on('dialog', (d) => void d.accept()));

    // The login page names the product, for every role.
    const first = await context.newPage();
    await first.goto(`${system.httpUrl}/`);
    await expect.poll(() => first.locator('#login-title').textContent()).toContain('彩带之约 · Ribbon Pact');
    expect(await first.locator('#login-title').textContent()).not.toContain('志愿者');
    await first.close();

    const page = await loginPage(context, system.httpUrl, 'admin', TEST_ADMIN_PASSWORD, '#/people');

    // 人员: a bad phone is refused at its field, in the server's Chinese; a good one is listed.
    await page.locator('#people-form').waitFor({ timeout: 10_000 });
    await page.getByLabel('姓名').fill('周网格');
    await page.getByLabel('手机号').fill('12345');
    await page.getByLabel('角色').selectOption({ label: '网格员' });
    await page.locator('#ppl-tier').selectOption({ label: '第 2 层' });
    await page.locator('#ppl-level').selectOption({ label: '小区' });
    await page.locator('#ppl-compound').selectOption({ label: A.name });
    await page.getByRole('button', { name: '添加' }).click();
    await expect.poll(() => page.locator('#ppl-phone-error').textContent()).toContain('不是中国大陆手机号');
    expect(await page.locator('#ppl-phone').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('手机号').fill('+86 139-0013-9000');
    await page.getByRole('button', { name: '添加' }).click();
    const row = page.locator('#people-table tr', { hasText: '周网格' });
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('13900139000');
    expect(await row.textContent()).toContain('第 2 层');
    expect(await row.textContent()).toContain(A.name);
    const person = system.stores.people.list().find((p) => p.name === '周网格');
    expect(person).toMatchObject({ phone: '13900139000', role: 'grid_worker', tier: 2, compoundId: A.id });
    // Edited: tier 3 now (the phone, unchanged, is not sent again).
    await row.getByRole('button', { name: '修改：周网格' }).click();
    await page.locator('#ppl-tier').selectOption('3');
    await page.getByRole('button', { name: '保存' }).click();
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('第 3 层');
    // The tier filter leaves them out of tier 1.
    await page.locator('#ppl-f-tier').selectOption('1');
    expect(await page.locator('#people-list').textContent()).not.toContain('周网格');
    await screenshot(page, 'staff-people');

    // 账号: a leader who watches compound A, read-only.
    await page.goto(`${system.httpUrl}/#/users`);
    await page.locator('#users-form').waitFor({ timeout: 10_000 });
    await page.locator('#usr-username').fill('leader-a');
    await page.locator('#usr-displayName').fill('孙书记');
    await page.locator('#usr-role').selectOption('staff');
    await page.locator('#usr-password').fill('a-long-password-1');
    await page.locator('#usr-scope-place').selectOption(`compound:${A.id}`);
    await page.locator('#usr-scope-readonly').check();
    await page.locator('#usr-scope-add').click();
    await page.locator('#usr-submit').click();
    const leader = page.locator('#users-table tr[data-username="leader-a"]');
    await expect.poll(() => leader.textContent(), { timeout: 10_000 }).toContain('只读');
    expect(system.stores.users.forLogin('leader-a')?.user.scope).toEqual([
      { level: 'compound', id: A.id, readOnly: true },
    ]);
    // Disabled from the list (after a confirm), and a token issued for scripts, shown once.
    await leader.getByRole('button', { name: '停用：leader-a' }).click();
    await expect.poll(() => leader.textContent(), { timeout: 10_000 }).toContain('已停用');
    await page.locator('#tok-user').selectOption(String(cast.users.admin.id));
    await page.locator('#tok-name').fill('夜间备份');
    await page.locator('#tok-submit').click();
    await expect.poll(() => page.locator('#token-value').inputValue(), { timeout: 10_000 }).toMatch(/^rpt_/);
    await expect.poll(() => page.locator('#tokens-table').textContent()).toContain('夜间备份');
    await screenshot(page, 'staff-users');

    // 通知渠道: a webhook; its secret is never shown back, only "已设置".
    await page.goto(`${system.httpUrl}/#/channels`);
    await page.locator('#channels-form').waitFor({ timeout: 10_000 });
    await page.locator('#ch-name').fill('社区值班群');
    await page.locator('#ch-url').fill('http://127.0.0.1:9/hook');
    await page.locator('#ch-secret').fill('very-secret-value');
    expect(await page.locator('#ch-secret').getAttribute('type')).toBe('password');
    await page.locator('#ch-submit').click();
    const channel = page.locator('#channels-table tr', { hasText: '社区值班群' });
    await expect.poll(() => channel.textContent(), { timeout: 10_000 }).toContain('已设置');
    expect(await page.locator('#channels-view').textContent()).not.toContain('very-secret-value');
    expect(await page.locator('#ch-secret').inputValue()).toBe('');
    // A voice channel: a bad setting is marked at its field; once added, its callback URL is shown once.
    await page.locator('#ch-kind').selectOption('aliyun-voice');
    await page.locator('#ch-accessKeyId').fill('LTAI-test');
    await page.locator('#ch-accessKeySecret').fill('voice-secret-value');
    await page.locator('#ch-ttsCode').fill('TTS_1');
    await page.locator('#ch-playTimes').fill('5');
    await page.locator('#ch-submit').click();
    await expect.poll(() => page.locator('#ch-playTimes-error').textContent()).toContain('playTimes');
    await page.locator('#ch-playTimes').fill('2');
    await page.locator('#ch-submit').click();
    await expect
      .poll(() => page.locator('#channel-callback-url').inputValue(), { timeout: 10_000 })
      .toContain('/hooks/voice/');
    expect(await page.locator('#channels-view').textContent()).not.toContain('voice-secret-value');
    await screenshot(page, 'staff-channels');

    // 操作记录: newest first, in words; filtered by user, then by action.
    await page.goto(`${system.httpUrl}/#/audit`);
    const rows = page.locator('#audit-table tbody tr');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThan(3);
    expect(await rows.first().textContent()).toContain('新增通知渠道');
    await page.getByLabel('用户', { exact: true }).fill('admin');
    await page.getByLabel('操作类型').selectOption('POST');
    await page.locator('#aud-search').click();
    const posted = async () => (await rows.allTextContents()).join('\n');
    await expect.poll(posted, { timeout: 10_000 }).toContain('新增人员');
    expect(await page.locator('#aud-error').textContent()).toBe('');
    expect(await posted()).toContain('新增账号');
    expect(await posted()).toContain('新增通知渠道');
    for (const m of await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-method'))))
      expect(m).toBe('POST');
    await page.getByLabel('操作类型').selectOption('PATCH');
    await page.locator('#aud-search').click();
    await expect.poll(posted).toContain('修改人员');
    expect(await posted()).toContain('修改账号');
    expect(await posted()).not.toContain('新增');
    await screenshot(page, 'staff-audit');
    expect(context.errors.filter((e) => !provoked(e))).toEqual([]);

    // The last emergency is announced, and logging out takes the announcement away.
    const device = system.provision({ compound: A.name, building: '1号楼', room: '808', name: '吴奶奶' });
    const button = await connectDevice({ url: system.mqttUrl, id: device.id, secret: device.secret });
    try {
      await page.goto(`${system.httpUrl}/#/alarms`);
      await button.press('red');
      await expect
        .poll(() => page.locator('#alarm-announce').textContent(), { timeout: 10_000 })
        .toContain('新的紧急求助');
      await page.getByRole('button', { name: '退出登录' }).click();
      await page.locator('#login-title').waitFor();
      expect(await page.locator('#alarm-announce').textContent()).toBe('');
    } finally {
      await button.close();
    }
    await context.close();
  }, 60_000);

  it('when an admin opens the staff screens on a phone, then forms stack and tables scroll in their own box', async () => {
    const system = await startTestSystem();
    const cast = await makeCast(system);
    system.stores.people.add(
      {
        name: '钱志愿',
        phone: '13800000011',
        role: 'volunteer',
        tier: 1,
        compoundId: cast.compoundA.id,
        buildingId: null,
      },
      Date.now(),
    );
    const context = await newContext(browser(), PHONE);
    const page = await loginPage(context, system.httpUrl, 'admin', TEST_ADMIN_PASSWORD, '#/people');
    const pageWidth = () => page.evaluate(() => document.documentElement.scrollWidth);
    await page.locator('#people-table').waitFor({ timeout: 10_000 });
    expect(await pageWidth()).toBeLessThanOrEqual(390);
    const name = await page.locator('#ppl-name').boundingBox();
    const phone = await page.locator('#ppl-phone').boundingBox();
    // Stacked: the phone field is under the name field, not beside it.
    expect((phone?.y ?? 0) > (name?.y ?? 0) + (name?.height ?? 0)).toBe(true);
    for (const route of ['users', 'audit']) {
      await page.goto(`${system.httpUrl}/#/${route}`);
      await page.locator(`#${route}-table tbody tr`).first().waitFor({ timeout: 10_000 });
      expect(await pageWidth(), route).toBeLessThanOrEqual(390);
      const box = page.locator(`#${route}-table`).locator('xpath=..');
      expect(await box.evaluate((el) => getComputedStyle(el).overflowX)).toBe('auto');
    }
    await screenshot(page, 'staff-audit-phone');
    expect(context.errors).toEqual([]);
    await context.close();

    // Staff read the channels, without the form to add or retire one.
    system.stores.channels.add(
      'webhook',
      '东苑群',
      { url: 'http://127.0.0.1:9/h', secret: 'x-secret' },
      null,
      Date.now(),
    );
    const staff = await loginPage(
      await newContext(browser(), PHONE),
      system.httpUrl,
      cast.users.staffA.username,
      TEST_USER_PASSWORD,
      '#/channels',
    );
    await expect.poll(() => staff.locator('#channels-table').textContent(), { timeout: 10_000 }).toContain('东苑群');
    expect(await staff.locator('#channels-readonly').count()).toBe(1);
    expect(await staff.locator('#channels-form').count()).toBe(0);
    expect(await staff.locator('#channels-table').textContent()).not.toContain('停用');
  }, 30_000);
});
