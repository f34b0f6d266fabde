/**
 * The ribbon vocabulary (docs/protocol.md, docs/api.md): what a device sends and what an alert is.
 * Part of the wire contract that server, broker, device-sim and dashboard all import: types and
 * constants only, no I/O.
 */

export const RIBBON_STATES = ['red', 'yellow', 'blue'] as const;
export type RibbonState = (typeof RIBBON_STATES)[number];

export const ALERT_KINDS = ['emergency', 'service', 'missed_checkin', 'device'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** Where a report came from: a device press, or a person (a volunteer's manual entry). */
export const REPORT_SOURCES = ['device', 'person'] as const;
export type ReportSource = (typeof REPORT_SOURCES)[number];

/** A household's time zone when none is given (docs/design.md), and the reports' default. */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
