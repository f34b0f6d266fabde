import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../../dashboard/src/api.js';
import { setLang } from '../../../dashboard/src/i18n.js';
import { reasonText, serverText } from '../../../dashboard/src/server-text.js';
import { attentionItems } from '../../../dashboard/src/views/attention-strip.js';
import { NOT_WANTED } from '../../../server/app/deliver-outbox.js';
import { NO_CHANNEL } from '../../../server/store/outbox.js';

afterEach(() => setLang('zh-CN'));

describe('serverText: what the server sends to a screen, in the reader’s language', () => {
  it.each([
    [NO_CHANNEL, '没有配置通知渠道', 'no notification channel is set up'],
    [NOT_WANTED, '不再发送：已有人响应或已解决', 'not sent: the alert was acknowledged or resolved'],
    ['HTTP 404: no such hook', '对方返回错误 HTTP 404（no such hook）', 'HTTP 404: no such hook'],
    ['HTTP 500', '对方返回错误 HTTP 500', 'HTTP 500'],
    ['timed out after 5000 ms', '5000 毫秒内没有应答（超时）', 'timed out after 5000 ms'],
    ['network error: ECONNREFUSED connect', '网络错误（ECONNREFUSED connect）', 'network error: ECONNREFUSED connect'],
    [
      'not a mainland mobile number: 139****0000',
      '不是大陆手机号码：139****0000',
      'not a mainland mobile number: 139****0000',
    ],
    [
      'SendSms: isv.AMOUNT_NOT_ENOUGH (balance too low): 余额不足 (HTTP 200)',
      'SendSms：isv.AMOUNT_NOT_ENOUGH（余额不足）: 余额不足 (HTTP 200)',
      'SendSms: isv.AMOUNT_NOT_ENOUGH (balance too low): 余额不足 (HTTP 200)',
    ],
    ['the alert is already acknowledged', '已有人认领或正在处理', 'the alert is already acknowledged'],
    // Unknown text is shown as it came, never hidden.
    ['something new', 'something new', 'something new'],
  ])('when the server says %j, then it reads %j (English: %j)', (text, zh, en) => {
    setLang('zh-CN');
    expect(serverText(text)).toBe(zh);
    setLang('en');
    expect(serverText(text)).toBe(en);
  });

  it.each([
    ['low_battery; offline', '电量低，请更换电池；设备离线', 'low battery: change it; the device is offline'],
    ['no check-in in time', '未按时报平安', 'no check-in in time'],
    [
      'unreadable message: bad json',
      '收到无法识别的按键消息（bad json）',
      'an unreadable message came from the button (bad json)',
    ],
  ])('when an alert’s reason is %j, then each of its reasons is in words', (reason, zh, en) => {
    setLang('zh-CN');
    expect(reasonText(reason)).toBe(zh);
    setLang('en');
    expect(reasonText(reason)).toBe(en);
  });
});

describe('attentionItems: what the wall’s strip lists, in its order', () => {
  let id = 0;
  const alert = (kind: Alert['kind'], status: Alert['status'], openedAt: string): Alert =>
    ({ id: ++id, kind, status, householdId: id, openedAt, household: null }) as unknown as Alert;

  it('when reds, yellows and others are open, then unacknowledged reds come first, then unclaimed yellows, then reds someone is going to, each oldest first', () => {
    const lateRed = alert('emergency', 'open', '2026-12-02T10:05:00Z');
    const earlyRed = alert('emergency', 'open', '2026-12-02T10:01:00Z');
    const going = alert('emergency', 'acknowledged', '2026-12-02T09:00:00Z');
    const yellow = alert('service', 'open', '2026-12-02T08:00:00Z');
    const claimed = alert('service', 'acknowledged', '2026-12-02T07:00:00Z');
    const missed = alert('missed_checkin', 'open', '2026-12-02T06:00:00Z');
    const items = attentionItems([lateRed, claimed, yellow, going, missed, earlyRed]);
    expect(items.map((i) => [i.alert.id, i.group])).toEqual([
      [earlyRed.id, 'red'],
      [lateRed.id, 'red'],
      [yellow.id, 'yellow'],
      [going.id, 'going'],
    ]);
  });
});
