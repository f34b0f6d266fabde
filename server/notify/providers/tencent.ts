import {
  DEFAULT_TIMEOUT_MS,
  checkHttpUrl,
  checkTimeoutMs,
  classifyStatus,
  httpFailure,
  postJson,
  snippet,
} from '../http.js';
import type { SendResult } from '../types.js';
import { classifyTencentCode } from './tencent-errors.js';
import { signTencentRequest } from './tencent-sign.js';
import { mainlandMobile, maskPhone } from './phone.js';

/**
 * Tencent Cloud SMS (`SendSms`, API 2021-01-11) and voice messages (`SendTtsVoice`, VMS API
 * 2020-09-02): a small signed client on node:crypto and fetch instead of tencentcloud-sdk-nodejs
 * (every product of Tencent Cloud in one package, with axios). Not yet a Channel: the lead wires
 * these into per-person delivery.
 *
 * Documentation followed:
 *   https://cloud.tencent.com/document/api/382/55981   SendSms (2021-01-11): PhoneNumberSet (E.164,
 *     +86…), SmsSdkAppId, TemplateId, SignName, TemplateParamSet; the answer's SendStatusSet has a
 *     Code per number, "Ok" when accepted; Region required (default here ap-guangzhou)
 *   https://cloud.tencent.com/document/api/1128/51558  SendTtsVoice (2020-09-02): TemplateId,
 *     CalledNumber (E.164), VoiceSdkAppid, TemplateParamSet (≤ 350 characters of speech in all),
 *     PlayTimes (1–3, default 2); the answer's SendStatus.CallId names the call for later callbacks
 *   signing: see tencent-sign.ts; error codes: see tencent-errors.ts
 *
 * Every answer is HTTP 200 with `{"Response":{…,"RequestId"}}`; a failure carries
 * `Response.Error.{Code,Message}`. A SendSms whose request was fine may still refuse the number:
 * that refusal is the Code of its SendStatusSet entry (e.g. LimitExceeded.PhoneNumberThirtySecondLimit).
 *
 * The endpoint may point at a test server or a private gateway; the Host header is signed, so a
 * gateway must forward the request unchanged, Host included. The endpoint's path is not signed
 * (API 3.0 signs `/`), so a gateway may route on it.
 */

export const TENCENT_SMS = {
  endpoint: 'https://sms.tencentcloudapi.com/',
  service: 'sms',
  version: '2021-01-11',
  action: 'SendSms',
} as const;
export const TENCENT_VOICE = {
  endpoint: 'https://vms.tencentcloudapi.com/',
  service: 'vms',
  version: '2020-09-02',
  action: 'SendTtsVoice',
} as const;
export const TENCENT_DEFAULT_REGION = 'ap-guangzhou';
/** SendTtsVoice: "语音消息的内容长度不超过350字". Ours are far shorter; a longer one is our bug. */
const VOICE_PARAMS_MAX_CHARS = 350;

/** A SendResult with Tencent's ids when it gave them (RequestId for support; SerialNo or CallId). */
export type TencentSendResult = SendResult & { requestId?: string; ref?: string };

type CommonOptions = {
  secretId: string;
  secretKey: string;
  /** Default ap-guangzhou. */
  region?: string;
  /** Default the product's documented endpoint; tests and private gateways point it elsewhere. */
  endpoint?: string;
  timeoutMs?: number;
  /** Epoch milliseconds; tests pass their own. */
  now?: () => number;
};

export type TencentSmsOptions = CommonOptions & { smsSdkAppId: string };
export type TencentVoiceOptions = CommonOptions & { voiceSdkAppId: string };

export type TencentSmsRequest = {
  /** Mainland China mobile, with or without +86. */
  phone: string;
  /** The approved sign name (签名), e.g. 彩带之约. */
  signName: string;
  /** The approved template's id (digits). */
  templateId: string;
  /** The template's {1}, {2}, … in order. */
  params: readonly string[];
  /** Echoed back by Tencent and in delivery receipts: our own id for the message. */
  sessionContext?: string;
};

export type TencentCallRequest = {
  phone: string;
  templateId: string;
  params: readonly string[];
  /** How often the text is spoken in the call: 1–3, Tencent's default 2. */
  playTimes?: 1 | 2 | 3;
  sessionContext?: string;
};

export interface TencentSms {
  /** Never throws for delivery problems: every outcome is a TencentSendResult. */
  sendSms(request: TencentSmsRequest, signal?: AbortSignal): Promise<TencentSendResult>;
}

export interface TencentVoice {
  /** Never throws for delivery problems: every outcome is a TencentSendResult. */
  call(request: TencentCallRequest, signal?: AbortSignal): Promise<TencentSendResult>;
}

export function createTencentSms(options: TencentSmsOptions): TencentSms {
  const smsSdkAppId = checkSdkAppId(options.smsSdkAppId, 'smsSdkAppId');
  const post = createTencentPoster(TENCENT_SMS, options);
  return {
    async sendSms(request, signal) {
      const refused = checkCommon(request) ?? checkSignName(request.signName);
      if (refused !== null) return refused;
      const body = {
        PhoneNumberSet: [`+86${mainlandMobile(request.phone) as string}`],
        SmsSdkAppId: smsSdkAppId,
        TemplateId: request.templateId,
        SignName: request.signName,
        TemplateParamSet: [...request.params],
        ...(request.sessionContext === undefined ? {} : { SessionContext: request.sessionContext }),
      };
      const answer = await post(body, signal);
      if (answer.type === 'failed') return answer.result;
      const status = first(answer.response['SendStatusSet']);
      const code = status?.['Code'];
      if (status === undefined || typeof code !== 'string')
        return answer.garbage('answer has no SendStatusSet entry with a Code');
      if (code === 'Ok') return answer.ok(str(status['SerialNo']));
      return answer.refused(code, str(status['Message']) ?? '');
    },
  };
}

export function createTencentVoice(options: TencentVoiceOptions): TencentVoice {
  const voiceSdkAppId = checkSdkAppId(options.voiceSdkAppId, 'voiceSdkAppId');
  const post = createTencentPoster(TENCENT_VOICE, options);
  return {
    async call(request, signal) {
      const refused = checkCommon(request) ?? checkVoice(request);
      if (refused !== null) return refused;
      const body = {
        TemplateId: request.templateId,
        CalledNumber: `+86${mainlandMobile(request.phone) as string}`,
        VoiceSdkAppid: voiceSdkAppId,
        TemplateParamSet: [...request.params],
        ...(request.playTimes === undefined ? {} : { PlayTimes: request.playTimes }),
        ...(request.sessionContext === undefined ? {} : { SessionContext: request.sessionContext }),
      };
      const answer = await post(body, signal);
      if (answer.type === 'failed') return answer.result;
      const sendStatus = answer.response['SendStatus'];
      const callId = isRecord(sendStatus) ? str(sendStatus['CallId']) : undefined;
      if (callId === undefined || callId === '') return answer.garbage('answer has no SendStatus.CallId');
      return answer.ok(callId);
    },
  };
}

type Product = typeof TENCENT_SMS | typeof TENCENT_VOICE;

type Answer =
  | { type: 'failed'; result: TencentSendResult }
  | {
      type: 'answer';
      response: Record<string, unknown>;
      ok: (ref: string | undefined) => TencentSendResult;
      refused: (code: string, message: string) => TencentSendResult;
      garbage: (what: string) => TencentSendResult;
    };

/**
 * Signs and posts one request, and sorts the answer into a failure result (network, HTTP status,
 * not JSON, no Response, Response.Error) or a Response for the caller to read.
 */
function createTencentPoster(product: Product, options: CommonOptions) {
  const {
    secretId,
    secretKey,
    region = TENCENT_DEFAULT_REGION,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    now = Date.now,
  } = options;
  const endpoint = options.endpoint ?? product.endpoint;
  const url = checkHttpUrl(endpoint, `Tencent ${product.service} endpoint`);
  if (url.search !== '' || url.hash !== '') throw new TypeError('Tencent endpoint must not have a query or fragment');
  checkTimeoutMs(timeoutMs);
  // The id goes into `Credential=<id>/<scope>`: a slash, comma or space in it would break the header.
  if (!/^[A-Za-z0-9_-]+$/.test(secretId)) throw new TypeError('Tencent secretId must be letters and digits (AKID…)');
  if (secretKey.length === 0 || /\s/.test(secretKey))
    throw new TypeError('Tencent secretKey must be non-empty, without spaces');
  if (!/^[a-z]+(?:-[a-z]+)+(?:-\d+)?$/.test(region)) throw new TypeError(`Tencent region is not valid: ${region}`);
  // Secrets never leave in an error: Tencent's messages and a proxy's pages are passed on as text.
  const clean = (text: string): string => text.split(secretKey).join('<secretKey>').split(secretId).join('<secretId>');

  return async (body: Record<string, unknown>, signal?: AbortSignal): Promise<Answer> => {
    const payload = JSON.stringify(body);
    const signed = signTencentRequest({
      secretId,
      secretKey,
      service: product.service,
      host: url.host,
      action: product.action,
      version: product.version,
      region,
      timestamp: Math.floor(now() / 1000),
      payload,
    });
    const outcome = await postJson({ url: url.href, body: payload, headers: signed.headers, timeoutMs, signal });
    const fail = (result: SendResult, requestId?: string): Answer => {
      const cleaned = result.ok ? result : { ...result, error: clean(result.error) };
      return { type: 'failed', result: requestId === undefined ? cleaned : { ...cleaned, requestId } };
    };
    if (outcome.type === 'failed') return fail({ ok: false, permanent: false, error: outcome.error });
    const { status } = outcome;
    if (classifyStatus(status) !== 'ok') return fail(httpFailure(status, outcome.headers, outcome.body, now()));
    let parsed: unknown;
    try {
      parsed = JSON.parse(outcome.body);
    } catch {
      // A proxy's or captive portal's page, or a cut-off answer: Tencent itself may be fine.
      return fail({ ok: false, permanent: false, status, error: `answer is not JSON: ${snippet(outcome.body)}` });
    }
    const response = isRecord(parsed) ? parsed['Response'] : undefined;
    if (!isRecord(response))
      return fail({ ok: false, permanent: false, status, error: `answer has no Response: ${snippet(outcome.body)}` });
    const requestId = str(response['RequestId']);
    const refused = (code: string, message: string): TencentSendResult => {
      const c = classifyTencentCode(code, now());
      const text = `${code} (${c.meaning})${message === '' ? '' : `: ${snippet(message)}`}`;
      const result: SendResult =
        c.permanent || c.retryAfterMs === undefined
          ? { ok: false, permanent: c.permanent, status, error: clean(text) }
          : { ok: false, permanent: false, status, error: clean(text), retryAfterMs: c.retryAfterMs };
      return requestId === undefined ? result : { ...result, requestId };
    };
    const error = response['Error'];
    if (error !== undefined) {
      const code = isRecord(error) ? str(error['Code']) : undefined;
      if (code === undefined)
        return fail({ ok: false, permanent: false, status, error: 'answer has an Error without Code' });
      return { type: 'failed', result: refused(code, isRecord(error) ? (str(error['Message']) ?? '') : '') };
    }
    return {
      type: 'answer',
      response,
      ok: (ref) => ({
        ok: true,
        status,
        ...(requestId === undefined ? {} : { requestId }),
        ...(ref === undefined ? {} : { ref }),
      }),
      refused,
      garbage: (what) => {
        const result: SendResult = {
          ok: false,
          permanent: false,
          status,
          error: clean(`${what}: ${snippet(outcome.body)}`),
        };
        return requestId === undefined ? result : { ...result, requestId };
      },
    };
  };
}

/** Input the provider would refuse every time: a permanent failure without a request. */
function refuse(error: string): TencentSendResult {
  return { ok: false, permanent: true, error };
}

function checkCommon(request: {
  phone: string;
  templateId: string;
  params: readonly string[];
}): TencentSendResult | null {
  if (mainlandMobile(request.phone) === null)
    return refuse(`not a mainland China mobile number: ${maskPhone(request.phone)}`);
  if (!/^\d{1,20}$/.test(request.templateId)) return refuse('templateId must be the approved template id (digits)');
  if (!Array.isArray(request.params) || request.params.some((p) => typeof p !== 'string'))
    return refuse('template params must be strings');
  return null;
}

function checkSignName(signName: string): TencentSendResult | null {
  // Mainland SMS needs an approved sign name: 2–12 characters per Tencent's review rules.
  const length = [...signName.trim()].length;
  return length >= 2 && length <= 12 ? null : refuse('signName must be the approved sign name (2–12 characters)');
}

function checkVoice(request: TencentCallRequest): TencentSendResult | null {
  if (request.playTimes !== undefined && ![1, 2, 3].includes(request.playTimes))
    return refuse('playTimes must be 1, 2 or 3');
  const chars = request.params.reduce((n, p) => n + [...p].length, 0);
  return chars <= VOICE_PARAMS_MAX_CHARS
    ? null
    : refuse(`voice template params are ${chars} characters, Tencent allows ${VOICE_PARAMS_MAX_CHARS}`);
}

function checkSdkAppId(value: string, what: string): string {
  if (!/^\d{5,20}$/.test(value)) throw new TypeError(`Tencent ${what} must be the application's SdkAppId (digits)`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function first(value: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(value)) return undefined;
  const head: unknown = value[0];
  return isRecord(head) ? head : undefined;
}
