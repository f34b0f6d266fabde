import type { AlertKind, AlertStatus, RibbonState } from '../../protocol/ribbon.js';

export type { AlertKind, AlertStatus, RibbonState };

/**
 * The HTTP API (docs/api.md), as the dashboard uses it: the session cookie goes with every
 * request (same origin), and state-changing requests carry the CSRF token from the login.
 */
import type { AlertJson, ReceiptStatus } from '../../protocol/live.js';

export type Role = 'admin' | 'staff' | 'volunteer';
export type User = { id: number; username: string; displayName: string; role: Role; compoundIds: number[] };

/** The shapes the API and the live feed send (protocol/live.ts). */
export type { DeviceJson as Device, HouseholdJson as Household, ReceiptJson as Receipt } from '../../protocol/live.js';

export type Alert = AlertJson & {
  /**
   * Set only on an emergency the page made from a live `receipt` (a red press on its way to the
   * server's disk, docs/api.md): not an alert yet, so nothing can be done to it here. Its id is
   * the receipt's, negated.
   */
  receipt?: Exclude<ReceiptStatus, 'recorded'>;
};

export type TransitionAction =
  | 'opened'
  | 'escalated'
  | 'reminded'
  | 'acknowledged'
  | 'arrived'
  | 'resolved'
  | 'cleared';

/** GET /api/alerts/:id: the alert, its steps, and whom it was sent to. */
export type AlertDetail = Alert & {
  transitions: Array<{ action: TransitionAction; by: string | null; note: string | null; level: number; at: string }>;
  notifications: Array<{
    event: string;
    target: 'channel' | 'device' | 'none';
    recipients: Array<{ name: string; phone: string | null; role: string }>;
    status: 'pending' | 'sent' | 'failed';
    attempts: number;
    sentAt: string | null;
    lastError: string | null;
    /** A person's own phone (SMS or call); null for group robots and webhooks. Absent from servers before issue 13. */
    medium?: 'sms' | 'call' | null;
    /** What became of a call, as its provider reported it. */
    callResult?: { result: CallResultWord; detail: string; at: string } | null;
  }>;
};

export type CallResultWord = 'answered' | 'busy' | 'no_answer' | 'unreachable' | 'failed' | 'throttled';

/** GET /api/channels (staff and admins): where notifications go; `medium` says whether it reaches a phone. */
export type ChannelSummary = { id: number; kind: string; name: string; medium: 'sms' | 'call' | 'group' };

/** An error the API answered with (`{"error":{code,message}}`), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter: number | null = null,
    /** The fields a 400 named (`body.to`), with what is wrong with each. */
    readonly fields: ReadonlyArray<{ path: string; message: string }> = [],
    /** The whole answer (its `error.details`, or a refused import's report), as it came. */
    readonly body: unknown = null,
  ) {
    super(message);
  }
  get offline(): boolean {
    return this.status === 0;
  }
}

let csrfToken: string | null = null;
let onSessionEnded: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when any request answers 401 (the session ended): the app shows the login again. */
export function whenSessionEnds(handler: () => void): void {
  onSessionEnded = handler;
}

export async function api<T>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  /** A file sent as it is (a roster), with this content type, instead of JSON. */
  file?: { blob: Blob; type: string },
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (file !== undefined) headers['content-type'] = file.type;
  else if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== null) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: file !== undefined ? file.blob : body === undefined ? null : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, 'OFFLINE', err instanceof Error ? err.message : String(err));
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    // A proxy's HTML error page, say: reported below by status.
  }
  if (!response.ok) {
    const e = (
      json as {
        error?: { code?: string; message?: string; fields?: Array<{ path: string; message: string }> };
      } | null
    )?.error;
    const retry = Number(response.headers.get('retry-after'));
    const error = new ApiError(
      response.status,
      e?.code ?? `HTTP_${response.status}`,
      e?.message ?? response.statusText,
      Number.isFinite(retry) && retry > 0 ? retry : null,
      Array.isArray(e?.fields) ? e.fields : [],
      json,
    );
    if (response.status === 401 && path !== '/api/session') onSessionEnded();
    throw error;
  }
  return json as T;
}

export async function currentSession(): Promise<{ user: User; csrfToken: string | null } | null> {
  try {
    return await api<{ user: User; csrfToken: string | null }>('GET', '/api/session');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export async function login(username: string, password: string): Promise<{ user: User; csrfToken: string }> {
  return api('POST', '/api/session', { username, password });
}

export async function logout(): Promise<void> {
  await api('DELETE', '/api/session');
}
