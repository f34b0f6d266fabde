import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { createBoundedLog, createPendingSockets } from './admission.js';
import type { BrokerLimits } from './options.js';
import { guardSocket } from './packet-guard.js';

/**
 * Connections the kernel may hold for us before we accept them. Node's default (511) overflows
 * in a reconnect storm (a power cut ends and every button reconnects at once): the kernel then
 * drops SYNs, and those devices only retry after 1, 3, 7 s… (bench:connections saw CONNACK p99
 * of 11 s and 44 of 15,000 never connected). The kernel caps it at net.core.somaxconn.
 */
export const LISTEN_BACKLOG = 4096;

/**
 * TLS versions the MQTT-over-TLS listener speaks (docs/protocol.md §7): 1.2 and 1.3. Older ones
 * are broken; a button too old for 1.2 stays on the plain listener, if the operator opens it.
 */
export const MQTT_TLS_MIN_VERSION = 'TLSv1.2' as const;

type Refusals = ReturnType<typeof createBoundedLog<Record<string, unknown>>>;

export type DoorDeps = {
  log: Logger;
  limits: BrokerLimits;
  now: () => number;
  refusals: Refusals;
  pending: ReturnType<typeof createPendingSockets>;
  /**
   * Per connection aedes sees (the TCP socket, or the TLS socket over it): marks it judged when
   * its CONNECT is let in, so it no longer counts as pending against its address.
   */
  judged: WeakMap<object, () => void>;
  /** Hands a connection to aedes, once it is a stream of MQTT bytes (over TLS: after the handshake). */
  handle(conn: net.Socket): void;
};

/**
 * The broker's listeners: the plain one (MQTT_PORT) and the TLS one (MQTTS_PORT). Both share one
 * door, so every limit holds on both and is counted from accept:
 *
 *   accept ──▶ global cap, sockets per address waiting for their CONNECT (closed at once if over)
 *          ──▶ plain: the packet guard, then aedes (whose connect timeout runs from here)
 *          ──▶ TLS:   the handshake, then the packet guard and aedes; the connect timeout runs
 *                     from accept across the handshake and the CONNECT, so a handshake that
 *                     dribbles (or never starts) is closed like a socket that sends no CONNECT
 *
 * A TLS socket that fails its handshake (a plain MQTT client on the TLS port, a client that
 * refuses our certificate) is closed and logged at a bounded rate; nothing of it reaches aedes.
 */
export function createDoor(deps: DoorDeps) {
  const { log, limits, now, refusals, pending, judged } = deps;
  const sockets = new Set<net.Socket>();

  /** Counts a new socket from its accept; null (and the socket closed) when over a limit. */
  function admit(socket: net.Socket, address: string): (() => void) | null {
    if (sockets.size >= limits.maxConnections) {
      refusals.warn(
        'connection-limit',
        { address, open: sockets.size },
        'socket closed at accept: connection limit reached',
        now(),
      );
      socket.destroy();
      return null;
    }
    if (!pending.open(address)) {
      refusals.warn(
        'pending-limit',
        { address, waiting: pending.count(address) },
        'socket closed at accept: too many sockets from this address waiting for their CONNECT',
        now(),
      );
      socket.destroy();
      return null;
    }
    let counted = true;
    return () => {
      if (!counted) return;
      counted = false;
      pending.release(address);
    };
  }

  /** Holds `conn` (what aedes will see) in the global count until it closes. */
  function track(conn: net.Socket, settle: () => void): void {
    sockets.add(conn);
    conn.once('close', () => {
      sockets.delete(conn);
      settle();
    });
  }

  function toAedes(conn: net.Socket, address: string): void {
    guardSocket(conn, limits.maxPacketBytes, (reason) => {
      log.warn({ address, reason }, 'packet refused before buffering; connection closed');
    });
    deps.handle(conn);
  }

  function plainServer(): net.Server {
    const server = net.createServer({ noDelay: true }, (socket) => {
      const address = socket.remoteAddress ?? 'unknown';
      const settle = admit(socket, address);
      if (settle === null) return;
      judged.set(socket, settle);
      track(socket, settle);
      toAedes(socket, address);
    });
    backstop(server);
    return server;
  }

  function tlsServer(secureContext: tls.SecureContext): net.Server {
    const server = net.createServer({ noDelay: true }, (socket) => {
      const address = socket.remoteAddress ?? 'unknown';
      const admitted = admit(socket, address);
      if (admitted === null) return;
      const secure = new tls.TLSSocket(socket, {
        isServer: true,
        secureContext,
        // Devices prove who they are with their secret in CONNECT, not with a certificate.
        requestCert: false,
        rejectUnauthorized: false,
      });
      // From accept: handshake and CONNECT together within the connect timeout (aedes' own
      // timer starts only when it gets the socket, after the handshake).
      const deadline = setTimeout(() => {
        refusals.warn(
          'tls-timeout',
          { address, handshakeDone: handshaken },
          'TLS connection closed: no TLS handshake and CONNECT within the connect timeout',
          now(),
        );
        secure.destroy();
      }, limits.connectTimeoutMs);
      const settle = () => {
        clearTimeout(deadline);
        admitted();
      };
      let handshaken = false;
      judged.set(secure, settle);
      track(secure, settle);
      secure.on('error', (err: Error & { code?: string }) => {
        if (handshaken) return; // aedes has the socket and its own error handling
        refusals.warn(
          'tls-handshake',
          { address, code: err.code, err: err.message },
          'TLS handshake did not complete (not TLS: a plain MQTT client on the TLS port; a client that refused the certificate; or a dropped connection); connection closed',
          now(),
        );
        secure.destroy();
      });
      secure.once('secure', () => {
        handshaken = true;
        toAedes(secure, address);
      });
    });
    backstop(server);
    return server;
  }

  // A backstop only: the cap above closes sockets in order, with a log line; past this margin
  // (sockets destroyed but not yet gone), Node drops them silently at accept.
  function backstop(server: net.Server): void {
    server.maxConnections = limits.maxConnections + 64;
  }

  return {
    plainServer,
    tlsServer,
    /** Closes every connection still open (at broker close, after aedes has closed its clients). */
    destroyAll(): void {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** Listens with the reconnect-storm backlog; rejects with Node's own error (EADDRINUSE …). */
export function listenOn(server: net.Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
