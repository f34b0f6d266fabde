import { lang } from '../i18n.js';

/**
 * 操作记录 in words (views/audit.ts): an audit row of GET /api/audit is stored as the server saw
 * the request — method, route pattern, record, status — and read here as what a person did:
 * `POST /api/households` → 新增住户. A route not in the list is shown as it was stored (never
 * hidden); so is a record whose kind is not known. Rows of the admin CLI (method `CLI`, username
 * `os:<operating-system user>`) read as 命令行. Pure: no DOM, for the unit tests.
 */
type Pair = readonly [zh: string, en: string];

export type AuditRow = {
  id: number;
  at: string;
  userId: number | null;
  username: string | null;
  method: string;
  route: string;
  record: string | null;
  status: number;
  address: string | null;
};

/** What each state-changing route (and each audited read) does, by `METHOD route`. */
export const ACTIONS: Readonly<Record<string, Pair>> = {
  'POST /api/session': ['登录', 'Log in'],
  'DELETE /api/session': ['退出登录', 'Log out'],
  'POST /api/households': ['新增住户', 'Add a household'],
  'PATCH /api/households/:id': ['修改住户', 'Edit a household'],
  'POST /api/households/:id/close': ['注销住户', 'Close a household'],
  'POST /api/households/:id/reopen': ['恢复住户', 'Reopen a household'],
  'POST /api/households/:id/anonymise': ['匿名化住户', 'Anonymise a household'],
  'POST /api/households/:id/reports': ['代报状态', 'Report for a household'],
  'POST /api/households/:id/visits': ['巡查记录', 'Patrol visit'],
  'GET /api/households/:id/personal-data': ['导出住户个人信息', 'Export a household’s personal data'],
  'POST /api/alerts/:id/ack': ['我去处理', 'Acknowledge an alert'],
  'POST /api/alerts/:id/claim': ['认领服务请求', 'Claim a service request'],
  'POST /api/alerts/:id/arrive': ['已到场', 'Arrived'],
  'POST /api/alerts/:id/resolve': ['已解决', 'Resolve an alert'],
  'POST /api/compounds': ['新增小区', 'Add a compound'],
  'PATCH /api/compounds/:id': ['修改小区', 'Edit a compound'],
  'PATCH /api/buildings/:id': ['修改楼栋', 'Edit a building'],
  'POST /api/devices': ['添加设备', 'Add a device'],
  'PATCH /api/devices/:id': ['转移设备', 'Move a device'],
  'DELETE /api/devices/:id': ['停用设备', 'Retire a device'],
  'POST /api/devices/:id/rotate': ['更换设备密钥', 'Re-key a device'],
  'POST /api/people': ['新增人员', 'Add a person'],
  'PATCH /api/people/:id': ['修改人员', 'Edit a person'],
  'DELETE /api/people/:id': ['移除人员', 'Remove a person'],
  'GET /api/people/:id/personal-data': ['导出人员个人信息', 'Export a person’s personal data'],
  'POST /api/users': ['新增账号', 'Add a login'],
  'PATCH /api/users/:id': ['修改账号', 'Change a login'],
  'POST /api/tokens': ['签发 API 令牌', 'Issue an API token'],
  'DELETE /api/tokens/:id': ['吊销 API 令牌', 'Revoke an API token'],
  'POST /api/channels': ['新增通知渠道', 'Add a channel'],
  'DELETE /api/channels/:id': ['停用通知渠道', 'Retire a channel'],
  'POST /api/places': ['新增地方', 'Add a place'],
  'PATCH /api/places/:id': ['修改地方', 'Change a place'],
  'PUT /api/compounds/:id/duty': ['修改值班表', 'Set a duty roster'],
  'POST /api/compounds/:id/duty/overrides': ['新增换班或请假', 'Add a swap or leave'],
  'DELETE /api/duty/overrides/:id': ['删除换班或请假', 'Remove a swap or leave'],
  'PUT /api/communities/:id/duty': ['修改社区值班表', 'Set a community’s duty roster'],
  'POST /api/communities/:id/duty/overrides': ['新增社区换班或请假', 'Add a community swap or leave'],
  'DELETE /api/communities/:id/duty/overrides/:overrideId': ['删除社区换班或请假', 'Remove a community swap or leave'],
  'POST /api/import/households': ['导入住户名单', 'Import households'],
  'POST /api/import/people': ['导入人员名单', 'Import people'],
  'GET /api/export/households': ['导出住户名单', 'Export households'],
  'GET /api/export/people': ['导出人员名单', 'Export people'],
};

/** The one-tap link's actions (`/a/:token (ack)`), done by a person without a login. */
const LINK_ACTIONS: Readonly<Record<string, Pair>> = {
  ack: ['短信链接：我去处理', 'SMS link: acknowledge'],
  arrive: ['短信链接：已到场', 'SMS link: arrived'],
  resolve: ['短信链接：已解决', 'SMS link: resolve'],
};

/** The kinds a record names (`person:12`). */
const RECORDS: Readonly<Record<string, Pair>> = {
  household: ['住户', 'household'],
  person: ['人员', 'person'],
  user: ['账号', 'login'],
  token: ['令牌', 'token'],
  channel: ['通知渠道', 'channel'],
  device: ['设备', 'device'],
  alert: ['警报', 'alert'],
  compound: ['小区', 'compound'],
  building: ['楼栋', 'building'],
  place: ['地方', 'place'],
  override: ['换班', 'swap'],
  export: ['导出', 'export'],
  import: ['导入', 'import'],
};

/** For a bare id (the route's `:id`): which kind the route's first part names. */
const ROUTE_KINDS: Readonly<Record<string, string>> = {
  households: 'household',
  people: 'person',
  users: 'user',
  tokens: 'token',
  channels: 'channel',
  devices: 'device',
  alerts: 'alert',
  compounds: 'compound',
  buildings: 'building',
  places: 'place',
  communities: 'place',
  duty: 'override',
};

const pick = (p: Pair): string => (lang() === 'en' ? p[1] : p[0]);

export const CLI_METHOD = 'CLI';

/** The operation of a row: words where the route is known, else the method and route as stored. */
export function actionText(row: Pick<AuditRow, 'method' | 'route'>): string {
  if (row.method === CLI_METHOD) return `${pick(['命令行：', 'Command line: '])}${row.route}`;
  const known = ACTIONS[`${row.method} ${row.route}`];
  if (known) return pick(known);
  const link = /^\/a\/:token \((\w+)\)$/.exec(row.route);
  const linkWords = link ? LINK_ACTIONS[link[1] ?? ''] : undefined;
  if (linkWords) return pick(linkWords);
  return `${row.method} ${row.route}`;
}

/** Who did it: a login's name; `os:<user>` of the CLI; a person or contact of a one-tap link as stored. */
export function userText(row: Pick<AuditRow, 'username' | 'method'>): string {
  const name = row.username ?? '—';
  const os = /^os:(.+)$/.exec(name);
  if (os) return `${os[1]}（${pick(['命令行', 'command line'])}）`;
  return name;
}

/** The record: `person:12` → 人员 #12; a bare id by the route's kind; anything else as stored. */
export function recordText(row: Pick<AuditRow, 'record' | 'route'>): string {
  const record = row.record;
  if (record === null || record === '') return '—';
  const typed = /^([a-z_]+):(.+)$/.exec(record);
  if (typed) {
    const words = RECORDS[typed[1] ?? ''];
    return words ? `${pick(words)} #${typed[2]}` : record;
  }
  if (/^[\w-]+$/.test(record)) {
    const kind = ROUTE_KINDS[row.route.split('/')[2] ?? ''];
    const words = kind === undefined ? undefined : RECORDS[kind];
    if (words) return `${pick(words)} #${record}`;
  }
  return record;
}

/** The outcome: success, or the refusal's kind, with the status for whoever needs it. */
export function resultText(status: number): string {
  const words: Pair =
    status < 400
      ? ['成功', 'done']
      : status === 401
        ? ['未登录或密码错误', 'not signed in / wrong password']
        : status === 403
          ? ['无权限', 'not allowed']
          : status === 404
            ? ['未找到', 'not found']
            : status === 409
              ? ['冲突，未执行', 'conflict: not done']
              : status === 429
                ? ['过于频繁', 'too many attempts']
                : status < 500
                  ? ['输入有误', 'refused: bad input']
                  : ['服务器出错', 'server error'];
  return `${pick(words)}（${status}）`;
}

/** The filters of the audit screen, as typed (empty: not filtered). Dates are local days `YYYY-MM-DD`. */
export type AuditFilters = {
  username: string;
  method: string;
  route: string;
  record: string;
  status: string;
  from: string;
  to: string;
};

export const NO_FILTERS: AuditFilters = {
  username: '',
  method: '',
  route: '',
  record: '',
  status: '',
  from: '',
  to: '',
};

/**
 * The query of GET /api/audit (docs/api.md, the names of the contract): the filters given
 * (`status` one, `403`, or a class, `4xx`), `from` at the start of its local day and `to` at the
 * end of its own, both as ISO instants; a page's cursor when asking for more.
 */
export function auditQuery(f: AuditFilters, cursor: string | null = null, limit = 50): string {
  const q = new URLSearchParams();
  for (const key of ['username', 'method', 'route', 'record', 'status'] as const) {
    const value = f[key].trim();
    if (value !== '') q.set(key, value);
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(f.from)) q.set('from', new Date(`${f.from}T00:00:00`).toISOString());
  if (/^\d{4}-\d{2}-\d{2}$/.test(f.to)) {
    // `to` is "before": the start of the next local day, so the day chosen is included whole.
    const end = new Date(`${f.to}T00:00:00`);
    end.setDate(end.getDate() + 1);
    q.set('to', end.toISOString());
  }
  q.set('limit', String(limit));
  if (cursor !== null) q.set('cursor', cursor);
  return q.toString();
}

/** A moment in full, to the second, in the reader's clock: `2026-12-02 19:55:03`. */
export function stampText(at: string): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return at;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
