/**
 * The HTTP API's words for the community's people and its notification channels (docs/api.md):
 * part of the contract the server checks and the dashboard's forms offer, so both read them from
 * here. Constants only.
 */

/** The roles people answer alarms in (POST /api/people `role`). */
export const PERSON_ROLES = [
  'volunteer',
  'center_household',
  'grid_worker',
  'party_branch',
  'duty_officer',
  'staff',
] as const;
export type PersonRole = (typeof PERSON_ROLES)[number];

/** Where notifications go (POST /api/channels `kind`; docs/notifications.md for the phone ones). */
export const CHANNEL_KINDS = [
  'webhook',
  'wecom',
  'dingtalk',
  'aliyun-sms',
  'aliyun-voice',
  'tencent-sms',
  'tencent-voice',
] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];
