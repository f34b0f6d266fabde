import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './tools.js';

/**
 * A fake Tencent Cloud API 3.0 endpoint on 127.0.0.1 for SendSms (service sms) or SendTtsVoice
 * (service vms). It checks every request the way Tencent documents (签名方法 v3,
 * https://cloud.tencent.com/document/api/213/30654), recomputed here from the bytes received with
 * its own node:crypto code, not with the client's signer:
 * - Authorization `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=…,
 *   Signature=<64 hex>`, else AuthFailure.InvalidAuthorization;
 * - the SecretId known, else AuthFailure.SecretIdNotFound;
 * - X-TC-Timestamp within 5 minutes of the fake's clock, else AuthFailure.SignatureExpire;
 * - date = the UTC date of the timestamp, service = ours, content-type and host among the signed
 *   headers, and the signature over the received headers and raw body, else
 *   AuthFailure.SignatureFailure;
 * - X-TC-Action and X-TC-Version this API's, X-TC-Region present.
 * Refusals are Tencent's shape: HTTP 200, `{"Response":{"Error":{"Code","Message"},"RequestId"}}`.
 * Then it answers as told (`answer`) and records what it got.
 */

export type FakeTencentAnswer =
  | { kind: 'ok' }
  /** Response.Error with this code (e.g. FailedOperation.TemplateIncorrectOrUnapproved, RequestLimitExceeded). */
  | { kind: 'error'; code: string; message?: string }
  /** SendSms only: the request is fine, the number's SendStatusSet entry carries this Code. */
  | { kind: 'send-status'; code: string; message?: string }
  | { kind: 'http'; status: number; body?: string }
  | { kind: 'garbage'; body?: string }
  | { kind: 'hang' };

export type FakeTencentRequest = {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  /** null when the signature checks passed, else the error Code the fake answered with. */
  refused: string | null;
  action: string;
  region: string;
  body: Record<string, unknown> | null;
  /** PhoneNumberSet[0] (SMS) or CalledNumber (voice). */
  phone: string | null;
  template: string | null;
  params: string[] | null;
  signName: string | null;
};

export type FakeTencentOptions = {
  service: 'sms' | 'vms';
  secretId: string;
  secretKey: string;
  answer?: FakeTencentAnswer;
  /** The fake's clock, epoch ms. */
  now?: () => number;
};

const API = {
  sms: { action: 'SendSms', version: '2021-01-11' },
  vms: { action: 'SendTtsVoice', version: '2020-09-02' },
} as const;
const AUTHORIZATION =
  /^TC3-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{4}-\d{2}-\d{2})\/([a-z]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

export async function startFakeTencent(options: FakeTencentOptions) {
  const { service, secretId, secretKey, now = Date.now } = options;
  let answer: FakeTencentAnswer = options.answer ?? { kind: 'ok' };
  const received: FakeTencentRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const refused = verify(req.method ?? '', req.url ?? '', req.headers, raw);
      let body: Record<string, unknown> | null = null;
      try {
        const parsed: unknown = JSON.parse(raw.toString('utf8'));
        if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
      } catch {
        body = null;
      }
      received.push({ headers: req.headers, raw, refused: refused?.code ?? null, ...describe(req.headers, body) });
      if (refused === null) respond(res, answer);
      else tencentJson(res, { Error: { Code: refused.Code, Message: refused.Message } });
    });
  });

  function verify(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    raw: Buffer,
  ): { Code: string; Message: string; code: string } | null {
    const refuse = (code: string, message: string) => ({ Code: code, Message: message, code });
    const match = AUTHORIZATION.exec(header(headers, 'authorization'));
    if (match === null) return refuse('AuthFailure.InvalidAuthorization', 'Authorization is not TC3-HMAC-SHA256.');
    const [, id, date, scopeService, signedList, signature] = match as unknown as string[];
    if (id !== secretId) return refuse('AuthFailure.SecretIdNotFound', 'The SecretId is not found.');
    const timestamp = Number(header(headers, 'x-tc-timestamp'));
    if (!Number.isInteger(timestamp) || Math.abs(now() / 1000 - timestamp) > 300)
      return refuse('AuthFailure.SignatureExpire', 'Signature expired, timestamp differs by more than 5 minutes.');
    const signed = (signedList ?? '').split(';');
    const scopeOk =
      date === new Date(timestamp * 1000).toISOString().slice(0, 10) &&
      scopeService === service &&
      signed.includes('content-type') &&
      signed.includes('host') &&
      [...signed].sort().join(';') === signedList;
    const canonicalHeaders = signed.map((name) => `${name}:${header(headers, name).trim().toLowerCase()}\n`).join('');
    const canonicalRequest = [
      method,
      '/',
      path.includes('?') ? path.slice(path.indexOf('?') + 1) : '',
      canonicalHeaders,
      signedList,
      createHash('sha256').update(raw).digest('hex'),
    ].join('\n');
    const toSign = [
      'TC3-HMAC-SHA256',
      String(timestamp),
      `${date}/${scopeService}/tc3_request`,
      createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
    ].join('\n');
    const kDate = createHmac('sha256', `TC3${secretKey}`)
      .update(date ?? '')
      .digest();
    const kService = createHmac('sha256', kDate).update(scopeService!).digest();
    const kSigning = createHmac('sha256', kService).update('tc3_request').digest();
    const expected = createHmac('sha256', kSigning).update(toSign, 'utf8').digest();
    if (!scopeOk || !timingSafeEqual(expected, Buffer.from(signature ?? '', 'hex')))
      return refuse('AuthFailure.SignatureFailure', 'The provided credentials could not be validated.');
    if (header(headers, 'x-tc-action') !== API[service].action)
      return refuse('InvalidAction', `Action ${header(headers, 'x-tc-action')} does not exist.`);
    if (header(headers, 'x-tc-version') !== API[service].version)
      return refuse('NoSuchVersion', 'The API version does not exist.');
    if (header(headers, 'x-tc-region') === '') return refuse('MissingParameter', 'Region is required.');
    return null;
  }

  function describe(headers: IncomingHttpHeaders, body: Record<string, unknown> | null) {
    const strings = (v: unknown): string[] | null =>
      Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
    const s = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    return {
      action: header(headers, 'x-tc-action'),
      region: header(headers, 'x-tc-region'),
      body,
      phone: service === 'sms' ? (strings(body?.['PhoneNumberSet'])?.[0] ?? null) : s(body?.['CalledNumber']),
      template: s(body?.['TemplateId']),
      params: strings(body?.['TemplateParamSet']),
      signName: s(body?.['SignName']),
    };
  }

  function respond(res: ServerResponse, a: FakeTencentAnswer): void {
    const last = received[received.length - 1];
    switch (a.kind) {
      case 'ok':
        tencentJson(res, service === 'sms' ? smsStatus(last, 'Ok', 'send success') : voiceStatus());
        return;
      case 'error':
        tencentJson(res, { Error: { Code: a.code, Message: a.message ?? `${a.code} (fake)` } });
        return;
      case 'send-status':
        tencentJson(res, smsStatus(last, a.code, a.message ?? `${a.code} (fake)`));
        return;
      case 'http':
        res.writeHead(a.status, { 'content-type': 'text/plain' }).end(a.body ?? 'upstream error');
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'text/html' }).end(a.body ?? '<html>portal login</html>');
        return;
      case 'hang':
        return; // closed when the test ends
      default: {
        const never: never = a;
        throw new Error(`unknown answer ${String(never)}`);
      }
    }
  }

  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    received,
    /** What the next requests get (after the signature checks, which always come first). */
    setAnswer(next: FakeTencentAnswer): void {
      answer = next;
    },
  };
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : (v ?? '');
}

function tencentJson(res: ServerResponse, response: Record<string, unknown>): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ Response: { ...response, RequestId: randomUUID() } }));
}

function smsStatus(req: FakeTencentRequest | undefined, code: string, message: string): Record<string, unknown> {
  return {
    SendStatusSet: [
      {
        SerialNo: `5000:${Date.now()}${Math.floor(Math.random() * 1e6)}`,
        PhoneNumber: req?.phone ?? '',
        Fee: code === 'Ok' ? 1 : 0,
        SessionContext: typeof req?.body?.['SessionContext'] === 'string' ? req.body['SessionContext'] : '',
        Code: code,
        Message: message,
        IsoCode: 'CN',
      },
    ],
  };
}

function voiceStatus(): Record<string, unknown> {
  return { SendStatus: { CallId: randomUUID(), SessionContext: '' } };
}
