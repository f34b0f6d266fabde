import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

/** Structured logs (JSON lines). Secrets never reach a log: nothing logs a password or secret field. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ribbon-pact' },
      redact: {
        paths: ['password', 'secret', '*.password', '*.secret', 'headers.authorization', 'headers.cookie'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
