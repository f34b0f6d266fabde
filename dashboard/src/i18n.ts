/**
 * Chinese first (zh-CN, the default), English second. Every word on screen comes from here.
 * The choice is remembered on this device.
 */
export type Lang = 'zh-CN' | 'en';

import { PLACE_WORDS } from './i18n-places.js';

const WORDS = {
  ...PLACE_WORDS,
  app: ['彩带之约', 'Ribbon Pact'],
  'nav.wall': ['总览墙', 'Wall'],
  'nav.alarms': ['警报', 'Alarms'],
  'nav.patrol': ['巡查', 'Patrol'],
  'nav.figures': ['统计', 'Figures'],
  'nav.places': ['各地统计', 'By place'],
  'nav.duty': ['值班', 'Duty'],
  'nav.main': ['主导航', 'Main navigation'],
  'lang.switch': ['English', '中文'],
  'lang.switchLabel': ['切换到英文', 'Switch to Chinese'],
  logout: ['退出登录', 'Log out'],
  'logout.waiting': [
    '还有 {n} 条巡查记录未同步。退出后它们留在本机，您下次登录时发送。确定退出？',
    '{n} patrol reports have not been sent. They stay on this phone and are sent at your next login. Log out?',
  ],
  'logout.pending': [
    '退出登录尚未完成（网络不通）：联网后打开本页会自动完成。',
    'Logging out has not finished (no network): it finishes when this page is opened online.',
  ],
  'login.title': ['登录', 'Log in'],
  'login.product': ['彩带之约 · Ribbon Pact', 'Ribbon Pact · 彩带之约'],
  'login.username': ['用户名', 'Username'],
  'login.password': ['密码', 'Password'],
  'login.submit': ['登录', 'Log in'],
  'login.failed': ['用户名或密码不正确。', 'Wrong username or password.'],
  'login.throttled': ['尝试次数过多，请 {m} 分钟后再试。', 'Too many attempts; try again in {m} minutes.'],
  'login.busy': [
    '服务器正忙，密码未核对，请 {s} 秒后再试。',
    'The server is busy and did not check the password; try again in {s} s.',
  ],
  'login.ended': ['登录已过期，请重新登录。', 'Your session ended; please log in again.'],
  'live.live': ['实时', 'Live'],
  'live.connecting': ['正在连接…', 'Connecting…'],
  'live.reconnecting': [
    '连接中断，正在重新连接… 画面可能已过时（最后更新 {t}）',
    'Connection lost, reconnecting… The screen may be stale (last update {t})',
  ],
  'live.truncated': ['户数过多，只显示了前一部分。', 'Too many households: only the first ones are shown.'],
  'state.red': ['红', 'Red'],
  'state.yellow': ['黄', 'Yellow'],
  'state.blue': ['蓝', 'Blue'],
  'state.red.long': ['紧急求助', 'Emergency'],
  'state.yellow.long': ['需要服务', 'Needs a service'],
  'state.blue.long': ['一切安好', 'All well'],
  'status.red': ['红 · 紧急', 'Red · emergency'],
  'status.yellow': ['黄 · 服务', 'Yellow · service'],
  'status.blue': ['蓝 · 平安', 'Blue · all well'],
  'status.missed': ['未报平安', 'Missed check-in'],
  'status.offline': ['设备离线', 'Device offline'],
  'status.fault': ['设备故障', 'Device fault'],
  'status.away': ['外出', 'Away'],
  'status.none': ['暂无记录', 'No report yet'],
  'status.handled': ['已处理', 'Handled'],
  'wall.title': ['总览墙', 'Wall'],
  'wall.households': ['户', 'households'],
  'wall.empty': ['还没有登记的住户。', 'No households registered yet.'],
  'wall.building': ['{b}号楼', 'Building {b}'],
  'wall.counts': ['各状态户数', 'Households by state'],
  'wall.tiles': ['各户状态', 'Every household'],
  'wall.attention': ['需要关注', 'Needs attention'],
  'wall.attCount': ['紧急 {red} · 服务 {yellow}', 'emergencies {red} · services {yellow}'],
  'wall.att.red': ['紧急', 'Emergency'],
  'wall.att.yellow': ['服务', 'Service'],
  'wall.att.going': ['紧急 · 有人在处理', 'Emergency · someone going'],
  'wall.attNone': ['没有待处理的紧急求助或服务请求。', 'No emergency or service request waiting.'],
  'wall.attMore': ['还有 {n} 条，见警报页', '{n} more: see Alarms'],
  'wall.pages': ['翻页', 'Pages'],
  'wall.page': ['第 {i}/{n} 页', 'Page {i} of {n}'],
  'wall.pagePrev': ['上一页', 'Previous page'],
  'wall.pageNext': ['下一页', 'Next page'],
  'wall.autoOn': ['自动翻页：开', 'Turn pages: on'],
  'wall.autoOff': ['自动翻页：关', 'Turn pages: off'],
  'wall.filterEmpty': ['没有“{s}”的住户。', 'No household is “{s}”.'],
  'alarms.title': ['警报', 'Alarms'],
  'alarms.emergency': ['紧急求助', 'Emergencies'],
  'alarms.service': ['服务请求', 'Service requests'],
  'alarms.missed_checkin': ['未报平安', 'Missed check-ins'],
  'alarms.device': ['设备问题', 'Device problems'],
  'alarms.none': ['没有待处理的事项。', 'Nothing waiting.'],
  'alarms.since': ['已过 {d}', '{d} ago'],
  // The tier the alert has reached, not a claim that anyone there was told (whom: the lines below it).
  'alarms.level': ['当前第 {n} 级', 'At tier {n}'],
  'alarms.unreached': ['未能通知到任何人', 'Reached nobody'],
  'alarms.noPhone': ['没有打到任何人的手机（只发了群消息）', 'Reached nobody’s phone (group message only)'],
  'alarms.person': ['{who}：{how}', '{who}: {how}'],
  'reach.sms.sent': ['短信已发', 'SMS sent'],
  'reach.sms.pending': ['短信发送中', 'SMS on its way'],
  'reach.sms.failed': ['短信未发出', 'SMS not sent'],
  'reach.call.sent': ['电话已拨', 'called'],
  'reach.call.pending': ['正在拨打', 'calling'],
  'reach.call.failed': ['呼叫失败', 'call failed'],
  'reach.call.answered': ['电话已接听', 'call answered'],
  'reach.call.busy': ['电话占线', 'line busy'],
  'reach.call.no_answer': ['电话未接听', 'call not answered'],
  'reach.call.unreachable': ['电话无法接通', 'phone unreachable'],
  'reach.call.throttled': ['呼叫受限（频率限制）', 'call refused (rate limit)'],
  'reach.group.sent': ['群消息已发', 'group message sent'],
  'reach.group.pending': ['群消息发送中', 'group message on its way'],
  'reach.group.failed': ['群消息未发出', 'group message not sent'],
  'reach.banner': ['紧急求助未能通知到任何人：{who}', 'An emergency reached nobody: {who}'],
  'reach.bannerMore': [' 等另外 {n} 户（见警报页）', ' and {n} more (see Alarms)'],
  'reach.bannerHint': [
    '请立即打电话或派人上门，然后点“我去处理”。',
    'Phone or send someone to the door now, then tap “On my way”.',
  ],
  'reach.setup': [
    '尚未配置能打到手机的通道（短信或电话）：紧急求助不会拨打任何人的手机。',
    'No channel reaches a phone (SMS or call): an emergency rings nobody’s phone.',
  ],
  'reach.setupHint': [
    '请管理员添加阿里云或腾讯云的短信和语音通道（npm run admin -- add-channel --kind aliyun-sms …，或 POST /api/channels；步骤见 docs/notifications.md）。',
    'An admin adds Alibaba Cloud or Tencent Cloud SMS and voice channels (npm run admin -- add-channel --kind aliyun-sms …, or POST /api/channels; steps in docs/notifications.md).',
  ],
  'alarms.notified': ['已通知：{who}', 'Notified: {who}'],
  'alarms.notifying': ['正在通知：{who}', 'Being notified: {who}'],
  'alarms.notReached': ['未能通知：{who}', 'Could not reach: {who}'],
  'alarms.notSent': ['没有通知到任何人（{why}）', 'Nobody was notified ({why})'],
  'alarms.gone': ['此事项已处理（列表稍后重新排序）', 'Done (the list is re-sorted in a moment)'],
  'alarms.ackBy': ['{who} 正在处理', '{who} is on the way'],
  'alarms.arrivedBy': ['{who} 已到达', '{who} has arrived'],
  'alarms.claimedBy': ['{who} 已认领', 'Claimed by {who}'],
  'alarms.new': ['新的紧急求助：{where}', 'New emergency: {where}'],
  'alarms.recording': ['收到紧急求助，正在记录…', 'Emergency received, being recorded…'],
  'alarms.unrecorded': [
    '收到紧急求助，但服务器未能记录（按钮会重发）。请立即联系或前往住户。',
    'Emergency received, but the server could not record it (the button will send it again). Call or go to the household now.',
  ],
  'alarms.reason': ['原因：{r}', 'Reason: {r}'],
  'act.ack': ['我去处理', "I'm going"],
  'act.arrived': ['已到达', 'Arrived'],
  'act.resolve': ['已解决', 'Resolved'],
  'act.claim': ['认领', 'Claim'],
  'act.complete': ['完成', 'Complete'],
  'act.close': ['已处理', 'Close'],
  'act.cancel': ['取消', 'Cancel'],
  'act.confirm': ['确认', 'Confirm'],
  'act.details': ['详情', 'Details'],
  'resolve.title': ['紧急求助已解决：填写处理结果', 'Emergency resolved: how?'],
  'resolve.titleService': ['完成服务请求：填写处理结果', 'Service request completed: how?'],
  'resolve.titleClose': ['关闭此事项：填写处理结果', 'Close this alert: how?'],
  'resolve.note': ['处理说明（必填）', 'Note (required)'],
  'resolve.required': ['请填写处理说明。', 'Please write a note.'],
  'error.generic': ['操作失败：{m}', 'That did not work: {m}'],
  'error.offline': ['网络不通，请稍后再试。', 'No network; try again later.'],
  'sound.on': ['警报声音：开', 'Alarm sound: on'],
  'sound.off': ['警报声音：关（已静音）', 'Alarm sound: off (muted)'],
  'sound.blocked': ['点击页面任意处以启用警报声音', 'Click anywhere to enable the alarm sound'],
  'title.flash': ['【紧急求助】', '[EMERGENCY] '],
  'household.title': ['住户', 'Household'],
  'household.address': ['地址', 'Address'],
  'household.contacts': ['紧急联系人', 'Contacts'],
  'household.device': ['设备', 'Device'],
  'household.online': ['在线', 'online'],
  'household.offline': ['离线', 'offline'],
  'household.battery': ['电量 {n}%', 'battery {n}%'],
  'household.noDevice': ['未绑定设备', 'No device'],
  'household.policy': ['报平安规则', 'Check-in rule'],
  'household.away': ['外出至 {d}', 'Away until {d}'],
  'household.timeline': ['记录', 'Timeline'],
  'household.back': ['返回', 'Back'],
  'patrol.title': ['巡查', 'Patrol'],
  'patrol.building': ['楼栋', 'Building'],
  'patrol.all': ['全部楼栋', 'All buildings'],
  'patrol.seen': ['看到的彩带', 'The ribbon I see'],
  'patrol.noRibbon': ['无彩带', 'No ribbon'],
  'patrol.pending': ['{n} 条记录等待同步', '{n} reports waiting to sync'],
  'patrol.allSynced': ['全部已同步', 'All synced'],
  'patrol.offline': [
    '离线：记录会保存在本机，联网后自动同步',
    'Offline: reports are kept on this phone and sync when the network returns',
  ],
  'patrol.recorded': ['已记录：{h} {s}', 'Recorded: {h} {s}'],
  'patrol.queued': ['已保存在本机，等待同步：{h} {s}', 'Saved on this phone, waiting to sync: {h} {s}'],
  'patrol.redNotSent': [
    '紧急求助尚未送出（{h}）：已保存在本机，联网后发送。请立即电话联系值班室！',
    'The emergency has NOT been sent ({h}): it is saved on this phone and goes out when the network returns. Phone the duty station now!',
  ],
  'patrol.discard': ['放弃这条记录', 'Discard this report'],
  'patrol.discardLabel': ['放弃这条记录：{h} {s}', 'Discard the report: {h} {s}'],
  'patrol.failed': ['未能同步（{m}），会重试', 'Could not sync ({m}); will retry'],
  'patrol.syncNow': ['立即同步', 'Sync now'],
  'figures.title': ['响应统计', 'Response figures'],
  'time.s': ['{n} 秒', '{n} s'],
  'time.m': ['{n} 分', '{n} min'],
  'time.h': ['{n} 小时', '{n} h'],
  'time.d': ['{n} 天', '{n} d'],

  // ——— household and figures views (views/household.ts, views/figures.ts) ———
  'hh.loading': ['正在读取…', 'Loading…'],
  'hh.notFound': [
    '找不到这户：它不存在，或不在您负责的小区。',
    'Household not found: it does not exist, or it is not in your compounds.',
  ],
  'hh.badId': ['这不是一个住户编号。', 'That is not a household number.'],
  'hh.loadFailed': ['读取失败：{m}', 'Could not load: {m}'],
  'hh.status': ['当前状态', 'Current state'],
  'hh.lastCheckIn': ['最近报平安', 'Last check-in'],
  'hh.nextDue': ['应在此前报平安', 'Next check-in due by'],
  'hh.never': ['从未', 'never'],
  'hh.every': ['每 {every} 报一次平安，宽限 {grace}', 'Check in every {every}, grace {grace}'],
  'hh.deadline': ['每天 {time} 前报平安', 'Check in every day by {time}'],
  'hh.noRule': ['未设置', 'Not set'],
  'hh.quiet': ['免打扰时段', 'Quiet hours'],
  'hh.quietNone': ['无', 'none'],
  'hh.timezone': ['时区', 'Time zone'],
  'hh.awayLabel': ['外出', 'Away'],
  'hh.notAway': ['在家（未登记外出）', 'At home (no absence registered)'],
  'hh.awayPast': ['曾外出至 {d}（已过）', 'Was away until {d} (past)'],
  'hh.deviceLine': ['设备 {id}', 'Device {id}'],
  'hh.batteryUnknown': ['电量未知', 'battery unknown'],
  'hh.lastSeen': ['最后联系 {t}', 'last seen {t}'],
  'hh.noContacts': ['没有登记紧急联系人。', 'No emergency contacts registered.'],
  'hh.call': ['拨打 {name} {phone}', 'Call {name} {phone}'],
  'hh.timelineEmpty': ['还没有任何记录。', 'Nothing recorded yet.'],
  'hh.timelineNote': [
    '最近的按键、报告、巡查和警报处理，最新的在前。',
    'Recent presses, reports, visits and alert steps, newest first.',
  ],
  'hh.by': ['由 {who}', 'by {who}'],
  'hh.bySystem': ['系统', 'the system'],
  'hh.note': ['备注：{n}', 'Note: {n}'],
  'hh.press': ['按下按钮：{s}', 'Button pressed: {s}'],
  'hh.report': ['报告看到：{s}', 'Reported seeing: {s}'],
  'hh.visit': ['巡查：窗口没有彩带', 'Patrol: no ribbon in the window'],
  'hh.deviceBy': ['设备 {id}', 'device {id}'],
  'hh.kind.emergency': ['紧急求助', 'Emergency'],
  'hh.kind.service': ['服务请求', 'Service request'],
  'hh.kind.missed_checkin': ['未报平安', 'Missed check-in'],
  'hh.kind.device': ['设备问题', 'Device problem'],
  'hh.act.opened': ['开启', 'opened'],
  'hh.act.escalated': ['升级到第 {n} 级', 'escalated to tier {n}'],
  'hh.act.reminded': ['再次提醒', 'reminder sent'],
  'hh.act.acknowledged': ['有人去处理', 'someone is on the way'],
  'hh.act.arrived': ['已到达', 'arrived'],
  'hh.act.resolved': ['已解决', 'resolved'],
  'hh.act.cleared': ['自动解除', 'cleared'],
  'hh.notified': ['已通知（{kind}）：{who}', 'Notified ({kind}): {who}'],
  'hh.notifiedDevice': ['已告知按钮', 'The button was told'],
  'hh.notifiedSms': ['短信已发（{kind}）：{who}', 'SMS sent ({kind}): {who}'],
  'hh.notifiedCall': ['电话已拨（{kind}）：{who}', 'Called ({kind}): {who}'],
  'hh.callResult': ['电话：{who} {what}', 'Call: {who}, {what}'],
  'hh.call.answered': ['已接听', 'answered'],
  'hh.call.busy': ['占线', 'busy'],
  'hh.call.no_answer': ['未接听', 'no answer'],
  'hh.call.unreachable': ['无法接通', 'unreachable'],
  'hh.call.failed': ['呼叫失败', 'failed'],
  'hh.call.throttled': ['呼叫受限', 'refused (rate limit)'],
  'hh.notSent': ['通知未送达（{kind}）：{who} — {why}', 'Notification not delivered ({kind}): {who} — {why}'],
  'hh.nobody': ['无人', 'nobody'],
  'fig.month': ['月份', 'Month'],
  'fig.compound': ['小区', 'Compound'],
  'fig.prev': ['上个月', 'Previous month'],
  'fig.next': ['下个月', 'Next month'],
  'fig.badMonth': ['请输入“年-月”，例如 2026-11。', 'Enter a month as year-month, e.g. 2026-11.'],
  'fig.future': ['这个月还没开始，没有数据。', 'This month has not started yet: no figures.'],
  'fig.period': ['{from} 至 {to}', '{from} to {to}'],
  'fig.none': ['没有可查看的小区。', 'No compounds to show.'],
  'fig.summary': ['概况', 'Summary'],
  'fig.opened': ['紧急求助', 'Emergencies'],
  'fig.acknowledged': ['已确认', 'Acknowledged'],
  'fig.median': ['确认用时中位数', 'Median time to acknowledge'],
  'fig.p90': ['90% 在此时间内确认', '90th percentile'],
  'fig.missedTotal': ['未报平安', 'Missed check-ins'],
  'fig.dash': ['—', '—'],
  'fig.targets': ['响应目标', 'Response targets'],
  'fig.within': ['{s} 秒内确认', 'Acknowledged within {s} s'],
  'fig.shareLine': ['{pct}（{count}/{of}），目标 {target}', '{pct} ({count} of {of}), target {target}'],
  'fig.met': ['达标', 'Met'],
  'fig.notMet': ['未达标', 'Not met'],
  'fig.noData': ['本月没有紧急求助，无从计算', 'No emergencies this month: nothing to measure'],
  'fig.histogram': ['确认用时分布（紧急求助）', 'Time to acknowledge (emergencies)'],
  'fig.histogramAlt': ['确认用时分布：{list}', 'Time to acknowledge: {list}'],
  'fig.bucket': ['用时', 'Time'],
  'fig.count': ['次数', 'Count'],
  'fig.b.le30s': ['≤30秒', '≤30 s'],
  'fig.b.le60s': ['≤60秒', '≤60 s'],
  'fig.b.le2min': ['≤2分', '≤2 min'],
  'fig.b.le3min': ['≤3分', '≤3 min'],
  'fig.b.le5min': ['≤5分', '≤5 min'],
  'fig.b.le15min': ['≤15分', '≤15 min'],
  'fig.b.gt15min': ['>15分', '>15 min'],
  'fig.b.never': ['未确认', 'Never'],
  'fig.missedPerDay': ['每日未报平安', 'Missed check-ins per day'],
  'fig.emergenciesPerDay': ['每日紧急求助', 'Emergencies per day'],
  'fig.perDayAlt': ['{title}：{list}', '{title}: {list}'],
  'fig.day': ['日期', 'Day'],
  'fig.dayShort': ['{d}日', '{d}'],
  // ——— roll-ups per place (views/places.ts) ———
  // ——— duty rosters (views/duty.ts) ———
  'duty.title': ['值班表', 'Duty roster'],
  'duty.zone': ['时间均为 {z} 当地时间。', 'Times are local to {z}.'],
  'duty.nowTitle': ['现在值班与下一班', 'On duty now and next'],
  'duty.tier': ['第 {n} 级', 'Tier {n}'],
  'duty.now': ['现在', 'Now'],
  'duty.next': ['下一班', 'Next'],
  'duty.from': ['{t} 起', 'from {t}:'],
  'duty.nobody': ['无人值班', 'Nobody on duty'],
  'duty.noChange': ['本周不再换班', 'No change this week'],
  'duty.noRoster': [
    '未排班：该级覆盖本小区的人员全部接警。',
    'No roster: everyone of this tier covering the compound is alerted.',
  ],
  'duty.weekTitle': ['每周排班', 'Weekly shifts'],
  'duty.noShifts': ['还没有排班。', 'No shifts yet.'],
  'duty.colTier': ['级别', 'Tier'],
  'duty.colDays': ['星期', 'Days'],
  'duty.colTime': ['时间', 'Time'],
  'duty.colPeople': ['值班人员', 'People'],
  'duty.overnight': ['{s}–次日 {e}', '{s}–{e} next day'],
  'duty.day1': ['周一', 'Mon'],
  'duty.day2': ['周二', 'Tue'],
  'duty.day3': ['周三', 'Wed'],
  'duty.day4': ['周四', 'Thu'],
  'duty.day5': ['周五', 'Fri'],
  'duty.day6': ['周六', 'Sat'],
  'duty.day7': ['周日', 'Sun'],
  'duty.dayRange': ['{from}至{to}', '{from}–{to}'],
  'duty.listSep': ['、', ', '],
  'duty.gone': ['（已退出的人员 {id}）', '(person {id}, no longer active)'],
  'duty.overridesTitle': ['调班与请假', 'Swaps and leave'],
  'duty.noOverrides': ['没有调班或请假。', 'No swaps or leave.'],
  'duty.leaveLine': ['{p} 请假（无人顶班）', '{p} on leave (nobody in place)'],
  'duty.swapLine': ['{r} 替 {p} 值班', '{r} stands in for {p}'],
  'duty.remove': ['撤销', 'Remove'],
  'duty.removed': ['已撤销。', 'Removed.'],
  'duty.formTitle': ['添加调班或请假', 'Add a swap or leave'],
  'duty.person': ['谁不能值班', 'Who is off'],
  'duty.replacement': ['由谁顶班', 'Who stands in'],
  'duty.leaveOption': ['无人顶班（请假）', 'Nobody (leave)'],
  'duty.fromLabel': ['开始', 'From'],
  'duty.toLabel': ['结束', 'To'],
  'duty.note': ['备注', 'Note'],
  'duty.add': ['添加', 'Add'],
  'duty.added': ['已添加。', 'Added.'],
  'duty.fixFields': ['请更正标出的项目。', 'Please correct the marked fields.'],
  'duty.place': ['小区或社区', 'Compound or community'],
  'duty.compounds': ['小区', 'Compounds'],
  'duty.communities': ['社区值班表', 'Community rosters'],
  'duty.communityOption': ['{c}（社区）', '{c} (community)'],
  'duty.serves': [
    '社区值班表适用于本社区 {n} 个小区中没有自己值班表的级别。',
    'This roster serves the {n} compounds of the community at every tier they have no roster of their own for.',
  ],
  'duty.ownTiers': ['{c}：{tiers}用本小区自己的值班表。', '{c} keeps its own roster for {tiers}.'],
  'duty.fromCommunity': ['（按社区值班表）', "(the community's roster)"],
  // ——— end of household and figures ———
} as const satisfies Record<string, readonly [string, string]>;

export type WordKey = keyof typeof WORDS;

const STORAGE_KEY = 'ribbon.lang';
let current: Lang = readLang();

function readLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  if (typeof document !== 'undefined') document.documentElement.lang = next;
}

/** The word in the current language, with `{name}` filled from `vars`. */
export function t(key: WordKey, vars?: Record<string, string | number>): string {
  const pair = WORDS[key];
  let text: string = current === 'en' ? pair[1] : pair[0];
  if (vars) for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

/** A duration in the largest sensible unit, e.g. "3 分 12 秒" / "3 min 12 s". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return t('time.s', { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return `${t('time.m', { n: m })} ${t('time.s', { n: s % 60 })}`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${t('time.h', { n: hours })} ${t('time.m', { n: m % 60 })}`;
  return t('time.d', { n: Math.floor(hours / 24) });
}

/** A time of day (or date and time, if not today) in the current language. */
export function clock(at: number | string | null, now = Date.now()): string {
  if (at === null) return '—';
  const d = new Date(at);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return d.toLocaleString(
    current,
    sameDay
      ? { hour: '2-digit', minute: '2-digit', second: '2-digit' }
      : { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' },
  );
}
