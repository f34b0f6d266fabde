import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { addUser, makeCast, TEST_USER_PASSWORD } from '../helpers/api.js';
import {
  browserAvailable,
  loginPage,
  newContext,
  PHONE,
  screenshot,
  useBrowser,
  WALL_VIEWPORT,
} from '../helpers/browser.js';
import { startTestSystem } from '../helpers/system.js';
import { requireProgram } from '../helpers/tools.js';

/**
 * The staff's screens (issue 15) in Debian's headless Chromium against the real server: staff
 * register a household, add its device (the secret shown once, with the installer's QR code),
 * import an Excel roster with a bad row (explained in Chinese), and close the household — it
 * leaves the list and an open wall. On a desk screen and on a phone.
 */
const SOFFICE = '/usr/bin/soffice';
const available = browserAvailable() && requireProgram(SOFFICE, 'libreoffice-calc').available;

/**
 * A .xlsx made from CSV text by LibreOffice, as an office saves a roster. Started before the
 * server, to run beside it; its folder is removed only once LibreOffice has finished with it.
 */
function xlsxOf(csv: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-xlsx-'));
  const made = convert(dir, csv);
  onTestFinished(async () => {
    await made.catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return made;
}

async function convert(dir: string, csv: string): Promise<string> {
  const source = path.join(dir, '住户名单.csv');
  fs.writeFileSync(source, csv);
  await promisify(execFile)(
    SOFFICE,
    [
      `-env:UserInstallation=file://${dir}/profile`,
      '--headless',
      // Comma-separated, quoted by ", UTF-8 (76), from line 1.
      '--infilter=CSV:44,34,76,1',
      '--convert-to',
      'xlsx',
      '--outdir',
      dir,
      source,
    ],
    { timeout: 60_000 },
  );
  const file = path.join(dir, '住户名单.xlsx');
  expect(fs.existsSync(file), 'LibreOffice made the .xlsx').toBe(true);
  return file;
}

/** The page does not scroll sideways: whatever is wide scrolls in its own box. */
async function pageWidth(page: Page): Promise<{ scroll: number; client: number }> {
  return page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
}

describe.skipIf(!available)('the staff screens in a real browser', () => {
  const browser = useBrowser();

  it('when staff register a household, add its device, import a roster with a bad row and close the household at 1920×1080, then each step shows and holds', async () => {
    const roster = xlsxOf(
      [
        '小区,楼栋,房号,姓名,紧急联系人,联系电话',
        '阳光小区,3号楼,101,周爷爷,周儿子,13800000031',
        '阳光小区,3号楼,102,吴奶奶,吴女儿,12345',
      ].join('\n'),
    );
    const system = await startTestSystem();
    const cast = await makeCast(system);
    const context = await newContext(browser(), { viewport: WALL_VIEWPORT });
    const page = await loginPage(context, system.httpUrl, cast.users.staffA.username, TEST_USER_PASSWORD, '#/manage');

    // 管理 in the nav leads to the index; 住户 from there.
    await expect.poll(() => page.locator('nav a[data-route="manage"]').getAttribute('aria-current')).toBe('page');
    await page.locator('#manage-list').getByRole('link', { name: /^住户/ }).click();
    await expect.poll(() => page.locator('#hl-table tbody tr').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('nav a[data-route="manage"]').getAttribute('aria-current')).toBe('page');

    // Register: every field found by its label.
    await page.getByRole('link', { name: '登记新住户' }).click();
    await page.getByLabel('姓名', { exact: true }).fill('孙奶奶');
    await page.getByLabel('楼栋').fill('2号楼');
    await page.getByLabel('房号').fill('301');
    await page.getByLabel('联系人姓名').fill('孙女儿');
    await page.getByLabel('联系电话').fill('138 0000 0021');
    await page.getByRole('button', { name: '登记', exact: true }).click();
    await expect.poll(() => page.url(), { timeout: 10_000 }).toMatch(/#\/households\/\d+\/edit$/);
    const id = Number(/households\/(\d+)\//.exec(page.url())?.[1]);
    const stored = system.stores.places.getHousehold(id);
    expect(stored).toMatchObject({ name: '孙奶奶', building: '2号楼', room: '301', compoundId: cast.compoundA.id });
    expect(system.stores.people.contacts(id)).toMatchObject([{ name: '孙女儿', phone: '13800000021' }]);

    // The same address again: refused, in Chinese, with a link to the household that has it.
    await page.goto(`${system.httpUrl}/#/households/new`);
    await page.getByLabel('姓名', { exact: true }).fill('孙奶奶');
    await page.getByLabel('楼栋').fill('2号楼');
    await page.getByLabel('房号').fill('301');
    await page.getByRole('button', { name: '登记', exact: true }).click();
    await expect.poll(() => page.locator('#hf-error').textContent(), { timeout: 10_000 }).toContain('已登记');
    expect(await page.locator('#hf-taken-link').getAttribute('href')).toBe(`#/households/${id}/edit`);

    // A wall open beside it shows the new household.
    const wall = await context.newPage();
    await wall.goto(`${system.httpUrl}/#/wall`);
    await expect.poll(() => wall.locator(`.tile[data-hid="${id}"]`).count(), { timeout: 10_000 }).toBe(1);

    // A device: its secret shown once, with the installer's QR code and a label to print.
    await page.goto(`${system.httpUrl}/#/households/${id}/edit`);
    await page.getByRole('button', { name: '添加设备' }).click();
    const secret = (await page.locator('#sc-secret').textContent({ timeout: 10_000 })) ?? '';
    const deviceId = (await page.locator('#sc-id').textContent()) ?? '';
    expect(secret.length).toBeGreaterThan(15);
    expect(system.stores.devices.get(deviceId)?.householdId).toBe(id);
    const qr = page.locator('#sc-label svg.qr');
    expect(await qr.count()).toBe(1);
    expect(((await qr.locator('path').getAttribute('d')) ?? '').length).toBeGreaterThan(1000);
    expect(await page.locator('#sc-label').textContent()).toContain('阳光小区 2号楼 301');
    await expect.poll(() => page.locator(`#dv-table tr[data-device="${deviceId}"]`).count()).toBe(1);
    await screenshot(page, 'staff-device-secret');
    // Printed, the label is all there is on the page.
    await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('#print-slot .device-label').isVisible()).toBe(true);
    expect(await page.locator('#print-slot svg.qr').count()).toBe(1);
    expect(await page.locator('#app').isVisible()).toBe(false);
    await screenshot(page, 'staff-device-label-print');
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    await page.emulateMedia({ media: 'screen' });
    expect(await page.locator('#print-slot').count()).toBe(0);
    // Reloaded, the page has it no more: it lived only in that page's memory.
    await page.reload();
    await expect
      .poll(() => page.locator(`#dv-table tr[data-device="${deviceId}"]`).count(), { timeout: 10_000 })
      .toBe(1);
    expect(await page.locator('#sc-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    // 设备 lists the compound's devices with their households.
    await page.goto(`${system.httpUrl}/#/devices`);
    await expect
      .poll(() => page.locator(`#dv-all-table tr[data-device="${deviceId}"]`).textContent(), { timeout: 10_000 })
      .toContain('孙奶奶');

    // Import an Excel roster: the bad row is explained in Chinese, and nothing can be imported.
    await page.goto(`${system.httpUrl}/#/import`);
    expect(await page.locator('#im-template').getAttribute('href')).toBe('/api/import/households/template.xlsx');
    await page.locator('#im-file').setInputFiles(await roster);
    await page.getByRole('button', { name: '检查（不写入）' }).click();
    const bad = page.locator('#im-errors tbody tr[data-line="3"]');
    await expect.poll(() => bad.count(), { timeout: 15_000 }).toBe(1);
    expect(await bad.locator('.im-reason').textContent()).toContain('不是中国大陆手机号');
    expect(await bad.locator('td').nth(1).textContent()).toBe('联系电话');
    expect(await page.locator('#im-errors tbody tr').count()).toBe(1);
    expect(await page.locator('#im-summary').textContent()).toContain('错误 1');
    expect(await page.locator('#im-run').isDisabled()).toBe(true);
    expect(system.stores.places.listCompounds().length).toBe(2);
    await screenshot(page, 'staff-import-errors');
    // A good file (CSV) at household A's address with another name: planned as 姓名变更, then imported.
    const before = system.stores.places.getHousehold(cast.householdA)?.name;
    await page.locator('#im-file').setInputFiles({
      name: '更名.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('小区,楼栋,房号,姓名\n阳光小区,1号楼,101,王秀英\n'),
    });
    await page.getByRole('button', { name: '检查（不写入）' }).click();
    await expect
      .poll(() => page.locator('#im-changes tbody tr[data-line="2"]').textContent(), { timeout: 15_000 })
      .toContain(`姓名变更：${before} → 王秀英`);
    await page.getByRole('button', { name: '导入', exact: true }).click();
    await expect.poll(() => page.locator('#im-status').textContent(), { timeout: 15_000 }).toContain('已导入 1 行');
    expect(system.stores.places.getHousehold(cast.householdA)?.name).toBe('王秀英');

    // Close the household: a confirm that names what happens, then it leaves the list and the wall.
    await page.goto(`${system.httpUrl}/#/households/${id}/edit`);
    await page.getByLabel('原因').selectOption({ label: '搬离' });
    await page.getByLabel('备注').fill('随子女去外地');
    expect(await page.locator('#pd-export').getAttribute('href')).toBe(`/api/households/${id}/personal-data`);
    // Only an admin anonymises, and only a closed household.
    expect(await page.locator('#pd-anonymise').count()).toBe(0);
    await page.getByRole('button', { name: '注销…' }).click();
    expect(await page.locator('#hc-confirm-text').textContent()).toContain('停用其 1 个设备');
    await page.getByRole('button', { name: '确认注销' }).click();
    await expect.poll(() => page.url(), { timeout: 10_000 }).toMatch(/#\/households$/);
    await expect.poll(() => page.locator('#hl-table tbody tr').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator(`#hl-table tr[data-household="${id}"]`).count()).toBe(0);
    await expect.poll(() => wall.locator(`.tile[data-hid="${id}"]`).count(), { timeout: 10_000 }).toBe(0);
    expect(system.stores.devices.get(deviceId)?.retiredAt).not.toBeNull();
    // Listed among the closed, with its reason.
    await page.getByLabel('显示').selectOption({ label: '已注销' });
    await expect
      .poll(() => page.locator(`#hl-table tr[data-household="${id}"]`).textContent(), { timeout: 10_000 })
      .toContain('搬离');
    await context.close();
  }, 90_000);

  it('when staff open them on a phone, then the forms stack and the tables scroll in their own box; a read-only scope changes nothing; a volunteer has no 管理', async () => {
    const system = await startTestSystem();
    const cast = await makeCast(system);
    for (const room of ['101', '102', '103']) system.provision({ compound: '阳光小区', building: '5号楼', room });
    const context = await newContext(browser(), PHONE);
    const page = await loginPage(
      context,
      system.httpUrl,
      cast.users.staffA.username,
      TEST_USER_PASSWORD,
      '#/households',
    );
    await expect.poll(() => page.locator('#hl-table tbody tr').count(), { timeout: 10_000 }).toBe(4);
    const width = await pageWidth(page);
    expect(width.scroll).toBeLessThanOrEqual(width.client);
    await screenshot(page, 'staff-households-phone');

    await page.getByRole('link', { name: '登记新住户' }).click();
    const name = await page.getByLabel('姓名', { exact: true }).boundingBox();
    const room = await page.getByLabel('房号').boundingBox();
    expect(name && room && Math.abs(name.x - room.x) < 2 && room.y > name.y).toBe(true);
    expect((await pageWidth(page)).scroll).toBeLessThanOrEqual(390);
    // A wrong phone number is marked at its field, in Chinese; nothing is registered.
    await page.getByLabel('姓名', { exact: true }).fill('郑爷爷');
    await page.getByLabel('楼栋').fill('5号楼');
    await page.getByLabel('房号').fill('201');
    await page.getByLabel('联系人姓名').fill('郑儿子');
    await page.getByLabel('联系电话').fill('12345');
    await page.getByRole('button', { name: '登记', exact: true }).click();
    await expect
      .poll(() => page.locator('#hf-c0-phone').getAttribute('aria-invalid'), { timeout: 10_000 })
      .toBe('true');
    expect(await page.locator('#hf-c0-phone-error').textContent()).toContain('不是中国大陆手机号');
    expect(await page.locator('#hf-error').textContent()).toContain('请修改标出的项目');
    expect(page.url()).toMatch(/#\/households\/new$/);

    await page.goto(`${system.httpUrl}/#/import`);
    await expect.poll(() => page.locator('#im-file').count()).toBe(1);
    expect((await pageWidth(page)).scroll).toBeLessThanOrEqual(390);
    await context.close();

    // A leader who watches compound A (a read-only scope entry) sees the screens and changes nothing.
    const leader = await addUser(system, { username: 'leader-a', role: 'staff', displayName: '陈书记' });
    system.stores.users.setScope(leader.id, [{ level: 'compound', id: cast.compoundA.id, readOnly: true }]);
    const watcher = await loginPage(
      await newContext(browser(), PHONE),
      system.httpUrl,
      'leader-a',
      TEST_USER_PASSWORD,
      `#/households/${cast.householdA}/edit`,
    );
    await expect.poll(() => watcher.locator('#he-read-only').count(), { timeout: 10_000 }).toBe(1);
    expect(await watcher.getByLabel('姓名', { exact: true }).isDisabled()).toBe(true);
    expect(await watcher.locator('#dv-table tbody tr').count()).toBe(1);
    expect(await watcher.locator('#dv-add, #hc-form, #hf-submit').count()).toBe(0);
    await watcher.goto(`${system.httpUrl}/#/households`);
    await expect.poll(() => watcher.locator('#hl-table tbody tr').count(), { timeout: 10_000 }).toBe(4);
    expect(await watcher.locator('#hl-new').isVisible()).toBe(false);

    const volunteer = await loginPage(
      await newContext(browser(), PHONE),
      system.httpUrl,
      cast.users.volunteerA.username,
      TEST_USER_PASSWORD,
    );
    expect(await volunteer.locator('nav a[data-route="duty"]').count()).toBe(1);
    expect(await volunteer.locator('nav a[data-route="manage"]').count()).toBe(0);
    await volunteer.goto(`${system.httpUrl}/#/households`);
    await expect
      .poll(() => volunteer.locator('#households-view [role="alert"]').textContent())
      .toContain('只有工作人员');
  }, 60_000);
});
