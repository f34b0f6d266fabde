import { describe, expect, it } from 'vitest';
import {
  ACK_LINK_TTL_MS,
  ACK_TOKEN_LENGTH,
  type AckClaim,
  ackLink,
  signAckToken,
  verifyAckToken,
} from '../../../../server/app/ack-link.js';

const SECRET = new Uint8Array(32).map((_, i) => i * 7 + 1);
const OTHER = new Uint8Array(32).map((_, i) => 255 - i);
const T0 = Date.parse('2026-12-02T03:00:00Z');
const CLAIM: AckClaim = { alertId: 4711, recipient: { kind: 'person', id: 12 }, expiresAt: T0 + ACK_LINK_TTL_MS };

/** The token with one character changed to another of the alphabet. */
function flip(token: string, at: number): string {
  const c = token[at] === 'A' ? 'B' : 'A';
  return `${token.slice(0, at)}${c}${token.slice(at + 1)}`;
}

describe('signAckToken / verifyAckToken', () => {
  it.each<AckClaim>([
    CLAIM,
    { alertId: 1, recipient: { kind: 'contact', id: 1 }, expiresAt: T0 + 1000 },
    { alertId: 0xffff_ffff, recipient: { kind: 'person', id: 0xffff_ffff }, expiresAt: 0xffff_ffff * 1000 },
    { alertId: 0, recipient: { kind: 'contact', id: 0 }, expiresAt: T0 + 60_000 },
  ])('when %j is signed and verified before it expires, then the same claim comes back', (claim) => {
    const token = signAckToken(SECRET, claim);
    expect(verifyAckToken(SECRET, token, T0)).toEqual({ ok: true, claim });
  });

  it('when a token is made, then it is 32 URL-safe characters, short enough for an SMS', () => {
    const token = signAckToken(SECRET, CLAIM);
    expect(ACK_TOKEN_LENGTH).toBe(32);
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(encodeURIComponent(token)).toBe(token);
  });

  it('when the expiry has milliseconds, then the token keeps whole seconds and expires no later', () => {
    const token = signAckToken(SECRET, { ...CLAIM, expiresAt: T0 + 1999 });
    const verdict = verifyAckToken(SECRET, token, T0);
    expect(verdict).toEqual({ ok: true, claim: { ...CLAIM, expiresAt: T0 + 1000 } });
    expect(verifyAckToken(SECRET, token, T0 + 1000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('when two recipients of one alert get tokens, then the tokens differ and each names its own', () => {
    const person = signAckToken(SECRET, CLAIM);
    const contact = signAckToken(SECRET, { ...CLAIM, recipient: { kind: 'contact', id: 12 } });
    expect(person).not.toBe(contact);
    expect(verifyAckToken(SECRET, contact, T0)).toMatchObject({ ok: true, claim: { recipient: { kind: 'contact' } } });
  });

  it.each(Array.from({ length: 32 }, (_, i) => i))(
    'when character %i of a token is changed, then it is altered (every byte is covered by the MAC)',
    (at) => {
      const token = signAckToken(SECRET, CLAIM);
      expect(verifyAckToken(SECRET, flip(token, at), T0)).toEqual({ ok: false, reason: 'altered' });
    },
  );

  it('when a token of another server (another secret) is shown, then it is altered', () => {
    const foreign = signAckToken(OTHER, CLAIM);
    expect(verifyAckToken(SECRET, foreign, T0)).toEqual({ ok: false, reason: 'altered' });
  });

  it('when a token is shown at or after its expiry, then it is expired; a moment before, it is good', () => {
    const token = signAckToken(SECRET, CLAIM);
    expect(verifyAckToken(SECRET, token, CLAIM.expiresAt - 1).ok).toBe(true);
    expect(verifyAckToken(SECRET, token, CLAIM.expiresAt)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyAckToken(SECRET, token, CLAIM.expiresAt + ACK_LINK_TTL_MS)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('when an expired token was also altered, then it is altered (the MAC is checked first)', () => {
    const token = signAckToken(SECRET, CLAIM);
    expect(verifyAckToken(SECRET, flip(token, 12), CLAIM.expiresAt + 1)).toEqual({ ok: false, reason: 'altered' });
  });

  it.each([
    ['empty', ''],
    ['too short', 'AAAA'],
    ['one short', 'A'.repeat(31)],
    ['one long', 'A'.repeat(33)],
    ['padding', `${'A'.repeat(30)}==`],
    ['standard base64', `${'A'.repeat(30)}+/`],
    ['a dot', `${'A'.repeat(31)}.`],
    ['spaces', ` ${'A'.repeat(30)} `],
    ['Chinese', '紧'.repeat(32)],
    ['a path', '../../../../../../../etc/passwd'],
    ['very long', 'A'.repeat(10_000)],
  ])('when the token is garbage (%s), then it is malformed', (_name, token) => {
    expect(verifyAckToken(SECRET, token, T0)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('when 32 characters of the alphabet carry no valid MAC, then they are altered, not accepted', () => {
    expect(verifyAckToken(SECRET, 'A'.repeat(32), T0)).toEqual({ ok: false, reason: 'altered' });
  });

  it.each([
    ['a negative alert id', { ...CLAIM, alertId: -1 }],
    ['an alert id past 32 bits', { ...CLAIM, alertId: 2 ** 32 }],
    ['a fractional id', { ...CLAIM, recipient: { kind: 'person', id: 1.5 } }],
    ['an expiry past 2106', { ...CLAIM, expiresAt: 2 ** 32 * 1000 }],
    ['an expiry that is not a number', { ...CLAIM, expiresAt: Number.NaN }],
  ] as Array<[string, AckClaim]>)('when a claim has %s, then signing throws (a bug of the caller)', (_name, claim) => {
    expect(() => signAckToken(SECRET, claim)).toThrow(RangeError);
  });

  it('when the secret is shorter than 16 bytes, then signing and verifying throw', () => {
    expect(() => signAckToken(new Uint8Array(8), CLAIM)).toThrow(RangeError);
    expect(() => verifyAckToken(new Uint8Array(8), 'A'.repeat(32), T0)).toThrow(RangeError);
  });
});

describe('ackLink', () => {
  it.each([
    ['https://ribbon.example.cn', 'https://ribbon.example.cn/a/TOKEN'],
    ['https://ribbon.example.cn/', 'https://ribbon.example.cn/a/TOKEN'],
    ['https://ribbon.example.cn//', 'https://ribbon.example.cn/a/TOKEN'],
    ['http://10.0.0.5:8080/pact', 'http://10.0.0.5:8080/pact/a/TOKEN'],
    ['http://10.0.0.5:8080/pact/', 'http://10.0.0.5:8080/pact/a/TOKEN'],
  ])('when PUBLIC_URL is %j, then the link is %j', (base, link) => {
    expect(ackLink(base, 'TOKEN')).toBe(link);
  });

  it('when a real token is linked, then the link is the base, /a/ and the token, nothing else', () => {
    const token = signAckToken(SECRET, CLAIM);
    const link = ackLink('https://ribbon.example.cn', token);
    expect(link).toBe(`https://ribbon.example.cn/a/${token}`);
    expect(link.length).toBe('https://ribbon.example.cn/a/'.length + 32);
  });
});
