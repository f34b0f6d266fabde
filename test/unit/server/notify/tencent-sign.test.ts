import { describe, expect, it } from 'vitest';
import {
  canonicalHeaders,
  canonicalRequest,
  credentialScope,
  derivedKeys,
  sha256Hex,
  signTencentRequest,
  stringToSign,
  tc3Signature,
  utcDate,
} from '../../../../server/notify/providers/tencent-sign.js';

// The worked example of Tencent Cloud's "签名方法 v3" page (https://cloud.tencent.com/document/api/213/30654,
// copied into every product's API docs): CVM DescribeInstances in ap-guangzhou, "未命名" as a filter,
// timestamp 1551113065. The page masks the keys, and computes with the masks: SecretKey is 32
// asterisks. Every value below is printed on that page.
const PAYLOAD = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}';
const DOC = {
  secretId: `AKID${'*'.repeat(32)}`,
  secretKey: '*'.repeat(32),
  hashedPayload: '35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064',
  canonicalRequest: [
    'POST',
    '/',
    '',
    'content-type:application/json; charset=utf-8',
    'host:cvm.tencentcloudapi.com',
    'x-tc-action:describeinstances',
    '',
    'content-type;host;x-tc-action',
    '35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064',
  ].join('\n'),
  hashedCanonicalRequest: '7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84',
  secretDate: 'da98fb70dcf6b112dc21038d1eeeb3a95c74b4dcb12c1131f864f6066bd02be0',
  secretService: '8d70cbefb03939f929db64d32dc2ba89b1095620119fe3e050e2b18c5bd2752f',
  secretSigning: 'b596b923aad85185e2d1f6659d2a062e0a86731226e021e61bfe06f7ed05f5af',
  signature: '10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f',
};

describe('TC3-HMAC-SHA256 against the documented worked example', () => {
  const signed = signTencentRequest({
    secretId: DOC.secretId,
    secretKey: DOC.secretKey,
    service: 'cvm',
    host: 'cvm.tencentcloudapi.com',
    action: 'DescribeInstances',
    version: '2017-03-12',
    region: 'ap-guangzhou',
    timestamp: 1551113065,
    payload: PAYLOAD,
  });

  it('when the example request is signed, then step 1 gives the documented canonical request and its hash', () => {
    expect(sha256Hex(PAYLOAD)).toBe(DOC.hashedPayload);
    expect(signed.canonicalRequest).toBe(DOC.canonicalRequest);
    expect(sha256Hex(signed.canonicalRequest)).toBe(DOC.hashedCanonicalRequest);
  });

  it('when the example request is signed, then step 2 gives the documented string to sign', () => {
    expect(signed.stringToSign).toBe(
      ['TC3-HMAC-SHA256', '1551113065', '2019-02-25/cvm/tc3_request', DOC.hashedCanonicalRequest].join('\n'),
    );
  });

  it('when the keys are derived, then step 3 gives the documented SecretDate, SecretService, SecretSigning and signature', () => {
    const [date, service, signing] = derivedKeys(DOC.secretKey, '2019-02-25', 'cvm');
    expect(date.toString('hex')).toBe(DOC.secretDate);
    expect(service.toString('hex')).toBe(DOC.secretService);
    expect(signing.toString('hex')).toBe(DOC.secretSigning);
    expect(signed.signature).toBe(DOC.signature);
  });

  it('when the request is signed, then step 4 gives the documented Authorization and the common headers', () => {
    expect(signed.headers).toEqual({
      authorization: `TC3-HMAC-SHA256 Credential=${DOC.secretId}/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=${DOC.signature}`,
      'content-type': 'application/json; charset=utf-8',
      'x-tc-action': 'DescribeInstances',
      'x-tc-timestamp': '1551113065',
      'x-tc-version': '2017-03-12',
      'x-tc-region': 'ap-guangzhou',
    });
  });
});

// The English "Signature v3" page (https://tencentcloud.com/document/api/1150/49447 and its copies)
// still carries the older form of the same example: only content-type and host signed, SecretKey
// Gu5t9xGARNpq86cd98joQYCN3EXAMPLE, Signature 72e494ea…. Built here from the steps, header by header.
describe('TC3-HMAC-SHA256 against the older English example (content-type;host)', () => {
  it('when only content-type and host are signed, then each step gives the printed value', () => {
    const headers = canonicalHeaders({
      Host: 'cvm.tencentcloudapi.com',
      'Content-Type': 'application/json; charset=utf-8',
    });
    expect(headers).toEqual({
      canonical: 'content-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n',
      signed: 'content-type;host',
    });
    const canonical = canonicalRequest({ method: 'POST', uri: '/', query: '', headers, payload: PAYLOAD });
    expect(sha256Hex(canonical)).toBe('5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031');
    const scope = credentialScope(utcDate(1551113065), 'cvm');
    const toSign = stringToSign(1551113065, scope, canonical);
    expect(toSign).toBe(
      'TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031',
    );
    expect(tc3Signature('Gu5t9xGARNpq86cd98joQYCN3EXAMPLE', '2019-02-25', 'cvm', toSign)).toBe(
      '72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168',
    );
  });
});

describe('the date of the credential scope', () => {
  // The docs' own warning: 1551113065 is 2019-02-26 00:44:25 in Beijing but 2019-02-25 in UTC; a
  // local date fails every request between 00:00 and 08:00 Beijing time, i.e. at night.
  it.each([
    [1551113065, '2019-02-25'],
    [1551139199, '2019-02-25'], // 23:59:59 UTC
    [1551139200, '2019-02-26'], // 00:00:00 UTC
    [1767196800, '2025-12-31'], // 2026-01-01 00:00 in Beijing
  ])('when the timestamp is %i, then the date is the UTC date %s', (timestamp, date) => {
    expect(utcDate(timestamp)).toBe(date);
  });

  it('when a payload holds Chinese text, then it is hashed as its UTF-8 bytes, as sent', () => {
    const json = '{"TemplateParamSet":["张桂兰","阳光小区3号楼201"]}';
    expect(sha256Hex(json)).toBe(sha256Hex(Buffer.from(json, 'utf8')));
    expect(sha256Hex(json)).not.toBe(sha256Hex(Buffer.from(json, 'latin1')));
  });
});
