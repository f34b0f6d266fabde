import { publicChannel } from '../app/channels.js';
import type { SqliteStores } from '../store/index.js';

/**
 * The admin tool's listings (`list`, `people`, `list-channels`): tab-separated, a header of
 * Chinese and English words, places by NAME (issue 15, point 7: an operator reads 阳光小区, not
 * 3); the ids stay as columns of their own where a command takes one (households, people,
 * channels). --json prints the records as stored, with the names beside the ids.
 */

type Out = { write(text: string): void };

/** "全部 all": a person or channel not tied to that level (the whole district, say). */
const ANY = '全部 all';

/** Names of places by id: compounds, buildings, and areas (district, streets, communities). */
function placeNames(s: SqliteStores) {
  const compounds = new Map(s.places.listCompounds().map((c) => [c.id, c.name]));
  const buildings = new Map(s.places.listBuildings().map((b) => [b.id, b.name]));
  const areas = new Map(s.areas.list().map((a) => [a.id, a.name]));
  const communityOf = s.areas.compoundCommunities();
  const name = (names: Map<number, string>, id: number | null): string | null =>
    id === null ? null : (names.get(id) ?? `#${id}`);
  return {
    compound: (id: number | null) => name(compounds, id),
    building: (id: number | null) => name(buildings, id),
    area: (id: number | null) => name(areas, id),
    communityOfCompound: (id: number): number | null => communityOf.get(id) ?? null,
  };
}

const row = (cells: ReadonlyArray<string | number | null>): string =>
  `${cells.map((c) => (c === null ? ANY : String(c).replace(/[\t\n]/g, ' '))).join('\t')}\n`;

/** `list`: households, where they are, their ribbon and their devices. */
export function listHouseholds(s: SqliteStores, json: boolean, out: Out): number {
  const names = placeNames(s);
  const devicesByHousehold = new Map<number, string[]>();
  for (const d of s.devices.list()) {
    if (d.retiredAt !== null) continue;
    devicesByHousehold.set(d.householdId, [...(devicesByHousehold.get(d.householdId) ?? []), d.id]);
  }
  const rows = s.places.listHouseholds().map((h) => {
    const communityId = names.communityOfCompound(h.compoundId);
    return { ...h, communityId, community: names.area(communityId), devices: devicesByHousehold.get(h.id) ?? [] };
  });
  if (json) {
    out.write(`${JSON.stringify(rows)}\n`);
    return 0;
  }
  out.write(
    row([
      '编号 id',
      '社区 community',
      '小区 compound',
      '楼栋 building',
      '房间 room',
      '姓名 name',
      '彩带 ribbon',
      '设备 devices',
    ]),
  );
  for (const h of rows)
    out.write(
      row([
        h.id,
        h.community ?? '-',
        h.compound,
        h.building,
        h.room || '-',
        h.name,
        h.state ?? '-',
        h.devices.join(',') || '-',
      ]),
    );
  return 0;
}

/** `people`: who answers alarms, and where. */
export function listPeople(s: SqliteStores, json: boolean, out: Out): number {
  const names = placeNames(s);
  const rows = s.people.list().map((p) => ({
    ...p,
    compound: names.compound(p.compoundId),
    building: names.building(p.buildingId),
    community: names.area(p.communityId ?? (p.compoundId === null ? null : names.communityOfCompound(p.compoundId))),
  }));
  if (json) {
    out.write(`${JSON.stringify(rows)}\n`);
    return 0;
  }
  out.write(
    row([
      '编号 id',
      '梯队 tier',
      '角色 role',
      '姓名 name',
      '电话 phone',
      '社区 community',
      '小区 compound',
      '楼栋 building',
    ]),
  );
  for (const p of rows)
    out.write(row([p.id, p.tier, p.role, p.name, p.phone ?? '-', p.community, p.compound, p.building]));
  return 0;
}

/** `list-channels`: the active channels, secrets shown as "set". */
export function listChannels(s: SqliteStores, json: boolean, out: Out): number {
  const names = placeNames(s);
  const rows = s.channels.list().map((c) => {
    const shown = publicChannel(c);
    return { ...shown, compound: names.compound(shown.compoundId) };
  });
  if (json) {
    out.write(`${JSON.stringify(rows)}\n`);
    return 0;
  }
  out.write(row(['编号 id', '类型 kind', '方式 medium', '名称 name', '小区 compound', '设置 config']));
  for (const c of rows) out.write(row([c.id, c.kind, c.medium, c.name, c.compound, JSON.stringify(c.config)]));
  return 0;
}
