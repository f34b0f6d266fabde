import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { LIVE_PATH } from '../../protocol/live.js';
import { SESSION_COOKIE, sessionUser, sha256 } from '../api/auth.js';
import type { Stores } from '../app/ports.js';
import type { User } from '../app/ports.js';

/** Who may open the feed: the session's user, and the session (rechecked while connected). */
export type Admitted = { user: User; sessionHash: Buffer };

export type UpgradeOptions = {
  stores: Stores;
  now: () => number;
  log: Logger;
  /** Extra origins to accept (e.g. behind a proxy that rewrites Host); same-host is always accepted. */
  allowedOrigins?: ((origin: string, host: string) => boolean) | undefined;
  /** Takes over a socket that passed every check. */
  accept: (req: http.IncomingMessage, socket: Duplex, head: Buffer, admitted: Admitted) => void;
};

/**
 * The `upgrade` listener for `/ws` (protocol/live.ts, "Handshake"). Its steps, in order:
 * the path (anything else is dropped without an answer: it may be another listener's), the
 * session cookie → a user (401), the Origin (403: stops cross-site WebSocket hijacking, a page
 * elsewhere riding the cookie), then `accept`.
 */
export function createUpgradeHandler(opts: UpgradeOptions) {
  const { stores, now, log } = opts;
  return function onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    if (!isLivePath(req.url)) {
      socket.destroy();
      return;
    }
    let admitted: Admitted;
    try {
      const found = authenticate(req, stores, now());
      if (found === null) {
        refuse(socket, 401, 'Unauthorized');
        return;
      }
      admitted = found;
      const origin = req.headers.origin;
      const host = req.headers.host ?? '';
      if (typeof origin !== 'string' || !(sameHost(origin, host) || (opts.allowedOrigins?.(origin, host) ?? false))) {
        log.warn({ origin, host, userId: admitted.user.id }, 'live connection from a foreign origin refused');
        refuse(socket, 403, 'Forbidden');
        return;
      }
    } catch (err) {
      log.error({ err }, 'live upgrade failed');
      socket.destroy();
      return;
    }
    opts.accept(req, socket, head, admitted);
  };
}

function isLivePath(url: string | undefined): boolean {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname === LIVE_PATH;
  } catch {
    return false;
  }
}

/** The session cookie's user, as the HTTP API finds it; null for none, unknown, expired or disabled. */
function authenticate(req: http.IncomingMessage, stores: Stores, now: number): Admitted | null {
  const cookie = sessionCookie(req.headers.cookie);
  if (cookie === null) return null;
  const sessionHash = sha256(cookie);
  const found = sessionUser(stores, sessionHash, now);
  return found === null ? null : { user: found.user, sessionHash };
}

/** Cookie header → the session cookie's value (the last wins, as a browser sends one). */
export function sessionCookie(header: string | undefined): string | null {
  if (!header) return null;
  let found: string | null = null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      continue;
    }
    if (value !== '') found = value;
  }
  return found;
}

/** Whether `origin` names the same host (and port) as the Host header. */
export function sameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    return url.host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/** Answers the upgrade request with a plain HTTP error and closes the socket. */
export function refuse(
  socket: Duplex,
  status: 400 | 401 | 403 | 404 | 429,
  text: string,
  retryAfterSec?: number,
): void {
  if (socket.writable) {
    socket.once('finish', () => socket.destroy());
    const retry = retryAfterSec === undefined ? '' : `Retry-After: ${retryAfterSec}\r\n`;
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${retry}Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
    );
  } else {
    socket.destroy();
  }
}
