import { lang } from './i18n.js';

/**
 * The words of 设备设置 / Device settings (views/device-settings.ts), Chinese first, English
 * second; loaded with that screen only (a lazy route), not with the page's first script.
 */
const WORDS = {
  'ds.title': ['设备设置', 'Device settings'],
  'ds.intro': [
    '按钮每隔“心跳间隔”报一次电量；超过心跳间隔加“离线宽限”仍无消息，就算离线并发出设备警报。可按小区、按型号或两者同时设置；未设置的项沿用下一级：小区+型号 → 小区 → 型号 → 默认 → 内置（{hb} 分钟，宽限 {g} 分钟）。',
    'A button reports its battery every "heartbeat interval"; silent for the interval plus the "offline grace", it is offline and a device alert opens. Set per compound, per model or both; a value not set comes from the next level: compound + model → compound → model → default → built in ({hb} min, grace {g} min).',
  ],
  'ds.when': [
    '修改后，在线的按钮立即收到新的心跳间隔；离线的按钮在下次连接时收到。',
    'Connected buttons get a new interval at once; others when they next connect.',
  ],
  'ds.compound': ['小区', 'Compound'],
  'ds.model': ['型号', 'Model'],
  'ds.heartbeat': ['心跳间隔（分钟）', 'Heartbeat interval (minutes)'],
  'ds.grace': ['离线宽限（分钟）', 'Offline grace (minutes)'],
  'ds.by': ['修改人', 'Changed by'],
  'ds.allCompounds': ['全部小区', 'All compounds'],
  'ds.allModels': ['全部型号', 'All models'],
  'ds.inherit': ['沿用', 'inherited'],
  'ds.minutes': ['{n} 分钟', '{n} min'],
  'ds.hbHint': ['1 到 1440 分钟（24 小时）；留空则沿用下一级', '1 to 1440 minutes (24 h); empty: from the next level'],
  'ds.graceHint': ['1 到 60 分钟；留空则沿用下一级', '1 to 60 minutes; empty: from the next level'],
  'ds.modelHint': ['留空表示全部型号，如 RB-3', 'Empty for every model, e.g. RB-3'],
  'ds.setTitle': ['设置', 'Set'],
  'ds.save': ['保存', 'Save'],
  'ds.remove': ['删除', 'Remove'],
  'ds.saved': ['已保存，{n} 个按钮收到新间隔', 'Saved; {n} buttons told the new interval'],
  'ds.removed': ['已删除', 'Removed'],
  'ds.confirmRemove': [
    '删除“{n}”的设置？其按钮将沿用下一级。',
    'Remove the setting of "{n}"? Its buttons fall back to the next level.',
  ],
  'ds.staffNote': [
    '按型号或全局的默认设置只有管理员可以修改。',
    'Only an admin sets the default or a model-wide setting.',
  ],
} as const satisfies Record<string, readonly [string, string]>;

export type DeviceSettingsKey = keyof typeof WORDS;

/** The word in the current language, with `{name}` filled from `vars`. */
export function td(key: DeviceSettingsKey, vars?: Record<string, string | number>): string {
  const pair = WORDS[key];
  let text: string = lang() === 'en' ? pair[1] : pair[0];
  if (vars) for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}
