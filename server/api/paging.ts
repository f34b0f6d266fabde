import { Type } from '@fastify/type-provider-typebox';
import { AppError } from '../errors.js';

/** Every list answers {items, next}: `limit` up to 1000, `next` an opaque cursor (null at the end). */
export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;

export const PageQuery = {
  limit: Type.Optional(
    Type.String({ pattern: '^[0-9]{1,4}$', description: `1–${MAX_LIMIT} (default ${DEFAULT_LIMIT})` }),
  ),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'the `next` of the previous page' })),
};

export function limitOf(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw new AppError('validation', undefined, [
      { path: 'querystring.limit', message: `must be from 1 to ${MAX_LIMIT}` },
    ]);
  }
  return n;
}

export function encodeCursor(position: Record<string, number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Decodes a cursor made by encodeCursor with exactly these numeric fields; 400 otherwise. */
export function decodeCursor<K extends string>(raw: string | undefined, keys: readonly K[]): Record<K, number> | null {
  if (raw === undefined) return null;
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (
      value !== null &&
      typeof value === 'object' &&
      keys.every((k) => Number.isSafeInteger((value as Record<string, unknown>)[k]))
    ) {
      return Object.fromEntries(keys.map((k) => [k, (value as Record<string, number>)[k]])) as Record<K, number>;
    }
  } catch {
    // fall through
  }
  throw new AppError('validation', undefined, [
    { path: 'querystring.cursor', message: 'is not a cursor this server gave out' },
  ]);
}

/**
 * One page of a keyset-paged list: `read(cursor, n)` returns up to n rows after the cursor (it is
 * asked for one more than the page, to know whether there is a next); `position` is a row's place
 * in the order, which becomes the next cursor. Validates limit and cursor (400 otherwise).
 */
export function keysetPage<T, K extends string>(
  query: { limit?: string | undefined; cursor?: string | undefined },
  keys: readonly K[],
  read: (cursor: Record<K, number> | null, n: number) => T[],
  position: (row: T) => Record<K, number>,
): { rows: T[]; next: string | null } {
  const limit = limitOf(query.limit);
  const rows = read(decodeCursor(query.cursor, keys), limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > limit && last !== undefined ? encodeCursor(position(last)) : null };
}

/**
 * One page of a small list that is read whole (a community's compounds, people, users), by id:
 * the same contract and cursor as the keyset-paged lists.
 */
export function pageById<T extends { id: number }>(
  all: readonly T[],
  query: { limit?: string | undefined; cursor?: string | undefined },
): { items: T[]; next: string | null } {
  const limit = limitOf(query.limit);
  const after = decodeCursor(query.cursor, ['id'])?.id ?? 0;
  const rest = [...all].sort((a, b) => a.id - b.id).filter((x) => x.id > after);
  const items = rest.slice(0, limit);
  return { items, next: rest.length > limit ? encodeCursor({ id: items.at(-1)?.id ?? 0 }) : null };
}

export const IdParams = Type.Object(
  { id: Type.String({ pattern: '^[1-9][0-9]{0,14}$' }) },
  { additionalProperties: false },
);
