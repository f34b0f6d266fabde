/** The ribbon vocabulary shared by every layer (docs/design.md §1, §3). Pure: no I/O. */

export {
  ALERT_KINDS,
  ALERT_STATUSES,
  type AlertKind,
  type AlertStatus,
  RIBBON_STATES,
  REPORT_SOURCES,
  type ReportSource,
  type RibbonState,
} from '../../protocol/ribbon.js';
import type { AlertKind, RibbonState } from '../../protocol/ribbon.js';

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
