import type { AddressInfo } from 'node:net';
import type { MessagePort } from 'node:worker_threads';
import type { Change } from '../app/changes.js';
import type { Config } from '../config.js';
import type { CoreLink } from './link.js';

// The messages between the people side (the main thread) and the safety core's thread
// (server/lanes/core-thread.ts). Plain data only: they are structured-cloned.

/**
 * What the core's thread is given when it starts: its settings, and the port its committed
 * changes leave by (a channel of their own, which the people side can read between two of its
 * callbacks: server/lanes/thread.ts, `changesFromCore`).
 */
export type CoreThreadData = { config: Config; changes: MessagePort };

/** On the changes port: the changes committed in one turn of the core's loop, in order. */
export type ChangesMessage = Change[];

/** A call of the link, by name. */
export type CallName = Exclude<keyof CoreLink, 'changes' | 'disconnectDevice'>;

export type ToCore =
  | { type: 'start' }
  | { type: 'call'; id: number; name: CallName; args: unknown[] }
  | { type: 'disconnect'; deviceId: string }
  | { type: 'stop' };

/** An error as it crosses: Node's and SQLite's code kept (the API maps SQLITE_BUSY to 503). */
export type ErrorData = {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  syscall?: string;
  port?: number;
};

export type FromCore =
  /** Composed (database open, broker built), not yet listening. */
  | { type: 'composed' }
  | { type: 'started'; mqttAddress: AddressInfo | null; mqttsAddress: AddressInfo | null }
  /** Composing or starting failed; the thread then ends. */
  | { type: 'failed'; error: ErrorData }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: ErrorData }
  | { type: 'stopped' };

export function errorData(err: unknown): ErrorData {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const { code, syscall, port } = err as Error & { code?: unknown; syscall?: unknown; port?: unknown };
  return {
    name: err.name,
    message: err.message,
    ...(err.stack !== undefined ? { stack: err.stack } : {}),
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof syscall === 'string' ? { syscall } : {}),
    ...(typeof port === 'number' ? { port } : {}),
  };
}

/** The error again on this side, with its code (and, for a failed listen, syscall and port). */
export function errorFrom(data: ErrorData): Error {
  const err = new Error(data.message) as Error & { code?: string; syscall?: string; port?: number };
  err.name = data.name;
  if (data.stack !== undefined) err.stack = data.stack;
  if (data.code !== undefined) err.code = data.code;
  if (data.syscall !== undefined) err.syscall = data.syscall;
  if (data.port !== undefined) err.port = data.port;
  return err;
}
