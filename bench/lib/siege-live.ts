// The `/ws` side of the siege benchmark: the watching dashboard (which must never be cut off, and
// whose receipts time red → screen), and the attacking session's sockets that ask for resyncs.
import WebSocket from 'ws';
import type { Endpoint, Session } from './siege-http.js';

function openSocket(ep: Endpoint, session: Session, localAddress?: string): WebSocket {
  const scheme = ep.ca ? 'https' : 'http';
  return new WebSocket(`${ep.ca ? 'wss' : 'ws'}://127.0.0.1:${ep.port}/ws`, {
    headers: { cookie: session.cookie },
    origin: `${scheme}://127.0.0.1:${ep.port}`,
    perMessageDeflate: false,
    ...(ep.ca ? { ca: ep.ca } : {}),
    ...(localAddress ? { localAddress } : {}),
  });
}

const isSnapshot = (text: string): boolean => text.startsWith('{"type":"snapshot"');

export type Watcher = {
  /** Close codes and reasons of closes we did not ask for, with the time (performance.now()). */
  readonly cutOffs: ReadonlyArray<{ code: number; reason: string; at: number }>;
  /** Delta frames, seq gaps, snapshots after the first (none expected: the watcher never resyncs). */
  readonly stats: { deltas: number; gaps: number; snapshots: number };
  close(): void;
};

/**
 * The watching dashboard, as a volunteer's screen: logged in, its snapshot in, then deltas.
 * `onRecording(at)` runs for each receipt `recording` of `householdId` (a red press arrived), at
 * the instant its frame arrived. Resolves once the first snapshot is in.
 */
export function watchDashboard(
  ep: Endpoint,
  session: Session,
  householdId: number,
  onRecording: (at: number) => void,
): Promise<Watcher> {
  const ws = openSocket(ep, session);
  const cutOffs: Array<{ code: number; reason: string; at: number }> = [];
  const stats = { deltas: 0, gaps: 0, snapshots: 0 };
  let closing = false;
  let seq = 0;
  return new Promise((resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      const at = performance.now();
      const text = data.toString();
      if (text.startsWith('{"type":"tick"')) return;
      if (isSnapshot(text)) {
        // A snapshot of 8,000 households is ~1 MB: only its seq is read.
        const m = /"seq":(\d+)/.exec(text.slice(0, 64));
        seq = Number(m?.[1] ?? seq);
        stats.snapshots++;
        if (stats.snapshots === 1) resolve({ cutOffs, stats, close });
        return;
      }
      const frame = JSON.parse(text) as {
        type: string;
        seq: number;
        changes?: Array<{ type: string; householdId?: number; status?: string }>;
      };
      if (frame.type !== 'delta') return;
      stats.deltas++;
      if (frame.seq !== seq + 1) stats.gaps++;
      seq = frame.seq;
      for (const c of frame.changes ?? []) {
        if (c.type === 'receipt' && c.householdId === householdId && c.status === 'recording') onRecording(at);
      }
    });
    ws.on('close', (code, reason) => {
      if (!closing) cutOffs.push({ code, reason: reason.toString(), at: performance.now() });
      if (stats.snapshots === 0) reject(new Error(`the watching dashboard closed before its snapshot (${code})`));
    });
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      reject(new Error(`the watching dashboard was refused: HTTP ${res.statusCode}`));
    });
    ws.on('error', (err) => {
      if (stats.snapshots === 0) reject(err);
    });
  });
  function close(): void {
    closing = true;
    ws.terminate();
  }
}

export type ResyncAttack = {
  upgrades: number;
  /** Upgrades answered with an HTTP status instead (e.g. "429"), and how many carried Retry-After. */
  refused: Record<string, number>;
  refusedWithRetryAfter: number;
  opened: number;
  resyncsSent: number;
  /** Snapshots that answered a resync (the one on connect not counted). */
  resyncAnswers: number;
  /** Close codes of sockets the server closed ("1008", …). */
  closes: Record<string, number>;
  errors: Record<string, number>;
};

export const newResyncAttack = (): ResyncAttack => ({
  upgrades: 0,
  refused: {},
  refusedWithRetryAfter: 0,
  opened: 0,
  resyncsSent: 0,
  resyncAnswers: 0,
  closes: {},
  errors: {},
});

const bump = (r: Record<string, number>, key: string): void => {
  r[key] = (r[key] ?? 0) + 1;
};

/**
 * `sockets` slots of one session, each: open /ws, send `resyncsEach` resyncs at once, and once
 * closed or refused, 250 ms later, again — until `until`; then every socket is closed.
 */
export async function attackWithResyncs(
  ep: Endpoint,
  opts: {
    session: Session;
    sockets: number;
    resyncsEach: number;
    until: number;
    localAddress: string;
    attack: ResyncAttack;
  },
): Promise<void> {
  const { attack } = opts;
  const open = new Set<WebSocket>();
  // Sockets we end ourselves when the attack is over (some still in their handshake).
  const ours = new WeakSet<WebSocket>();
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      attack.upgrades++;
      const ws = openSocket(ep, opts.session, opts.localAddress);
      open.add(ws);
      let opened = false;
      let snapshots = 0;
      ws.on('open', () => {
        opened = true;
        attack.opened++;
        for (let i = 0; i < opts.resyncsEach; i++) {
          ws.send('{"type":"resync"}');
          attack.resyncsSent++;
        }
      });
      ws.on('message', (data: Buffer) => {
        if (!isSnapshot(data.toString('latin1', 0, 20))) return;
        snapshots++;
        if (snapshots > 1) attack.resyncAnswers++;
      });
      let refused = false;
      ws.on('unexpected-response', (_req, res) => {
        refused = true;
        bump(attack.refused, String(res.statusCode));
        if (res.headers['retry-after'] !== undefined) attack.refusedWithRetryAfter++;
        res.resume();
        ws.terminate();
      });
      ws.on('error', (err: NodeJS.ErrnoException) => {
        // A refused upgrade's own abort is not an error of the server.
        if (!opened && !refused && !ours.has(ws)) bump(attack.errors, err.code ?? err.message);
      });
      ws.on('close', (code) => {
        open.delete(ws);
        if (opened && performance.now() < opts.until) bump(attack.closes, String(code));
        resolve();
      });
    });
  const lane = async (): Promise<void> => {
    while (performance.now() < opts.until) {
      await one();
      if (performance.now() < opts.until) await new Promise((r) => setTimeout(r, 250));
    }
  };
  const lanes = Promise.all(Array.from({ length: opts.sockets }, lane));
  await new Promise((r) => setTimeout(r, Math.max(0, opts.until - performance.now())));
  for (const ws of open) {
    ours.add(ws);
    ws.terminate();
  }
  await lanes;
}
