import { afterEach, describe, expect, it } from 'vitest';
import { setLang } from '../../../dashboard/src/i18n.js';
import {
  actionText,
  auditQuery,
  NO_FILTERS,
  recordText,
  resultText,
  userText,
} from '../../../dashboard/src/views/audit-helper.js';
import { channelBody, settingsText } from '../../../dashboard/src/views/channel-kinds.js';

afterEach(() => setLang('zh-CN'));

describe('an audit row in words', () => {
  it.each<[string, string, string, string]>([
    ['POST', '/api/households', '新增住户', 'Add a household'],
    ['PATCH', '/api/people/:id', '修改人员', 'Edit a person'],
    ['DELETE', '/api/channels/:id', '停用通知渠道', 'Retire a channel'],
    ['POST', '/api/session', '登录', 'Log in'],
    ['POST', '/a/:token (ack)', '短信链接：我去处理', 'SMS link: acknowledge'],
    ['POST', '/api/something-new', 'POST /api/something-new', 'POST /api/something-new'],
    ['CLI', 'add-household', '命令行：add-household', 'Command line: add-household'],
  ])('when %s %s is logged, then the action reads %s / %s', (method, route, zh, en) => {
    expect(actionText({ method, route })).toBe(zh);
    setLang('en');
    expect(actionText({ method, route })).toBe(en);
  });

  it.each<[string | null, string, string]>([
    ['person:12', '/api/people', '人员 #12'],
    ['channel:3', '/api/channels/:id', '通知渠道 #3'],
    ['12', '/api/households/:id', '住户 #12'],
    ['dev-abc', '/api/devices/:id', '设备 #dev-abc'],
    ['weird:thing', '/api/x', 'weird:thing'],
    [null, '/api/session', '—'],
  ])('when the record is %s on %s, then it reads %s', (record, route, words) => {
    expect(recordText({ record, route })).toBe(words);
  });

  it('when a row is of the admin CLI, then its user is the operating-system user, said to be the command line', () => {
    expect(userText({ username: 'os:alice', method: 'CLI' })).toBe('alice（命令行）');
    expect(userText({ username: 'admin', method: 'POST' })).toBe('admin');
    expect(userText({ username: null, method: 'POST' })).toBe('—');
  });

  it.each<[number, string]>([
    [201, '成功（201）'],
    [400, '输入有误（400）'],
    [401, '未登录或密码错误（401）'],
    [403, '无权限（403）'],
    [409, '冲突，未执行（409）'],
    [500, '服务器出错（500）'],
  ])('when the status is %i, then the result reads %s', (status, words) => {
    expect(resultText(status)).toBe(words);
  });
});

describe('the audit query', () => {
  it('when nothing is filtered, then only the page size is asked', () => {
    expect(auditQuery(NO_FILTERS)).toBe('limit=50');
  });

  it('when filters are typed, then they are sent by the contract’s names, dates as instants covering whole local days, the cursor last', () => {
    const q = new URLSearchParams(
      auditQuery(
        {
          ...NO_FILTERS,
          username: ' admin ',
          method: 'POST',
          route: '/api/people',
          status: '4xx',
          from: '2026-12-01',
          to: '2026-12-02',
        },
        'abc',
      ),
    );
    expect(q.get('username')).toBe('admin');
    expect(q.get('method')).toBe('POST');
    expect(q.get('route')).toBe('/api/people');
    expect(q.get('status')).toBe('4xx');
    expect(q.get('record')).toBeNull();
    expect(Date.parse(q.get('from') ?? '')).toBe(new Date(2026, 11, 1).getTime());
    // "to" is "before": the next local midnight, so all of 2 December is in.
    expect(Date.parse(q.get('to') ?? '')).toBe(new Date(2026, 11, 3).getTime());
    expect(q.get('cursor')).toBe('abc');
  });
});

describe('a channel’s form as the body of POST /api/channels', () => {
  it('when an Alibaba Cloud SMS channel is filled in, then templates are nested, numbers are numbers and empty optional fields are left out', () => {
    const body = channelBody('aliyun-sms', ' 短信 ', 4, {
      accessKeyId: ' LTAI ',
      accessKeySecret: 's3cret',
      signName: '彩带之约',
      'templates.emergency': 'SMS_1',
      'templates.service': 'SMS_2',
      'templates.missed_checkin': 'SMS_3',
      endpoint: '',
      timeoutMs: '5000',
    });
    expect(body).toEqual({
      kind: 'aliyun-sms',
      compound: 4,
      name: '短信',
      accessKeyId: 'LTAI',
      accessKeySecret: 's3cret',
      signName: '彩带之约',
      templates: { emergency: 'SMS_1', service: 'SMS_2', missed_checkin: 'SMS_3' },
      timeoutMs: 5000,
    });
  });

  it('when a required field is left empty, then it is sent empty for the server to name it', () => {
    expect(channelBody('webhook', '', null, { url: 'http://x/hook', secret: '' })).toEqual({
      kind: 'webhook',
      compound: null,
      url: 'http://x/hook',
      secret: '',
    });
  });

  it('when a channel is listed, then its secrets read as set, never a value', () => {
    expect(settingsText({ url: 'http://x/hook', secret: 'set', templates: { emergency: 'SMS_1' } }, '已设置')).toBe(
      'url: http://x/hook · secret: 已设置 · templates: emergency=SMS_1',
    );
  });
});
