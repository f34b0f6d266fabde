import { describe, expect, it } from 'vitest';
import { makeCast, TEST_USER_PASSWORD } from '../helpers/api.js';
import { browserAvailable, loginPage, newContext, PHONE, useBrowser } from '../helpers/browser.js';
import { startTestSystem } from '../helpers/system.js';

/**
 * The 值班 page in Debian's headless Chromium against the real server: who is on duty now and
 * next for a compound, the week's shifts, and staff adding a swap through the form, which the
 * server's DutyStore.onDuty then follows.
 */
const available = browserAvailable();

describe.skipIf(!available)('the duty page in a real browser', () => {
  const browser = useBrowser();

  it('when staff open 值班, then each tier says who is on duty now and next, and a swap added in the form is listed and followed', async () => {
    const system = await startTestSystem();
    const cast = await makeCast(system);
    const A = cast.compoundA.id;
    const add = (name: string, phone: string) =>
      system.stores.people.add(
        { name, phone, role: 'grid_worker', tier: 2, compoundId: A, buildingId: null },
        Date.now(),
      );
    const day = add('白班网格员', '13800000301');
    const night = add('夜班网格员', '13800000302');
    const standIn = add('替班网格员', '13800000303');
    const allWeek = add('总值班', '13800000304');
    const every = [1, 2, 3, 4, 5, 6, 7] as const;
    system.stores.transaction(() =>
      system.stores.duty.replaceShifts(
        A,
        'Asia/Shanghai',
        [
          { tier: 2, days: every, start: '08:00', end: '20:00', personIds: [day] },
          { tier: 2, days: every, start: '20:00', end: '08:00', personIds: [night] },
          { tier: 2, days: every, start: '00:00', end: '00:00', personIds: [allWeek] },
        ],
        Date.now(),
      ),
    );
    const onNow = system.stores.duty.onDuty(A, 2, Date.now());
    expect(onNow?.length).toBe(2);
    const [nowName, nextName] = onNow?.includes(day) ? ['白班网格员', '夜班网格员'] : ['夜班网格员', '白班网格员'];

    const context = await newContext(browser(), PHONE);
    const page = await loginPage(context, system.httpUrl, cast.users.staffA.username, TEST_USER_PASSWORD, '#/duty');
    await expect.poll(() => page.locator('nav a[data-route="duty"]').getAttribute('aria-current')).toBe('page');
    const tier2 = page.locator('#duty-tier-2');
    await expect.poll(() => tier2.locator('.duty-now').textContent(), { timeout: 10_000 }).toContain(nowName);
    expect(await tier2.locator('.duty-next').textContent()).toContain(nextName);
    expect(await page.locator('#duty-tier-1').textContent()).toContain('未排班');
    expect(await tier2.locator('.duty-now').textContent()).toContain('总值班');
    expect(await page.locator('#duty-shifts tbody tr').count()).toBe(3);
    expect(await page.locator('#duty-shifts').textContent()).toContain('20:00–次日 08:00');

    // The form: every field found by its label, as a screen reader finds it.
    await page.getByLabel('谁不能值班').selectOption({ label: '总值班' });
    await page.getByLabel('由谁顶班').selectOption({ label: '替班网格员' });
    await page.getByLabel('备注').fill('家中有事');
    await page.getByRole('button', { name: '添加' }).click();
    await expect
      .poll(() => page.locator('#duty-overrides').textContent(), { timeout: 10_000 })
      .toContain('替班网格员 替 总值班 值班');
    const [override] = system.stores.duty.roster(A, Date.now()).overrides;
    expect(override).toMatchObject({ personId: allWeek, replacementId: standIn, note: '家中有事' });
    // The form's default starts at the next full hour and lasts 12 h: the swap is in force then.
    const then = system.stores.duty.onDuty(A, 2, (override?.from ?? 0) + 1);
    expect(then).toContain(standIn);
    expect(then).not.toContain(allWeek);

    expect(context.errors).toEqual([]);

    // A bad range is refused at the field, in words (the browser logs the 400 itself).
    await page.getByLabel('结束').fill('2020-01-01T08:00');
    await page.getByRole('button', { name: '添加' }).click();
    await expect.poll(() => page.locator('#duty-o-to').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#duty-o-to-error').textContent()).toMatch(/须晚于开始时间|已经过去/);

    // A volunteer of the compound reads the same page, without the form.
    const volunteer = await loginPage(
      await newContext(browser(), PHONE),
      system.httpUrl,
      cast.users.volunteerA.username,
      TEST_USER_PASSWORD,
      '#/duty',
    );
    await expect
      .poll(() => volunteer.locator('#duty-tier-2 .duty-now').textContent(), { timeout: 10_000 })
      .toBeTruthy();
    expect(await volunteer.locator('#duty-override-form').count()).toBe(0);
  }, 60_000);
});
