/**
 * The one HTTP POST every channel makes: global fetch, a hard time limit that covers the
 * response body too, a bounded read of the answer, and no redirects (a webhook that redirects
 * is a misconfigured URL, and following a 301/302 would turn the POST into a GET).
 */

export const DEFAULT_TIMEOUT_MS = 5000;
/** A notification later than this is no longer fast: better a retry than a hung worker. */
export const MAX_TIMEOUT_MS = 60_000;
const MAX_RESPONSE_BYTES = 64 * 1024;
/** A receiver's Retry-After longer than this is taken as this: the outbox caps delays anyway. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

export type PostOutcome =
  | { type: 'response'; status: number; headers: Headers; body: string }
  /** Nothing usable came back: connection refused or reset, DNS, TLS, timeout, abort. */
  | { type: 'failed'; error: string };

export type PostRequest = {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
};

export async function postJson(request: PostRequest): Promise<PostOutcome> {
  const { url, body, headers, timeoutMs, signal } = request;
  if (signal?.aborted) return { type: 'failed', error: 'aborted before sending' };
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = (): void => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'ribbon-pact-notify/1', ...headers },
      body,
      redirect: 'manual',
      signal: controller.signal,
    });
    const text = await readCapped(response, MAX_RESPONSE_BYTES);
    return { type: 'response', status: response.status, headers: response.headers, body: text };
  } catch (error) {
    if (timedOut) return { type: 'failed', error: `timed out after ${timeoutMs} ms` };
    if (signal?.aborted) return { type: 'failed', error: 'aborted' };
    return { type: 'failed', error: `network error: ${describeError(error, url)}` };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Throws for a URL no channel could use: a programming or configuration error, not a delivery failure. */
export function checkHttpUrl(url: string, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${what} is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`${what} must be http(s)`);
  if (parsed.username !== '' || parsed.password !== '')
    throw new TypeError(`${what} must not contain a user name or password`);
  return parsed;
}

/** Throws unless `ms` is a whole number of milliseconds in 1..MAX_TIMEOUT_MS. */
export function checkTimeoutMs(ms: number): number {
  if (!Number.isInteger(ms) || ms < 1 || ms > MAX_TIMEOUT_MS)
    throw new RangeError(`timeoutMs must be an integer from 1 to ${MAX_TIMEOUT_MS}, got ${ms}`);
  return ms;
}

export type StatusClass = 'ok' | 'transient' | 'permanent';

/**
 * 2xx delivered. 408 (timeout), 425 (too early), 429 (slow down) and 5xx may pass: try again.
 * Any other 4xx, and 3xx (we do not follow redirects), will answer the same next time.
 */
export function classifyStatus(status: number): StatusClass {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'transient';
  return 'permanent';
}

/** A failure result for a non-2xx answer, with the receiver's Retry-After when it gave one. */
export function httpFailure(
  status: number,
  headers: Headers,
  body: string,
  nowMs: number,
): { ok: false; permanent: boolean; error: string; status: number; retryAfterMs?: number } {
  const permanent = classifyStatus(status) === 'permanent';
  const detail = snippet(body);
  const error =
    status >= 300 && status < 400
      ? `HTTP ${status} redirect: configure the final URL`
      : `HTTP ${status}${detail === '' ? '' : `: ${detail}`}`;
  const retryAfterMs = permanent ? null : parseRetryAfter(headers.get('retry-after'), nowMs);
  return retryAfterMs === null
    ? { ok: false, permanent, error, status }
    : { ok: false, permanent, error, status, retryAfterMs };
}

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return null;
    ms = date - nowMs;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** The first 200 characters of a receiver's answer, on one line, for the outbox's error column. */
export function snippet(body: string): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size >= maxBytes) {
      await reader.cancel();
      break;
    }
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, maxBytes));
}

/**
 * undici reports "fetch failed" with the reason in `cause` (ECONNREFUSED, ENOTFOUND, …). The
 * URL may carry a robot's key or token: it never goes into an error message.
 */
function describeError(error: unknown, url: string): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 3 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${code} ${current.message}` : current.message);
    current = (current as { cause?: unknown }).cause;
  }
  const text = parts.length === 0 ? String(error) : parts.join(': ');
  return redact(text, url);
}

function redact(text: string, url: string): string {
  let out = text.split(url).join('<url>');
  try {
    const parsed = new URL(url);
    for (const value of parsed.searchParams.values()) if (value.length >= 4) out = out.split(value).join('<redacted>');
  } catch {
    // An unparsable URL cannot reach fetch (channels check it when they are created).
  }
  return out;
}
