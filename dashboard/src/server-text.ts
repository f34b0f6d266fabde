import { lang } from './i18n.js';

/**
 * Texts the server sends to a screen, in the reader's language (issue 14, point 5). The server
 * speaks English in its codes and records (alert reasons: server/domain/device-health.ts,
 * sweep; notification results: server/store/outbox.ts NO_CHANNEL, server/app/deliver-outbox.ts,
 * server/notify/http.ts, robot.ts, phone.ts, providers/aliyun*.ts and tencent*.ts; API error
 * messages: protocol/errors.ts). They are translated here, at display time, from a list of the
 * known ones; a text not known is shown as it came (never hidden). Chinese first; in English the
 * server's own words, or a plainer English where the code is terse.
 */
type Pair = readonly [zh: string, en: string];

/** Whole texts, as the server writes them. */
const EXACT: Readonly<Record<string, Pair>> = {
  // Alert reasons (joined by '; ' when a device alert holds several).
  offline: ['设备离线', 'the device is offline'],
  low_battery: ['电量低，请更换电池', 'low battery: change it'],
  'no check-in in time': ['未按时报平安', 'no check-in in time'],
  // Notification results.
  'no notification channel configured': ['没有配置通知渠道', 'no notification channel is set up'],
  'nowhere to send it': ['没有可发送的对象', 'nowhere to send it'],
  'device row without a device id': ['通知按钮时缺少设备编号', 'device row without a device id'],
  aborted: ['服务器停止时中断，重启后重试', 'interrupted by a server stop; retried after the restart'],
  'aborted before sending': [
    '服务器停止，未发送，重启后重试',
    'not sent: the server stopped; retried after the restart',
  ],
  'answer has an Error without Code': ['服务商的回答缺少错误码', 'the provider answered an error without a code'],
  // API errors (protocol/errors.ts), as a toast shows them.
  'the request is not valid': ['请求内容不正确', 'the request is not valid'],
  'the body is not valid JSON': ['请求内容不是有效的 JSON', 'the body is not valid JSON'],
  'the file is not a readable CSV': ['文件不是可读的 CSV', 'the file is not a readable CSV'],
  'resolving needs an outcome note': ['需要填写处理说明', 'resolving needs an outcome note'],
  'log in first': ['请先登录', 'log in first'],
  'wrong username or password': ['用户名或密码不正确', 'wrong username or password'],
  'missing or wrong x-csrf-token': ['页面已过期，请刷新', 'the page is out of date: reload it'],
  'your role may not do this': ['您的角色无权这样做', 'your role may not do this'],
  'not found': ['找不到该记录', 'not found'],
  'the record changed or already exists': ['记录已被修改或已存在', 'the record changed or already exists'],
  'the alert cannot do that in its state': ['该警报当前状态下不能这样操作', 'the alert cannot do that in its state'],
  'the body is too large': ['内容过大', 'the body is too large'],
  'unsupported content type': ['不支持的内容类型', 'unsupported content type'],
  'too many attempts; wait and try again': ['尝试次数过多，请稍后再试', 'too many attempts; wait and try again'],
  'internal error': ['服务器内部错误', 'internal error'],
  'the server is busy; try again after retry-after seconds': [
    '服务器正忙，请稍后再试',
    'the server is busy; try again soon',
  ],
  'the alert is already resolved': ['该警报已解决', 'the alert is already resolved'],
  'the alert is already acknowledged': ['已有人认领或正在处理', 'the alert is already acknowledged'],
  'the arrival is already recorded': ['已记录到达', 'the arrival is already recorded'],
  'only an emergency has an arrival': ['只有紧急求助需要记录到达', 'only an emergency has an arrival'],
  'an emergency or a service request is resolved by a person, never automatically': [
    '紧急求助和服务请求须由人处理，不会自动关闭',
    'an emergency or a service request is resolved by a person, never automatically',
  ],
};

/** Alibaba Cloud's meanings (server/notify/providers/aliyun-codes.ts), inside "Action: Code (meaning)". */
const MEANING: Readonly<Record<string, string>> = {
  'signature refused: check the AccessKey secret': '签名被拒：请检查 AccessKey 密钥',
  'AccessKey ID not found': '找不到 AccessKey ID',
  'AccessKey disabled': 'AccessKey 已停用',
  'request time more than 15 minutes off: check the clock': '请求时间偏差超过 15 分钟：请校准服务器时钟',
  'RAM user lacks the permission': 'RAM 用户没有权限',
  'throttled by the gateway': '网关限流',
  'throttled: account flow control': '账号限流',
  'throttled: API flow control': '接口限流',
  'provider internal error': '服务商内部错误',
  'provider unavailable': '服务商暂不可用',
  'provider system error': '服务商系统错误',
  'provider gateway error': '服务商网关错误',
  'daily sending quota reached (console setting)': '已达每日发送上限（控制台设置）',
  'monthly sending quota reached (console setting)': '已达每月发送上限（控制台设置）',
  'phone number refused': '手机号码被拒',
  'number on the blocklist': '号码在黑名单中',
  'template not approved or not found': '模板未审核通过或不存在',
  'sign name not approved or not found': '签名未审核通过或不存在',
  'service stopped: balance exhausted': '余额用尽，服务已停',
  'balance too low': '余额不足',
  refused: '被拒绝',
  'provider error': '服务商错误',
  'unknown code, retried': '未知错误码，将重试',
};

/** Texts with a variable part: the pattern and its Chinese (`$1`… are the parts kept). */
const PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^unreadable message:?\s*(.*)$/, '收到无法识别的按键消息（$1）'],
  [/^HTTP (\d+) redirect: configure the final URL$/, '对方返回 HTTP $1 重定向：请配置最终地址'],
  [/^HTTP (\d+)$/, '对方返回错误 HTTP $1'],
  [/^HTTP (\d+): (.*)$/, '对方返回错误 HTTP $1（$2）'],
  [/^timed out after (\d+) ms$/, '$1 毫秒内没有应答（超时）'],
  [/^network error: (.*)$/, '网络错误（$1）'],
  [/^answer is not JSON: (.*)$/, '对方的回答不是 JSON（$1）'],
  [/^answer has no errcode: (.*)$/, '对方的回答缺少 errcode（$1）'],
  [/^answer has no Response: (.*)$/, '服务商的回答缺少 Response（$1）'],
  [/^channel (\d+) is gone or invalid$/, '通知渠道 $1 已删除或无效'],
  [/^unknown target (.*)$/, '未知的发送对象 $1'],
  [/^not a mainland mobile number: (.*)$/, '不是大陆手机号码：$1'],
  [/^no SMS template for (.*)$/, '没有“$1”的短信模板'],
  [/^a (\S+) channel sends only SMS to one person$/, '$1 渠道只给一个人发短信'],
  [/^a (\S+) channel sends only calls to one person$/, '$1 渠道只给一个人打电话'],
];

/** `SendSms: isv.AMOUNT_NOT_ENOUGH (balance too low): message (HTTP 200) [RequestId …]` */
const ALIYUN = /^(\w+): ([\w.]+) \(([^)]*)\)(.*)$/;

function zh(text: string): string | null {
  const exact = EXACT[text];
  if (exact) return exact[0];
  // Bilingual already (server/app/deliver-outbox.ts NOT_WANTED): "中文 / English".
  const both = /^(.*[\u4e00-\u9fff].*) \/ ([^\u4e00-\u9fff]+)$/.exec(text);
  if (both) return both[1] ?? text;
  for (const [pattern, words] of PATTERNS) if (pattern.test(text)) return text.replace(pattern, words);
  const aliyun = ALIYUN.exec(text);
  if (aliyun) {
    const meaning = MEANING[aliyun[3] ?? ''];
    if (meaning) return `${aliyun[1]}：${aliyun[2]}（${meaning}）${aliyun[4] ?? ''}`;
  }
  return null;
}

function en(text: string): string {
  const exact = EXACT[text];
  if (exact) return exact[1];
  const both = /^(.*[\u4e00-\u9fff].*) \/ ([^\u4e00-\u9fff]+)$/.exec(text);
  if (both) return both[2] ?? text;
  const unreadable = /^unreadable message:?\s*(.*)$/.exec(text);
  if (unreadable) return `an unreadable message came from the button (${unreadable[1]})`;
  return text;
}

/** One text from the server, in the current language; unknown text as it came. */
export function serverText(text: string): string {
  if (lang() === 'en') return en(text);
  return zh(text) ?? text;
}

/** An alert's reason: one code, or several joined by '; ' (server/domain/device-health.ts REASON_SEPARATOR). */
export function reasonText(reason: string): string {
  const parts = reason.split('; ').filter((r) => r !== '');
  return parts.map(serverText).join(lang() === 'en' ? '; ' : '；');
}
