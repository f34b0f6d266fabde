/**
 * Mainland China mobile numbers, as both providers' SMS and voice APIs take them (Alibaba Cloud:
 * the 11 digits; Tencent Cloud: E.164, +86 and the 11 digits). The rule itself is the domain's
 * (server/domain/phone.ts), the same one people and contacts are checked by when they are saved.
 */

export { mainlandMobile } from '../../domain/phone.js';

/** A refused number in an error or a log: enough to recognise it, not the whole of a person's number. */
export function maskPhone(phone: string): string {
  const t = phone.trim();
  return t.length <= 4 ? '****' : `${'*'.repeat(Math.min(t.length - 4, 16))}${t.slice(-4)}`;
}
