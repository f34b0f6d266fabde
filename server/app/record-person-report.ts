import type { Announcer } from './announce.js';
import { alertChanges } from './announce.js';
import type { Clock } from './clock.js';
import type { PersonReport, PersonReportResult, RecordMessages } from './record-messages.js';

/**
 * A person's report (a volunteer's manual entry) through the same rules as a press: committed,
 * then announced (nothing for a repeated idempotency key: it had its effect the first time).
 */
export function createRecordPersonReport(deps: { record: RecordMessages; announcer: Announcer; clock: Clock }) {
  return function recordPersonReport(report: PersonReport): PersonReportResult {
    const now = deps.clock.now();
    return deps.announcer.commit((announce) => {
      const result = deps.record.recordPersonReport(report, now);
      if (!result.duplicate) {
        const { householdId, state } = report;
        announce({ type: 'report', householdId, eventId: result.eventId, state, source: 'person', at: now });
        for (const change of alertChanges(result.alerts, now)) announce(change);
      }
      return result;
    });
  };
}

export type RecordPersonReport = ReturnType<typeof createRecordPersonReport>;
