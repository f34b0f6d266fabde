import { DEFAULT_TIME_ZONE } from '../protocol/ribbon.js';
import { isValidTimeZone, parseTimeOfDay } from './domain/zoned-time.js';

/** The readers of environment variables that server/config.ts is made of, each checking its value. */

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Readonly<Record<string, string | undefined>>;

export function optionalString(env: Env, name: string): string | null {
  const value = env[name];
  return value === undefined || value.trim() === '' ? null : value.trim();
}

export function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optionalString(env, name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not valid: expected a whole number from ${min} to ${max}`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(`${name}=${raw} is out of range: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = optionalString(env, name);
  if (raw === null) return fallback;
  const found = allowed.find((a) => a === raw);
  if (found === undefined) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not valid: expected one of ${allowed.join(', ')}`);
  }
  return found;
}

export function timeOfDay(env: Env, name: string, fallback: string): string {
  const raw = optionalString(env, name);
  if (raw === null) return fallback;
  if (parseTimeOfDay(raw) === null) {
    throw new ConfigError(
      `${name}=${JSON.stringify(raw)} is not valid: expected a local time HH:MM from 00:00 to 23:59`,
    );
  }
  return raw;
}

export function timeZone(env: Env, name: string, fallback: string): string {
  const raw = optionalString(env, name);
  if (raw === null) return fallback;
  if (!isValidTimeZone(raw)) {
    throw new ConfigError(
      `${name}=${JSON.stringify(raw)} is not valid: expected an IANA time zone such as ${DEFAULT_TIME_ZONE}`,
    );
  }
  return raw;
}
