import type { AlertCommand } from '../domain/alert.js';
import type { Alerting, CommandResult } from './alerting.js';
import type { Announcer } from './announce.js';
import type { Clock } from './clock.js';

/** A person's action on an alert (acknowledge, arrive, resolve): committed, then announced. */
export function createCommandAlert(deps: { alerting: Alerting; announcer: Announcer; clock: Clock }) {
  return function commandAlert(alertId: number, command: AlertCommand): CommandResult {
    const now = deps.clock.now();
    return deps.announcer.commit((announce) => {
      const result = deps.alerting.command(alertId, command, now);
      if (result.ok) announce({ type: 'alert', ...result.change, at: now });
      return result;
    });
  };
}

export type CommandAlert = ReturnType<typeof createCommandAlert>;
