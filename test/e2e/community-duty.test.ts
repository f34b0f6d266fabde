import { describe, expect, it } from 'vitest';
import { DEFAULT_AREAS } from '../../server/domain/places.js';
import { makeCast } from '../helpers/api.js';
import { browserAvailable, loginPage, newContext, useBrowser } from '../helpers/browser.js';
import { startTestSystem, TEST_ADMIN_PASSWORD } from '../helpers/system.js';

/**
 * The 值班 page for a community's roster (issue 14) in Debian's headless Chromium against the
 * real server: the admin chooses the community, sees who is on duty, adds leave through the
 * form (the server's onDuty for a compound of it then follows), and the compound's page says its
 * tier follows the community's roster.
 */
const available = browserAvailable();

describe.skipIf(!available)('the duty page for a community in a real browser', () => {
  const browser = useBrowser();

  it('when the admin chooses a community on 值班, then its roster shows, leave added in the form is followed in its compounds, and a compound says it follows it', async () => {
    const system = await startTestSystem();
    const cast = await makeCast(system);
    const C = DEFAULT_AREAS.community;
    const add = (name: string, phone: string) =>
      system.stores.people.add(
        { name, phone, role: 'duty_officer', tier: 1, compoundId: null, buildingId: null, communityId: C },
        Date.now(),
      );
    const officer = add('社区总值班', '13800000401');
    const standIn = add('社区替班', '13800000402');
    system.stores.transaction(() =>
      system.stores.duty.replaceCommunityShifts(
        C,
        'Asia/Shanghai',
        [{ tier: 1, days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '00:00', personIds: [officer] }],
        Date.now(),
      ),
    );
    expect(system.stores.duty.onDuty(cast.compoundA.id, 1, Date.now())).toEqual([officer]);

    const context = await newContext(browser(), { viewport: { width: 1280, height: 900 } });
    const page = await loginPage(context, system.httpUrl, 'admin', TEST_ADMIN_PASSWORD, '#/duty');
    await page.getByLabel('小区或社区').selectOption({ value: `community:${C}` });
    await expect
      .poll(() => page.locator('#duty-community-name').textContent(), { timeout: 10_000 })
      .toBe('本社区（社区）');
    expect(await page.locator('#duty-tier-1 .duty-now').textContent()).toContain('社区总值班');
    expect(await page.locator('#duty-serves').textContent()).toContain('2 个小区');

    await page.getByLabel('谁不能值班').selectOption({ label: '社区总值班' });
    await page.getByLabel('由谁顶班').selectOption({ label: '社区替班' });
    await page.getByRole('button', { name: '添加' }).click();
    await expect
      .poll(() => page.locator('#duty-overrides').textContent(), { timeout: 10_000 })
      .toContain('社区替班 替 社区总值班 值班');
    const [override] = system.stores.duty.communityRoster(C, Date.now()).overrides;
    expect(override).toMatchObject({ communityId: C, personId: officer, replacementId: standIn });
    expect(system.stores.duty.onDuty(cast.compoundB.id, 1, (override?.from ?? 0) + 1)).toEqual([standIn]);

    // Compound A has no tier-1 roster of its own: its page follows the community's and says so.
    await page.getByLabel('小区或社区').selectOption({ value: `compound:${cast.compoundA.id}` });
    // Waited for by its text: the community's page before it has tier rows with data-source too.
    await expect.poll(() => page.locator('#duty-tier-1').textContent(), { timeout: 10_000 }).toContain('按社区值班表');
    expect(await page.locator('#duty-tier-1').getAttribute('data-source')).toBe('community');
    expect(await page.locator('#duty-tier-1 .duty-now').textContent()).toContain('社区总值班');
    expect(context.errors).toEqual([]);
  }, 60_000);
});
