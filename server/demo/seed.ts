import type { DeviceCredential } from '../../protocol/credentials.js';
import { createRandom, type Random } from '../../device-sim/random.js';
import { silentDevices } from '../../device-sim/district-day.js';
import { type ShiftInput, setDutyShifts } from '../app/duty.js';
import { generatePassword, hashPassword } from '../app/passwords.js';
import { addHousehold, provisionDevice } from '../app/provision.js';
import type { SqliteStores } from '../store/index.js';
import { DEFAULT_AREAS } from '../domain/places.js';

/**
 * The demo's district (issue 14, point 7): 于洪区 › 2 streets › 4 communities › 12 compounds ›
 * buildings › about 2,000 households, each with a device; the people who answer (a volunteer per
 * building, four duty volunteers and a grid worker and party secretary per compound on weekly
 * duty rosters for tiers 1 and 2, a duty officer per community at tier 3) and the demo volunteer
 * login. Written through the same use cases as the admin tool and the roster import.
 */

export const DEMO_TIME_ZONE = 'Asia/Shanghai';
export const DEMO_VOLUNTEER = { username: 'demo', displayName: '演示志愿者' } as const;

export const DISTRICT = {
  name: '于洪区',
  streets: [
    {
      name: '迎宾路街道',
      communities: [
        { name: '金沙江社区', compounds: ['阳光小区', '幸福里小区', '金地花园'] },
        { name: '怒江社区', compounds: ['和平家园', '祥和苑', '丽景湾'] },
      ],
    },
    {
      name: '陵东街道',
      communities: [
        { name: '陵东社区', compounds: ['翠湖小区', '福安里', '长青小区'] },
        { name: '红旗社区', compounds: ['康乐园', '馨园小区', '惠民小区'] },
      ],
    },
  ],
} as const;

/** Households per compound (about 2,000 in all). */
const HOUSEHOLDS = [172, 158, 181, 166, 149, 175, 163, 170, 154, 178, 161, 173] as const;
const UNITS = 3;
const FLOORS = 6;
const DOORS = 2;

const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕'.split('');
const ELDER_NAMES = [
  '桂兰',
  '秀英',
  '淑珍',
  '玉兰',
  '凤英',
  '素芬',
  '玉珍',
  '桂芳',
  '秀兰',
  '淑兰',
  '凤兰',
  '秀珍',
  '建国',
  '德明',
  '志强',
  '国庆',
  '振华',
  '洪涛',
  '福生',
  '长林',
  '宝山',
  '文斌',
  '树林',
  '永发',
];
const WORKER_NAMES = ['晓燕', '丽娜', '海涛', '建军', '红梅', '志刚', '雪梅', '春雨', '立新', '亚楠', '卫东', '静'];

export type DemoSeed = {
  devices: DeviceCredential[];
  /** The demo volunteer's login (the simulated volunteers act as this user). */
  volunteer: { username: string; password: string };
  /** Household ids that never press (their devices are the planner's silent ones). */
  silentHouseholds: number[];
};

const pick = <T>(rng: Random, list: readonly T[]): T => list[rng.int(list.length)] as T;
const name = (rng: Random, given: readonly string[]): string => `${pick(rng, SURNAMES)}${pick(rng, given)}`;
const phone = (rng: Random): string => `13${pick(rng, ['8', '9', '5', '6'])}${String(rng.int(1e8)).padStart(8, '0')}`;

/**
 * Seeds the district into an empty database. `now` is the registration time; a silent
 * household is registered a day earlier, so its first missed check-in falls due in the demo's
 * first hour, one every few minutes (the default rule: 24 h + 2 h grace from registration).
 */
export async function seedDistrict(stores: SqliteStores, opts: { now: number; seed: number }): Promise<DemoSeed> {
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  // One transaction: one sync for the whole district, not one per household (seconds, not tens).
  return stores.transaction(() => seedAll(stores, opts, { password, passwordHash }));
}

function seedAll(
  stores: SqliteStores,
  { now, seed }: { now: number; seed: number },
  login: { password: string; passwordHash: string },
): DemoSeed {
  const rng = createRandom(seed);
  const total = HOUSEHOLDS.reduce((a, b) => a + b, 0);
  const silent = silentDevices(total, seed);
  const devices: DeviceCredential[] = [];
  const silentHouseholds: number[] = [];
  // The defaults of migration 11 become the first street and community; the rest are made.
  stores.areas.rename(DEFAULT_AREAS.district, DISTRICT.name);
  let compoundIndex = 0;
  let silentSoFar = 0;
  for (const [s, street] of DISTRICT.streets.entries()) {
    const streetId =
      s === 0 ? DEFAULT_AREAS.street : stores.areas.create('street', street.name, DEFAULT_AREAS.district, now);
    if (s === 0) stores.areas.rename(streetId, street.name);
    for (const [c, community] of street.communities.entries()) {
      const communityId =
        s === 0 && c === 0 ? DEFAULT_AREAS.community : stores.areas.create('community', community.name, streetId, now);
      if (s === 0 && c === 0) stores.areas.rename(communityId, community.name);
      addDutyOfficer(stores, rng, communityId, now);
      for (const compound of community.compounds) {
        const count = HOUSEHOLDS[compoundIndex++] ?? 160;
        const buildings = Math.ceil(count / 28);
        let compoundId = 0;
        for (let h = 0; h < count; h++) {
          const b = (h % buildings) + 1;
          const flat = Math.floor(h / buildings); // 0..27: unit, floor, door
          const room = `${(flat % UNITS) + 1}单元${(Math.floor(flat / UNITS) % FLOORS) + 1}0${(Math.floor(flat / (UNITS * FLOORS)) % DOORS) + 1}`;
          const index = devices.length;
          const registered = silent.has(index) ? now - 26 * 3_600_000 + (10 + 3 * silentSoFar++) * 60_000 : now;
          const householdId = addHousehold(
            stores,
            { compound, building: `${b}号楼`, room, name: name(rng, ELDER_NAMES), timezone: DEMO_TIME_ZONE },
            registered,
          );
          if (silent.has(index)) silentHouseholds.push(householdId);
          devices.push({ ...provisionDevice(stores, householdId, now), householdId });
          compoundId = stores.places.getHousehold(householdId)?.compoundId ?? compoundId;
        }
        stores.areas.setCompoundCommunity(compoundId, communityId);
        addCompoundPeople(stores, rng, compoundId, now);
      }
    }
  }
  const userId = stores.users.create({ ...DEMO_VOLUNTEER, role: 'volunteer', passwordHash: login.passwordHash }, now);
  stores.users.setScope(userId, [{ level: 'district', id: DEFAULT_AREAS.district, readOnly: false }]);
  return { devices, volunteer: { username: DEMO_VOLUNTEER.username, password: login.password }, silentHouseholds };
}

/** A community's duty officer (tier 3) answers for the whole community (people.community_id, migration 11). */
function addDutyOfficer(stores: SqliteStores, rng: Random, communityId: number, now: number): void {
  const id = stores.people.add(
    {
      name: name(rng, WORKER_NAMES),
      phone: phone(rng),
      role: 'duty_officer',
      tier: 3,
      compoundId: null,
      buildingId: null,
    },
    now,
  );
  stores.db.prepare('UPDATE people SET community_id = ? WHERE id = ?').run(communityId, id);
}

/**
 * A volunteer per building (tier 1); four duty volunteers on a tier-1 roster (day 07–19 and
 * night 19–07, alternating days); a grid worker on weekdays 08–18 and the party branch's
 * secretary the rest of the week (tier 2).
 */
function addCompoundPeople(stores: SqliteStores, rng: Random, compoundId: number, now: number): void {
  const person = (role: 'volunteer' | 'grid_worker' | 'party_branch', tier: 1 | 2, buildingId: number | null) =>
    stores.people.add({ name: name(rng, WORKER_NAMES), phone: phone(rng), role, tier, compoundId, buildingId }, now);
  for (const b of stores.places.listBuildings()) if (b.compoundId === compoundId) person('volunteer', 1, b.id);
  const [a, b, c, d] = [1, 2, 3, 4].map(() => person('volunteer', 1, null)) as [number, number, number, number];
  const grid = person('grid_worker', 2, null);
  const secretary = person('party_branch', 2, null);
  const shifts: ShiftInput[] = [
    { tier: 1, days: [1, 3, 5, 7], start: '07:00', end: '19:00', personIds: [a] },
    { tier: 1, days: [2, 4, 6], start: '07:00', end: '19:00', personIds: [b] },
    { tier: 1, days: [1, 3, 5, 7], start: '19:00', end: '07:00', personIds: [c] },
    { tier: 1, days: [2, 4, 6], start: '19:00', end: '07:00', personIds: [d] },
    { tier: 2, days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', personIds: [grid] },
    { tier: 2, days: [1, 2, 3, 4, 5], start: '18:00', end: '08:00', personIds: [secretary] },
    { tier: 2, days: [6, 7], start: '08:00', end: '08:00', personIds: [secretary] },
  ];
  const result = setDutyShifts(stores, compoundId, { timeZone: DEMO_TIME_ZONE, shifts }, now);
  if (!result.ok) throw new Error(`demo roster refused: ${JSON.stringify(result.problems)}`);
}
