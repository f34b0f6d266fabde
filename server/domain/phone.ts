/**
 * Mainland China mobile numbers: the one rule for whoever is to be reached by SMS or a call —
 * the people who answer alarms and the households' family contacts when they are saved (API,
 * admin CLI, roster import), and the providers' clients (Alibaba Cloud takes the 11 digits,
 * Tencent Cloud E.164: +86 and the 11 digits). A number is stored as the 11 digits.
 *
 * Numbers stored before this rule are not rewritten: a reader must expect one that does not
 * pass (`mainlandMobile` answers null for it) and treat it as no reachable phone.
 */

/** The 11 digits (1, then 3–9, then 9 more) or null. Spaces and hyphens dropped; +86, 0086 or 86 in front accepted. */
export function mainlandMobile(input: string): string | null {
  const compact = input.replace(/[\s-]/g, '');
  const match = /^(?:\+86|0086|86)?(1[3-9]\d{9})$/.exec(compact);
  return match?.[1] ?? null;
}

/** What a person is told when a number is refused, in the API's field problems, the CLI and a roster's row problems. */
export const NOT_A_MOBILE = '不是中国大陆手机号：应为 11 位数字，以 13–19 开头（可带 +86、空格或短横线）';
/** NOT_A_MOBILE in English, for texts in both languages (the admin CLI). */
export const NOT_A_MOBILE_EN =
  'is not a mainland China mobile: 11 digits starting 13–19 (+86, spaces or hyphens allowed)';
