/**
 * Mainland China mobile numbers, as both providers' SMS and voice APIs take them (Alibaba Cloud:
 * the 11 digits; Tencent Cloud: E.164, +86 and the 11 digits). One rule for both, and for the
 * people and contacts the notifications go to.
 */

/** The 11 digits (1, then 3–9, then 9 more) or null. Spaces and hyphens dropped; +86, 0086 or 86 in front accepted. */
export function mainlandMobile(input: string): string | null {
  const compact = input.replace(/[\s-]/g, '');
  const match = /^(?:\+86|0086|86)?(1[3-9]\d{9})$/.exec(compact);
  return match?.[1] ?? null;
}

/** A refused number in an error or a log: enough to recognise it, not the whole of a person's number. */
export function maskPhone(phone: string): string {
  const t = phone.trim();
  return t.length <= 4 ? '****' : `${'*'.repeat(Math.min(t.length - 4, 16))}${t.slice(-4)}`;
}
