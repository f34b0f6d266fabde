// A dashboard as the live bench sees it: a `ws` client on /ws that reads each delta frame's
// changes by position instead of parsing it, so the bench process is not the bottleneck.
import WebSocket from 'ws';

/** One dashboard connection: counts frames and changes, checks seq, and reports each change's household and kind. */
export type Dashboard = {
  ws: WebSocket;
  /** Delta frames and the changes in them. */
  frames: number;
  changes: number;
  gaps: number;
  closes: Array<{ code: number; reason: string }>;
};

const HOUSEHOLD_KEY = '"householdId":';
/** How each change in `changes` starts (its nested household/alert views start with "id"). */
const CHANGE_START = '{"type":"';
const STATUS_KEY = '"status":"';

/**
 * What the bench tells apart among a probe household's changes: the receipt that the press
 * arrived (sent before its commit), the report (sent after it), and the rest (alert, device,
 * a receipt's later statuses).
 */
export type ChangeKind = 'recording' | 'report' | 'other';

/**
 * Opens a dashboard and resolves once its snapshot arrived. `onChange(householdId, kind, at, first)`
 * is called for each change of each delta frame, in frame order (`first`: once per frame), without
 * parsing the frame: at 100k changes/s JSON.parse of each would make the bench process the
 * bottleneck; the frame's shape is fixed by protocol/live.ts (written by server/live/batch.ts):
 * `{"type":"delta","seq":N,"changes":[{"type":…,…"householdId":H…},…]}`, where a receipt is
 * `{"type":"receipt","receiptId":…,"householdId":H,"deviceId":…,"status":…,…}` (flat, so its
 * `"status":"` is its own).
 */
export function openDashboard(
  port: number,
  cookie: string,
  onChange: (householdId: number, kind: ChangeKind, atMs: number, firstOfFrame: boolean) => void,
): Promise<Dashboard> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
      headers: { cookie, origin: `http://127.0.0.1:${port}` },
      perMessageDeflate: false,
    });
    const d: Dashboard = { ws, frames: 0, changes: 0, gaps: 0, closes: [] };
    let seq = 0;
    let ready = false;
    ws.on('message', (data: Buffer) => {
      const at = performance.now();
      const text = data.toString('latin1');
      // Ticks (every ping interval, to tell a dead link from a quiet one) carry no seq.
      if (text.startsWith('{"type":"tick"')) return;
      const seqStart = text.indexOf('"seq":') + 6;
      const n = Number.parseInt(text.slice(seqStart, text.indexOf(',', seqStart)), 10);
      if (seq !== 0 && n !== seq + 1) d.gaps += 1;
      seq = n;
      if (text.startsWith('{"type":"snapshot"')) {
        if (!ready) {
          ready = true;
          resolve(d);
        }
        return;
      }
      d.frames += 1;
      let first = true;
      for (let c = text.indexOf(CHANGE_START, 1); c >= 0; c = text.indexOf(CHANGE_START, c + 1)) {
        d.changes += 1;
        const k = text.indexOf(HOUSEHOLD_KEY, c);
        if (k < 0) break;
        const start = k + HOUSEHOLD_KEY.length;
        let end = start;
        while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
        const typeAt = c + CHANGE_START.length;
        let kind: ChangeKind = 'other';
        if (text.startsWith('report"', typeAt)) kind = 'report';
        else if (text.startsWith('receipt"', typeAt)) {
          const s = text.indexOf(STATUS_KEY, end);
          if (s >= 0 && text.startsWith('recording"', s + STATUS_KEY.length)) kind = 'recording';
        }
        onChange(Number(text.slice(start, end)), kind, at, first);
        first = false;
      }
    });
    ws.on('close', (code, reason) => {
      d.closes.push({ code, reason: reason.toString() });
      if (!ready) reject(new Error(`dashboard closed before its snapshot (${code} ${reason.toString()})`));
    });
    ws.on('error', (err) => {
      if (!ready) reject(err);
    });
  });
}
