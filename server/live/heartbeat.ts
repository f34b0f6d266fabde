import type { TickFrame } from '../../protocol/live.js';
import type { LiveConnection } from './connection.js';

/**
 * One beat of the ping interval, for every open connection: a socket that has not answered the
 * previous ping is dropped; a session that ended (`stillValid` false) ends the connection
 * (SESSION_ENDED); the rest get a ping and a `tick` frame.
 */
export function heartbeat(open: Set<LiveConnection>, now: number, stillValid: (conn: LiveConnection) => boolean): void {
  const frame: TickFrame = { type: 'tick', at: new Date(now).toISOString() };
  const tick = JSON.stringify(frame);
  for (const conn of open) {
    if (!conn.alive) {
      open.delete(conn);
      conn.ws.terminate();
      continue;
    }
    if (!stillValid(conn)) {
      conn.endSession();
      continue;
    }
    conn.alive = false;
    // A control frame: it may come between a snapshot's fragments.
    conn.ws.ping();
    // Not through send(): a tick takes no seq and never cuts a socket off. With bytes still
    // waiting the client has frames to hear anyway; piling ticks behind them would not help.
    conn.sendTick(tick);
  }
}
