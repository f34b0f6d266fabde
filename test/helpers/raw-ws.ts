import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { onTestFinished } from 'vitest';

// A `/ws` client at the byte level, for what the ws client hides: how a message is cut into
// fragments, and a client that reads at its own pace, or not at all (the kernel's buffers then
// fill and the server's writes stop being taken).

/** A frame as the server sent it (RFC 6455 §5.2; the server's frames are not masked). */
export type RawFrame = { fin: boolean; opcode: number; payload: Buffer };
/** A data message (text or binary) assembled from its fragments; `complete` once its FIN came. */
export type RawMessage = { opcode: number; fragments: number[]; data: Buffer; complete: boolean };

export const OPCODE = { continuation: 0, text: 1, close: 8, ping: 9, pong: 10 } as const;

export class RawWs {
  readonly frames: RawFrame[] = [];
  /** Bytes read and not yet parsed, in the order read. */
  private chunks: Buffer[] = [];
  private length = 0;
  private header: { fin: boolean; opcode: number; size: number } | null = null;
  private waiters: Array<() => void> = [];
  /** Complete data messages, the one still open (no FIN yet), and the complete ones parsed so far. */
  private readonly assembled: RawMessage[] = [];
  private open: { opcode: number; fragments: number[]; parts: Buffer[] } | null = null;
  private readonly parsed: Array<{ type: string; seq?: number; [key: string]: unknown }> = [];
  private reader: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: net.Socket,
    /** What came after the 101 answer's headers in the same read. */
    rest: Buffer,
  ) {
    this.add(rest);
    socket.on('error', () => {});
    socket.once('close', () => this.wake());
    onTestFinished(() => this.destroy());
  }

  /** Reads everything as it comes. */
  readAll(): void {
    this.socket.on('data', (chunk: Buffer) => this.add(chunk));
    this.socket.resume();
  }

  /** A slow but steady client: at most `bytes` every `everyMs`. */
  readSlowly(bytes: number, everyMs: number): void {
    this.reader = setInterval(() => {
      for (let got = 0; got < bytes; ) {
        const n = Math.min(bytes - got, this.socket.readableLength);
        const chunk = n > 0 ? (this.socket.read(n) as Buffer | null) : null;
        if (chunk === null) {
          this.socket.read(0); // let the stream fetch more from the kernel
          break;
        }
        got += chunk.length;
        this.add(chunk);
      }
    }, everyMs);
  }

  /** The data messages so far, assembled from their fragments (control frames left out). */
  messages(): RawMessage[] {
    const open = this.open;
    if (open === null) return [...this.assembled];
    return [...this.assembled, { ...open, data: Buffer.concat(open.parts), complete: false }];
  }

  /** The complete text messages, parsed (each once). */
  json(): Array<{ type: string; seq?: number; [key: string]: unknown }> {
    for (let i = this.parsed.length; i < this.assembled.length; i++) {
      const m = this.assembled[i] as RawMessage;
      this.parsed.push(m.opcode === OPCODE.text ? JSON.parse(m.data.toString('utf8')) : { type: 'binary' });
    }
    return [...this.parsed];
  }

  /** The close frame's code and reason, or null if none came yet. */
  closeFrame(): { code: number; reason: string } | null {
    const f = this.frames.find((x) => x.opcode === OPCODE.close);
    return f === undefined ? null : { code: f.payload.readUInt16BE(0), reason: f.payload.subarray(2).toString() };
  }

  /** Resolves once `done()` holds; rejects after timeoutMs, or if the socket closes first. */
  async until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.socket.destroyed) throw new Error(`socket closed before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  destroy(): void {
    if (this.reader !== null) clearInterval(this.reader);
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private add(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
    this.parse();
    this.wake();
  }

  private parse(): void {
    for (;;) {
      if (this.header === null) {
        if (this.length < 2) return;
        const start = this.peek(Math.min(this.length, 10));
        const b0 = start[0] as number;
        const b1 = start[1] as number;
        if ((b1 & 0x80) !== 0) throw new Error('a masked frame from the server');
        const short = b1 & 0x7f;
        const headerLength = short === 126 ? 4 : short === 127 ? 10 : 2;
        if (this.length < headerLength) return;
        const size = short === 126 ? start.readUInt16BE(2) : short === 127 ? Number(start.readBigUInt64BE(2)) : short;
        this.take(headerLength);
        this.header = { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, size };
      }
      if (this.length < this.header.size) return;
      const frame = { fin: this.header.fin, opcode: this.header.opcode, payload: this.take(this.header.size) };
      this.header = null;
      this.frames.push(frame);
      this.assemble(frame);
    }
  }

  private assemble(f: RawFrame): void {
    if (f.opcode >= OPCODE.close) return;
    if (f.opcode !== OPCODE.continuation) this.open = { opcode: f.opcode, fragments: [], parts: [] };
    const open = this.open;
    if (open === null) throw new Error('a continuation frame without a message');
    open.fragments.push(f.payload.length);
    open.parts.push(f.payload);
    if (!f.fin) return;
    this.assembled.push({
      opcode: open.opcode,
      fragments: open.fragments,
      data: Buffer.concat(open.parts),
      complete: true,
    });
    this.open = null;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    return first.length >= n ? first : Buffer.concat(this.chunks).subarray(0, n);
  }

  private take(n: number): Buffer {
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const first = this.chunks[0] as Buffer;
      if (first.length <= need) {
        parts.push(first);
        this.chunks.shift();
        need -= first.length;
      } else {
        parts.push(first.subarray(0, need));
        this.chunks[0] = first.subarray(need);
        need = 0;
      }
    }
    this.length -= n;
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }
}

/** A same-host `/ws` upgrade request of a signed-in dashboard, as bytes to write on a new connection. */
export function upgradeRequest(port: number, opts: { cookie: string; tls?: boolean }): string {
  return [
    'GET /ws HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    `Origin: ${opts.tls === true ? 'https' : 'http'}://127.0.0.1:${port}`,
    `Cookie: ${opts.cookie}`,
    '',
    '',
  ].join('\r\n');
}

/**
 * Opens `/ws` on 127.0.0.1:port (over TLS with `ca`) and reads the 101 answer; after that the
 * socket reads nothing until told (RawWs.readAll, readSlowly). Destroyed when the test ends.
 */
export async function openRaw(port: number, opts: { cookie: string; ca?: Buffer }): Promise<RawWs> {
  const socket: net.Socket = opts.ca
    ? tls.connect({ host: '127.0.0.1', port, ca: opts.ca })
    : net.connect({ host: '127.0.0.1', port });
  onTestFinished(() => {
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once(opts.ca ? 'secureConnect' : 'connect', () => resolve());
    socket.once('error', reject);
  });
  socket.write(upgradeRequest(port, { cookie: opts.cookie, tls: opts.ca !== undefined }));
  // Paused mode: read until the end of the answer's headers, and not a byte more than comes with it.
  let head = Buffer.alloc(0);
  for (;;) {
    const end = head.indexOf('\r\n\r\n');
    if (end >= 0) {
      const status = head.subarray(0, head.indexOf('\r\n')).toString();
      if (!status.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${status}`);
      return new RawWs(socket, head.subarray(end + 4));
    }
    const chunk = socket.read() as Buffer | null;
    if (chunk !== null) head = Buffer.concat([head, chunk]);
    else
      await new Promise<void>((resolve, reject) => {
        socket.once('readable', resolve);
        socket.once('close', () => reject(new Error('closed during the upgrade')));
      });
  }
}
