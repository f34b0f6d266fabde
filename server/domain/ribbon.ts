/** The ribbon vocabulary shared by every layer (DESIGN.md §1, §3). Pure: no I/O. */

export const RIBBON_STATES = ['red', 'yellow', 'blue'] as const;
export type RibbonState = (typeof RIBBON_STATES)[number];

export const ALERT_KINDS = ['emergency', 'service', 'missed_checkin', 'device'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** Where a report came from: a device press, or a person (a volunteer's manual entry). */
export const REPORT_SOURCES = ['device', 'person'] as const;
export type ReportSource = (typeof REPORT_SOURCES)[number];

export function isRibbonState(value: unknown): value is RibbonState {
  return value === 'red' || value === 'yellow' || value === 'blue';
}

/**
 * The alert a report opens (or joins: one open alert per household and kind).
 * Blue opens nothing: it is the daily check-in.
 */
export function alertKindForReport(state: RibbonState): AlertKind | null {
  switch (state) {
    case 'red':
      return 'emergency';
    case 'yellow':
      return 'service';
    case 'blue':
      return null;
    default:
      return assertNever(state);
  }
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
