import os from 'node:os';
import { createAlerting } from '../app/alerting.js';
import {
  AddressTaken,
  closeHousehold,
  closingCommand,
  moveDevice,
  moveHousehold,
  type Refusal,
} from '../app/households.js';
import { changeCompound, type PlaceProblem, renameBuilding } from '../app/places.js';
import { addressText } from '../domain/address.js';
import { createLogger } from '../log.js';
import type { SqliteStores } from '../store/index.js';
import { missingOption, UsageError } from './usage-error.js';

/** The households commands' part of `--help` (server/admin/main.ts). */
export const HOUSEHOLDS_HELP = `  close-household --household ID --reason passed_away|moved_out|care_home|other --on YYYY-MM-DD
                  [--note TEXT]
        Closes a household (去世 · 搬离 · 入住养老机构 · 其他; --on the date it happened): its
        check-ins stop, its devices are retired, its open alerts resolved (住户已注销); refused
        while an emergency is open. It leaves the wall; its history stays. A device still
        connected to the running server is refused from its next CONNECT.
  move-household --household ID --building NAME
        Moves a household to a building of its compound (made if new); refused if that address
        is another household's.
  move-device --device ID --household ID
        Gives a device to another household (its next press is that household's).
  rename-compound --compound NAME|ID --name NEW
  rename-building --compound NAME --building NAME --name NEW
        New names (unique: compounds, and buildings within their compound).
  add-household at an address already registered (compound · building · room; without a room,
  the name too) is refused (exit 2) naming that household: change it with these commands or in
  the dashboard (住户 / Households) instead.
`;

export const HOUSEHOLDS_OPTIONS = {
  reason: { type: 'string' },
  on: { type: 'string' },
  device: { type: 'string' },
} as const;

type Values = Partial<
  Record<
    | keyof typeof HOUSEHOLDS_OPTIONS
    | 'household'
    | 'building'
    | 'compound'
    | 'name'
    | 'note'
    | 'room'
    | 'timezone'
    | 'community',
    string
  >
> & { json?: boolean };
type Out = { write(text: string): void };

/** add-household's refusal at a taken address: exit 2 naming the household, and how to change it. */
export function refuseTakenAddress<T>(add: () => T): T {
  try {
    return add();
  } catch (err) {
    if (!(err instanceof AddressTaken)) throw err;
    const h = err.household;
    const where = addressText(h);
    throw new UsageError(
      `该地址（${where}）已登记住户 #${h.id} ${h.name}；如需修改，请用 set-checkin、move-household、close-household 或仪表板「住户」页编辑该住户 / ` +
        `${where} is already registered as household #${h.id} ${h.name}; to change it, use set-checkin, move-household, close-household or edit it in the dashboard (Households)`,
    );
  }
}

const refused = (r: Refusal): UsageError => new UsageError(r.message);
const placeRefused = (p: PlaceProblem): UsageError => new UsageError(`${p.field}: ${p.message}`);

/** Runs a households command; null when `cmd` is none of them. The rules are app/households.ts's, as the API's. */
export function runHouseholdsCommand(
  cmd: string,
  values: Values,
  s: SqliteStores,
  now: number,
  out: Out,
): number | null {
  const need = (name: keyof Values): string => {
    const value = values[name];
    if (typeof value !== 'string' || value.trim() === '') throw missingOption(cmd, name);
    return value.trim();
  };
  const id = (name: 'household'): number => {
    const text = need(name);
    if (!/^[1-9]\d{0,14}$/.test(text))
      throw new UsageError(`--${name} 应为编号 / takes an id (a positive whole number)`);
    return Number(text);
  };
  const print = (json: unknown, text: string) => out.write(values.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
  const compoundOf = (ref: string) => {
    const all = s.places.listCompounds();
    const c = /^\d+$/.test(ref) ? all.find((x) => x.id === Number(ref)) : all.find((x) => x.name === ref);
    if (c === undefined) throw new UsageError(`没有小区 ${JSON.stringify(ref)} / no compound ${JSON.stringify(ref)}`);
    return c;
  };

  switch (cmd) {
    case 'close-household': {
      const closed = closeHousehold(
        s,
        id('household'),
        { reason: need('reason'), on: need('on'), note: values.note },
        now,
      );
      if (!closed.ok) throw refused(closed);
      // Resolved here as the API's close does through the core: the alert use case, as the OS user.
      const alerting = createAlerting({ stores: s, log: createLogger('silent') });
      const by = `admin CLI (${os.userInfo().username})`;
      let resolved = 0;
      for (const alertId of closed.alerts)
        if (s.transaction(() => alerting.command(alertId, closingCommand(by), now)).ok) resolved += 1;
      const h = closed.household;
      print(
        { id: h.id, closed: h.closed, devicesRetired: closed.devices, alertsResolved: resolved },
        `住户 #${h.id} ${h.name} 已注销 / household #${h.id} closed (${h.closed?.reason} ${h.closed?.on}); ` +
          `设备停用 / devices retired: ${closed.devices.join(', ') || '-'}; 告警已解决 / alerts resolved: ${resolved}`,
      );
      return 0;
    }
    case 'move-household': {
      const moved = moveHousehold(s, id('household'), need('building'), now);
      if (!moved.ok) throw refused(moved);
      const h = moved.household;
      print(
        { id: h.id, buildingId: h.buildingId, building: h.building },
        `住户 #${h.id} 已迁至 ${h.compound} ${h.building} / household #${h.id} moved to ${h.building}`,
      );
      return 0;
    }
    case 'move-device': {
      const device = need('device');
      const moved = moveDevice(s, device, id('household'));
      if (!moved.ok) throw refused(moved);
      print(
        { id: device, householdId: moved.to.id },
        `设备 ${device} 已从住户 #${moved.from.id} 移至 #${moved.to.id} / device ${device} moved from household #${moved.from.id} to #${moved.to.id}`,
      );
      return 0;
    }
    case 'rename-compound': {
      const c = compoundOf(need('compound'));
      const changed = changeCompound(s, c.id, { name: need('name') });
      if (!changed.ok) throw placeRefused(changed.problem);
      print({ id: c.id, name: need('name') }, `小区 ${c.name} 已改名为 ${need('name')} / compound renamed`);
      return 0;
    }
    case 'rename-building': {
      const c = compoundOf(need('compound'));
      const b = s.places.findBuilding(c.id, need('building'));
      if (b === null)
        throw new UsageError(
          `${c.name} 没有楼栋 ${need('building')} / no building ${JSON.stringify(need('building'))}`,
        );
      const renamed = renameBuilding(s, b.id, need('name'));
      if (!renamed.ok) throw placeRefused(renamed.problem);
      print({ id: b.id, name: need('name') }, `楼栋 ${b.name} 已改名为 ${need('name')} / building renamed`);
      return 0;
    }
    default:
      return null;
  }
}
