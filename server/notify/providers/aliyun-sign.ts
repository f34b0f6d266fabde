import { createHash, createHmac } from 'node:crypto';

/**
 * Alibaba Cloud's signature V3 (ACS3-HMAC-SHA256), as "V3版本请求体&签名机制" documents it
 * (https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature, English:
 * https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature):
 *
 *   CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n
 *                      SignedHeaders \n HashedRequestPayload
 *   StringToSign     = "ACS3-HMAC-SHA256" \n hex(sha256(CanonicalRequest))
 *   Signature        = hex(hmac-sha256(AccessKeySecret, StringToSign))
 *   Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<…>,Signature=<…>
 *
 * - CanonicalURI is `/` for RPC-style APIs (SendSms and SingleCallByTts are RPC-style).
 * - CanonicalQueryString: the "in": "query" parameters sorted by name, name and value each
 *   percent-encoded (RFC 3986: A–Z a–z 0–9 - _ . ~ kept, everything else as UTF-8 %XY, so a
 *   space is %20, `*` is %2A and `~` stays), joined as name=value with `&`.
 * - CanonicalHeaders: every header named host, content-type or x-acs-*, names lower-cased and
 *   sorted, values trimmed, each `name:value\n`; SignedHeaders is those names joined by `;`.
 *   Every such header sent must be signed.
 * - HashedRequestPayload: hex(sha256(body)); also sent as x-acs-content-sha256.
 *
 * Pure: the date and nonce are parameters, so the unit test can check the documentation's own
 * fixed example.
 */

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';
/** hex(sha256("")): the payload hash of a request without a body. */
export const EMPTY_PAYLOAD_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** RFC 3986 percent-encoding as the V3 (and the older RPC) signature uses it. */
export function acsPercentEncode(value: string): string {
  // encodeURIComponent already writes UTF-8 %XY and %20 for a space; it leaves ! ' ( ) *
  // alone, which RFC 3986 (and Alibaba's table: `*` → %2A) encodes.
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The query parameters sorted by name and encoded: both the canonical form and what we send. */
export function acsCanonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort()
    .map((name) => `${acsPercentEncode(name)}=${acsPercentEncode(params[name] ?? '')}`)
    .join('&');
}

export function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

export type Acs3Request = {
  method: 'GET' | 'POST';
  /** The host as the request's Host header carries it (with a port when not the default). */
  host: string;
  action: string;
  version: string;
  query: Readonly<Record<string, string>>;
  /** The raw body; '' for none. */
  body: string;
  /** Sent (and so signed) when set. */
  contentType?: string;
  /** ISO 8601 UTC without milliseconds: 2023-10-26T10:22:32Z. */
  date: string;
  nonce: string;
  accessKeyId: string;
  accessKeySecret: string;
};

export type Acs3Signed = {
  /** The encoded query string to put after `/?`. */
  queryString: string;
  /** Every header to send, Authorization included (names lower-case). */
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
};

export function signAcs3(request: Acs3Request): Acs3Signed {
  const payloadHash = request.body === '' ? EMPTY_PAYLOAD_SHA256 : sha256Hex(request.body);
  const signedSet: Record<string, string> = {
    host: request.host,
    'x-acs-action': request.action,
    'x-acs-content-sha256': payloadHash,
    'x-acs-date': request.date,
    'x-acs-signature-nonce': request.nonce,
    'x-acs-version': request.version,
  };
  if (request.contentType !== undefined) signedSet['content-type'] = request.contentType;
  const names = Object.keys(signedSet).sort();
  const canonicalHeaders = names.map((n) => `${n}:${(signedSet[n] ?? '').trim()}\n`).join('');
  const signedHeaders = names.join(';');
  const queryString = acsCanonicalQuery(request.query);
  const canonicalRequest = [request.method, '/', queryString, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const stringToSign = `${ACS3_ALGORITHM}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', request.accessKeySecret).update(stringToSign, 'utf8').digest('hex');
  const { host: _host, ...sent } = signedSet;
  return {
    queryString,
    // fetch sets Host itself from the URL; the caller must use a URL whose host is `host`.
    headers: {
      ...sent,
      authorization: `${ACS3_ALGORITHM} Credential=${request.accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`,
    },
    canonicalRequest,
    stringToSign,
    signature,
  };
}

/** 2023-10-26T10:22:32Z: x-acs-date's form (UTC, whole seconds). */
export function acsDate(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
