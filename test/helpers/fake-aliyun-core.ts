import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Alibaba Cloud API gateway + Dysmsapi/Dyvmsapi on 127.0.0.1 for the SMS and voice
 * client. It checks every request the way the gateway documents signature V3
 * (https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature): it
 * rebuilds the canonical request from what it received — the raw query decoded and re-encoded,
 * the headers listed in SignedHeaders, the body's SHA-256 — and recomputes the HMAC with the
 * secret it knows. This is its own implementation (not the client's module), so a mistake in the
 * client is not mirrored here. Refusals use the gateway's codes and shape:
 * {RequestId, HostId, Code, Message, Recommend} with HTTP 400/404.
 *
 * Then it records what arrived (action, phone, template, parameters, when) and answers as told.
 *
 * No test-runner imports: bench/notify.ts runs it in a plain process (test/helpers/fake-aliyun.ts
 * is the tests' door, which closes it when the test ends).
 */

export type FakeAliyunAnswer =
  | { kind: 'ok' }
  /** A product or gateway error: HTTP 200 for the product's isv./isp. codes unless `status` says. */
  | { kind: 'error'; code: string; message: string; status?: number; headers?: Record<string, string> }
  | { kind: 'status'; status: number; body: string }
  | { kind: 'garbage' }
  /** Never answers (the client's timeout must end it). */
  | { kind: 'hang' };

export type FakeAliyunRequest = {
  action: string;
  /** The decoded query parameters. */
  params: Record<string, string>;
  /** PhoneNumbers (SMS) or CalledNumber (voice). */
  phone: string | undefined;
  /** TemplateCode (SMS) or TtsCode (voice). */
  template: string | undefined;
  /** TemplateParam / TtsParam parsed from JSON. */
  templateParams: unknown;
  /** null when the signature checked out, else the gateway code it was refused with. */
  refused: string | null;
  /** performance.now() of this process when the request's headers had arrived (before its body and the check). */
  arrivedAt: number;
};

export type FakeAliyunOptions = {
  accessKeyId: string;
  accessKeySecret: string;
  /** The gateway's clock (epoch ms) for the 15-minute window. */
  now?: () => number;
  /** Called with each request once it is checked and recorded, before it is answered. */
  onRequest?: (request: FakeAliyunRequest) => void;
  /** Keep every request in `received` (default true; a long benchmark may rely on onRequest alone). */
  keep?: boolean;
  /** How long to wait before answering a request that passed the check (a slow provider); default at once. */
  answerAfterMs?: (request: FakeAliyunRequest) => number;
};

const DATE_WINDOW_MS = 15 * 60_000;
const ACTIONS = new Set(['SendSms', 'SingleCallByTts']);

/** Listens on 127.0.0.1 (a free port); the caller closes it with close(). */
export async function startFakeAliyunGateway(options: FakeAliyunOptions) {
  const { accessKeyId, accessKeySecret, now = Date.now, onRequest, keep = true, answerAfterMs } = options;
  const received: FakeAliyunRequest[] = [];
  const nonces = new Set<string>();
  let answer: FakeAliyunAnswer = { kind: 'ok' };
  let counter = 0;

  const server = http.createServer((req, res) => {
    const arrivedAt = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      counter += 1;
      const requestId = `FAKE-${String(counter).padStart(4, '0')}`;
      const body = Buffer.concat(chunks).toString('utf8');
      const params = decodeQuery(req.url ?? '/');
      const refusal =
        params === null
          ? { status: 400, code: 'InvalidParameter', message: 'The query is not well encoded.' }
          : checkRequest(req, body, params);
      const action = String(req.headers['x-acs-action'] ?? '');
      const request: FakeAliyunRequest = {
        action,
        params: params ?? {},
        phone: params?.['PhoneNumbers'] ?? params?.['CalledNumber'],
        template: params?.['TemplateCode'] ?? params?.['TtsCode'],
        templateParams: parseJson(params?.['TemplateParam'] ?? params?.['TtsParam']),
        refused: refusal?.code ?? null,
        arrivedAt,
      };
      if (keep) received.push(request);
      onRequest?.(request);
      if (refusal !== null) {
        send(res, refusal.status, gatewayError(requestId, req.headers.host, refusal.code, refusal.message));
        return;
      }
      const delay = answerAfterMs?.(request) ?? 0;
      if (delay > 0) setTimeout(() => reply(res, answer, requestId, action), delay);
      else reply(res, answer, requestId, action);
    });
  });

  function checkRequest(
    req: IncomingMessage,
    body: string,
    params: Record<string, string>,
  ): { status: number; code: string; message: string } | null {
    const h = req.headers;
    const auth = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(
      String(h.authorization ?? ''),
    );
    if (auth === null) return { status: 400, code: 'IncompleteSignature', message: 'Authorization is not ACS3.' };
    const [, credential = '', signedList = '', given = ''] = auth;
    if (credential !== accessKeyId)
      return { status: 404, code: 'InvalidAccessKeyId.NotFound', message: 'Specified access key is not found.' };
    const signed = signedList.split(';');
    // Every host, content-type and x-acs-* header sent must be signed, and the list sorted.
    const mustSign = Object.keys(h).filter((n) => n === 'host' || n === 'content-type' || n.startsWith('x-acs-'));
    if (mustSign.some((n) => !signed.includes(n)) || [...signed].sort().join(';') !== signedList)
      return { status: 400, code: 'IncompleteSignature', message: 'A header that must be signed is not.' };
    for (const n of ['host', 'x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce'])
      if (!signed.includes(n)) return { status: 400, code: 'IncompleteSignature', message: `${n} is not signed.` };
    const payloadHash = createHash('sha256').update(body, 'utf8').digest('hex');
    if (h['x-acs-content-sha256'] !== payloadHash)
      return { status: 400, code: 'SignatureDoesNotMatch', message: 'x-acs-content-sha256 is not the body hash.' };
    const canonicalHeaders = signed.map((n) => `${n}:${headerValue(req, n).trim()}\n`).join('');
    const canonicalQuery = Object.keys(params)
      .sort()
      .map((k) => `${rfc3986(k)}=${rfc3986(params[k] ?? '')}`)
      .join('&');
    const path = (req.url ?? '/').split('?')[0];
    const canonical = [req.method, path, canonicalQuery, canonicalHeaders, signedList, payloadHash].join('\n');
    const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
    const expected = createHmac('sha256', accessKeySecret).update(stringToSign, 'utf8').digest();
    if (!timingSafeEqual(expected, Buffer.from(given, 'hex')))
      return {
        status: 400,
        code: 'SignatureDoesNotMatch',
        message: `Specified signature does not match our calculation. server string to sign is:${stringToSign}`,
      };
    const date = String(h['x-acs-date'] ?? '');
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(date))
      return {
        status: 400,
        code: 'InvalidTimeStamp.Format',
        message: 'Specified time stamp or date value is not well formatted.',
      };
    if (Math.abs(Date.parse(date) - now()) > DATE_WINDOW_MS)
      return {
        status: 400,
        code: 'InvalidTimeStamp.Expired',
        message: 'Specified time stamp or date value is expired.',
      };
    const nonce = String(h['x-acs-signature-nonce']);
    if (nonces.has(nonce))
      return { status: 400, code: 'SignatureNonceUsed', message: 'Specified signature nonce was used already.' };
    nonces.add(nonce);
    if (path !== '/' || !ACTIONS.has(String(h['x-acs-action'])) || h['x-acs-version'] !== '2017-05-25')
      return {
        status: 404,
        code: 'InvalidApi.NotFound',
        message: 'Specified api is not found, please check your url and method.',
      };
    return null;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    /** What the next requests (that pass the signature check) are answered with. */
    answerWith(next: FakeAliyunAnswer): void {
      answer = next;
    },
    /** Stops listening and drops open (kept-alive) connections. */
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type FakeAliyunGateway = Awaited<ReturnType<typeof startFakeAliyunGateway>>;

function reply(res: ServerResponse, answer: FakeAliyunAnswer, requestId: string, action: string): void {
  switch (answer.kind) {
    case 'ok': {
      const id = action === 'SendSms' ? { BizId: `${requestId}^0` } : { CallId: `${requestId}^100` };
      send(res, 200, { Code: 'OK', Message: 'OK', RequestId: requestId, ...id });
      return;
    }
    case 'error':
      send(
        res,
        answer.status ?? 200,
        { Code: answer.code, Message: answer.message, RequestId: requestId },
        answer.headers,
      );
      return;
    case 'status':
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      return;
    case 'garbage':
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
      return;
    case 'hang':
      return;
    default: {
      const never: never = answer;
      throw new Error(`unknown answer ${JSON.stringify(never)}`);
    }
  }
}

function gatewayError(requestId: string, host: string | undefined, code: string, message: string) {
  return {
    RequestId: requestId,
    HostId: host ?? '',
    Code: code,
    Message: message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${code}`,
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...headers }).end(JSON.stringify(body));
}

/** The raw query decoded: `+` is taken literally (RFC 3986), `%XY` as UTF-8; null when malformed. */
function decodeQuery(url: string): Record<string, string> | null {
  try {
    return decodePairs(url);
  } catch {
    return null;
  }
}

function decodePairs(url: string): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    out[name] = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
  }
  return out;
}

/** Unreserved A–Z a–z 0–9 - _ . ~ as they are; every other UTF-8 byte as %XY. */
function rfc3986(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function headerValue(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : (v ?? '');
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
