import { randomUUID } from 'node:crypto';
import { DEFAULT_TIMEOUT_MS, checkHttpUrl, checkTimeoutMs, parseRetryAfter, postJson, snippet } from '../http.js';
import type { SendResult } from '../types.js';
import { classifyAliyunCode } from './aliyun-codes.js';
import { acsDate, signAcs3 } from './aliyun-sign.js';
import { mainlandMobile, maskPhone } from './phone.js';

/**
 * Alibaba Cloud (阿里云) SMS and voice notifications, a small signed client on global fetch.
 *
 * - SMS: `SendSms`, Dysmsapi 2017-05-25, default endpoint https://dysmsapi.aliyuncs.com
 *   (https://help.aliyun.com/document_detail/55284.html, English:
 *   https://help.aliyun.com/en/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms):
 *   PhoneNumbers, SignName, TemplateCode, TemplateParam (a JSON object of the template's
 *   variables), OutId. Answer: {"Code":"OK","Message":"OK","BizId":…,"RequestId":…}. SendSms is
 *   not idempotent: after a timeout the outbox's retry may send a second SMS, which for an alarm
 *   is better than none.
 * - Voice: `SingleCallByTts`, Dyvmsapi 2017-05-25, default endpoint https://dyvmsapi.aliyuncs.com
 *   (https://help.aliyun.com/document_detail/393519.html): CalledNumber, TtsCode, TtsParam,
 *   CalledShowNumber (left out: public-number mode; a real number or service-instance ID:
 *   dedicated mode), PlayTimes 1–3, Volume 0–100, Speed −500…500, OutId. Answer:
 *   {"Code":"OK","Message":"OK","CallId":…,"RequestId":…}. Whether the call was answered is
 *   not in this answer: it comes later by CallId (call-record callback or QueryCallDetailByCallId).
 * - Both are RPC-style APIs whose parameters are "in": "query": POST /?<sorted, encoded
 *   parameters>, empty body, signed with signature V3 (ACS3-HMAC-SHA256, see aliyun-sign.ts).
 *
 * Why V3 and not the older HMAC-SHA1 `Signature` parameter (SignatureVersion 1.0): Alibaba
 * Cloud's page for that mechanism ("V2版本RPC风格请求体&签名机制",
 * https://help.aliyun.com/document_detail/157269.html; English:
 * https://help.aliyun.com/en/sdk/product-overview/rpc-mechanism) now says it is no longer
 * recommended (the English page: discontinued) and points to V3, which the V3 page says every
 * API of OpenAPI Explorer's products supports (Dysmsapi and Dyvmsapi are among them). The SMS product's own older signing page
 * (https://help.aliyun.com/document_detail/101343.html) still shows the SHA1 scheme; both are
 * accepted by the same gateway, V3 is the one documented going forward.
 *
 * Answers: HTTP 200 with Code "OK" is delivered; any other Code is classified by
 * classifyAliyunCode (aliyun-codes.ts); a gateway refusal comes with 4xx/5xx and the same JSON
 * shape ({RequestId, HostId, Code, Message, Recommend}). Anything else — no JSON, no Code — is
 * a transient failure. The AccessKey secret is never put into an error text.
 */

export const ALIYUN_SMS_ENDPOINT = 'https://dysmsapi.aliyuncs.com';
export const ALIYUN_VOICE_ENDPOINT = 'https://dyvmsapi.aliyuncs.com';
export const ALIYUN_API_VERSION = '2017-05-25';

export type AliyunClientOptions = {
  accessKeyId: string;
  accessKeySecret: string;
  /** Scheme and host (and port) only; tests and private gateways point it elsewhere. */
  endpoint?: string;
  timeoutMs?: number;
  /** Epoch milliseconds: signs x-acs-date. */
  now?: () => number;
  /** x-acs-signature-nonce: fresh for every attempt (the gateway refuses a repeated one). */
  nonce?: () => string;
};

/** Success carries the provider's id (BizId for SMS, CallId for a call) for receipts later. */
export type AliyunSendResult = SendResult & { providerId?: string; requestId?: string };

export type AliyunSmsRequest = {
  phone: string;
  /** The approved sign name (短信签名), without 【】. */
  signName: string;
  /** The approved template's code, e.g. SMS_123456789. */
  templateCode: string;
  /** The template's variables. */
  params?: Readonly<Record<string, string>>;
  /** Ours, echoed in receipts (e.g. the outbox row id). */
  outId?: string;
};

export type AliyunCallRequest = {
  phone: string;
  /** The approved text-to-speech template, e.g. TTS_123456789. */
  ttsCode: string;
  params?: Readonly<Record<string, string>>;
  /** Caller number shown (dedicated mode); left out for public mode. */
  calledShowNumber?: string;
  playTimes?: number;
  volume?: number;
  speed?: number;
  outId?: string;
};

export interface AliyunSms {
  sendSms(request: AliyunSmsRequest, signal?: AbortSignal): Promise<AliyunSendResult>;
}
export interface AliyunVoice {
  call(request: AliyunCallRequest, signal?: AbortSignal): Promise<AliyunSendResult>;
}

export function createAliyunSms(options: AliyunClientOptions): AliyunSms {
  const send = createRpcSender(options, ALIYUN_SMS_ENDPOINT);
  return {
    async sendSms(request, signal) {
      const phone = mainlandMobile(request.phone);
      if (phone === null) return refuse(`SendSms: not a mainland mobile number: ${maskPhone(request.phone)}`);
      if (request.signName.trim() === '') return refuse('SendSms: signName is empty');
      if (request.templateCode.trim() === '') return refuse('SendSms: templateCode is empty');
      const query: Record<string, string> = {
        PhoneNumbers: phone,
        SignName: request.signName,
        TemplateCode: request.templateCode,
      };
      if (request.params !== undefined) query['TemplateParam'] = JSON.stringify(request.params);
      if (request.outId !== undefined) query['OutId'] = request.outId;
      return send('SendSms', query, 'BizId', signal);
    },
  };
}

export function createAliyunVoice(options: AliyunClientOptions): AliyunVoice {
  const send = createRpcSender(options, ALIYUN_VOICE_ENDPOINT);
  return {
    async call(request, signal) {
      const phone = mainlandMobile(request.phone);
      if (phone === null) return refuse(`SingleCallByTts: not a mainland mobile number: ${maskPhone(request.phone)}`);
      if (request.ttsCode.trim() === '') return refuse('SingleCallByTts: ttsCode is empty');
      const bad = checkRange('playTimes', request.playTimes, 1, 3) ?? checkRange('volume', request.volume, 0, 100);
      const badSpeed = bad ?? checkRange('speed', request.speed, -500, 500);
      if (badSpeed !== null) return refuse(`SingleCallByTts: ${badSpeed}`);
      const query: Record<string, string> = { CalledNumber: phone, TtsCode: request.ttsCode };
      if (request.params !== undefined) query['TtsParam'] = JSON.stringify(request.params);
      if (request.calledShowNumber !== undefined) query['CalledShowNumber'] = request.calledShowNumber;
      if (request.playTimes !== undefined) query['PlayTimes'] = String(request.playTimes);
      if (request.volume !== undefined) query['Volume'] = String(request.volume);
      if (request.speed !== undefined) query['Speed'] = String(request.speed);
      if (request.outId !== undefined) query['OutId'] = request.outId;
      return send('SingleCallByTts', query, 'CallId', signal);
    },
  };
}

type RpcSender = (
  action: string,
  query: Record<string, string>,
  idField: 'BizId' | 'CallId',
  signal: AbortSignal | undefined,
) => Promise<AliyunSendResult>;

function createRpcSender(options: AliyunClientOptions, defaultEndpoint: string): RpcSender {
  const { accessKeyId, accessKeySecret, timeoutMs = DEFAULT_TIMEOUT_MS, now = Date.now, nonce = randomUUID } = options;
  const endpoint = checkHttpUrl(options.endpoint ?? defaultEndpoint, 'Alibaba Cloud endpoint');
  if (endpoint.pathname !== '/' || endpoint.search !== '' || endpoint.hash !== '')
    throw new TypeError('Alibaba Cloud endpoint must be a scheme and host only (RPC APIs are called at /)');
  checkTimeoutMs(timeoutMs);
  if (accessKeyId.trim() === '') throw new TypeError('Alibaba Cloud accessKeyId must not be empty');
  if (accessKeySecret.trim() === '') throw new TypeError('Alibaba Cloud accessKeySecret must not be empty');
  const hide = (text: string): string => text.split(accessKeySecret).join('<secret>');

  return async (action, query, idField, signal) => {
    const signed = signAcs3({
      method: 'POST',
      host: endpoint.host,
      action,
      version: ALIYUN_API_VERSION,
      query,
      body: '',
      // postJson always sends a content-type; whatever is sent must be signed.
      contentType: 'application/x-www-form-urlencoded',
      date: acsDate(now()),
      nonce: nonce(),
      accessKeyId,
      accessKeySecret,
    });
    const outcome = await postJson({
      url: `${endpoint.origin}/?${signed.queryString}`,
      body: '',
      headers: { ...signed.headers, accept: 'application/json' },
      timeoutMs,
      signal,
    });
    if (outcome.type === 'failed') return { ok: false, permanent: false, error: hide(`${action}: ${outcome.error}`) };
    const result = readAnswer(action, outcome.status, outcome.body, idField);
    if (result.ok || result.permanent || result.retryAfterMs !== undefined) return hideIn(result, hide);
    // A gateway throttle or a 503 may say when to come back.
    const retryAfterMs = parseRetryAfter(outcome.headers.get('retry-after'), now());
    return hideIn(retryAfterMs === null ? result : { ...result, retryAfterMs }, hide);
  };
}

function readAnswer(action: string, status: number, body: string, idField: 'BizId' | 'CallId'): AliyunSendResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // A proxy's page or a cut-off answer: the provider itself may be fine.
    return {
      ok: false,
      permanent: false,
      status,
      error: `${action}: HTTP ${status}, answer is not JSON: ${snippet(body)}`,
    };
  }
  const answer = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const code = answer['Code'];
  const requestId = typeof answer['RequestId'] === 'string' ? answer['RequestId'] : undefined;
  const ids = requestId === undefined ? {} : { requestId };
  if (typeof code !== 'string') {
    return {
      ok: false,
      permanent: false,
      status,
      error: `${action}: HTTP ${status}, answer has no Code: ${snippet(body)}`,
    };
  }
  if (code === 'OK' && status >= 200 && status < 300) {
    const id = answer[idField];
    return typeof id === 'string' ? { ok: true, status, providerId: id, ...ids } : { ok: true, status, ...ids };
  }
  const c = classifyAliyunCode(code, status);
  const message = typeof answer['Message'] === 'string' ? `: ${snippet(answer['Message'])}` : '';
  const tail = requestId === undefined ? '' : ` [RequestId ${requestId}]`;
  const error = `${action}: ${code} (${c.meaning})${message} (HTTP ${status})${tail}`;
  return c.retryAfterMs === undefined || c.permanent
    ? { ok: false, permanent: c.permanent, status, error, ...ids }
    : { ok: false, permanent: false, status, error, retryAfterMs: c.retryAfterMs, ...ids };
}

function hideIn(result: AliyunSendResult, hide: (text: string) => string): AliyunSendResult {
  return result.ok ? result : { ...result, error: hide(result.error) };
}

function refuse(error: string): AliyunSendResult {
  return { ok: false, permanent: true, error };
}

function checkRange(name: string, value: number | undefined, min: number, max: number): string | null {
  if (value === undefined) return null;
  return Number.isInteger(value) && value >= min && value <= max ? null : `${name} must be an integer ${min}…${max}`;
}
