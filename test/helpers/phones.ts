import type { SqliteStores } from '../../server/store/index.js';
import { startFakeAliyun } from './fake-aliyun.js';

export const ALIYUN_KEY = { accessKeyId: 'LTAI-test-key', accessKeySecret: 'test-secret-of-aliyun' };
export const SMS_TEMPLATES = { emergency: 'SMS_100001', service: 'SMS_100002', missed_checkin: 'SMS_100003' };
export const TTS_CODE = 'TTS_200001';

/**
 * Alibaba Cloud SMS and voice channels for every compound, both pointed at one fake gateway on
 * 127.0.0.1 that checks each request's ACS3 signature (test/helpers/fake-aliyun.ts): what a
 * deployment whose red presses reach people's phones has. Returns the fake and the channel ids.
 */
export async function phoneChannels(stores: SqliteStores, now: number, compoundId: number | null = null) {
  const gateway = await startFakeAliyun(ALIYUN_KEY);
  const endpoint = gateway.endpoint;
  const sms = stores.channels.add(
    'aliyun-sms',
    '阿里云短信',
    { ...ALIYUN_KEY, signName: '彩带之约', templates: SMS_TEMPLATES, endpoint },
    compoundId,
    now,
  );
  const voice = stores.channels.add(
    'aliyun-voice',
    '阿里云语音',
    { ...ALIYUN_KEY, ttsCode: TTS_CODE, endpoint },
    compoundId,
    now,
  );
  return {
    gateway,
    sms,
    voice,
    /** What reached the gateway with a good signature: [action, phone] in order. */
    sent: () => gateway.received.filter((r) => r.refused === null).map((r) => [r.action, r.phone] as const),
  };
}

/** One person with a mobile for each tier of a compound (tier 3: the whole community), as a deployment has. */
export function answerers(stores: SqliteStores, compoundId: number, now: number): number[] {
  return ([1, 2, 3] as const).map((tier) =>
    stores.people.add(
      {
        name: `第${tier}级值守`,
        phone: `1370000000${tier}`,
        role: tier === 1 ? 'volunteer' : tier === 2 ? 'grid_worker' : 'duty_officer',
        tier,
        compoundId: tier === 3 ? null : compoundId,
        buildingId: null,
      },
      now,
    ),
  );
}
