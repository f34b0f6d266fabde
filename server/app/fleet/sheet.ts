import { formatCsv } from '../roster/csv.js';
import { writeWorkbook } from '../roster/sheets.js';
import type { IssuedDevice } from './provision.js';

// The batch's sheet (issue 16): one row per device, as CSV (UTF-8 with BOM, what Excel opens) and
// as .xlsx. It holds the secrets: they exist only in this answer, the database keeps their hashes.

export const FLEET_SHEET_HEADER = [
  '住户编号(household_id)',
  '小区(compound)',
  '楼栋(building)',
  '房号(room)',
  '姓名(name)',
  '设备编号(device_id)',
  '密钥(secret)',
  '标签(label)',
] as const;

export const FLEET_SHEET_NAME = '设备与密钥';

export function fleetSheetRows(devices: readonly IssuedDevice[]): string[][] {
  return [
    [...FLEET_SHEET_HEADER],
    ...devices.map((d) => [
      String(d.householdId),
      d.compound,
      d.building,
      d.room,
      d.name,
      d.deviceId,
      d.secret,
      d.label,
    ]),
  ];
}

export function fleetCsv(devices: readonly IssuedDevice[]): string {
  return formatCsv(fleetSheetRows(devices));
}

export async function fleetXlsx(devices: readonly IssuedDevice[]): Promise<Buffer> {
  return writeWorkbook([{ name: FLEET_SHEET_NAME, rows: fleetSheetRows(devices) }]);
}
