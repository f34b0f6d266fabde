import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../dashboard/src/api.js';
import { qrPayload } from '../../../dashboard/src/views/device-secret.js';
import { columnText, rosterType } from '../../../dashboard/src/views/import.js';
import { conflictHousehold, errorText, fieldText } from '../../../dashboard/src/views/staff-helper.js';

/** The staff's screens' small rules (issue 15); the screens themselves: test/e2e/staff-households.test.ts. */
describe('the staff screens', () => {
  it('when a device is provisioned, then its QR code holds {v,host,port,tls,id,secret} in that order', () => {
    const text = qrPayload({
      id: 'rp-0123456789ab',
      secret: 's3cr3t',
      householdId: 4,
      connect: { host: 'ribbon.example.cn', port: 8883, tls: true },
    });
    expect(text).toBe(
      '{"v":1,"host":"ribbon.example.cn","port":8883,"tls":true,"id":"rp-0123456789ab","secret":"s3cr3t"}',
    );
  });

  it.each([
    ['住户名单.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    ['ROSTER.XLSX', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    ['people.csv', 'text/csv'],
    ['old.xls', null],
    ['notes.txt', null],
  ])('when the file is %s, then it is sent as %s', (name, type) => {
    expect(rosterType(name)).toBe(type);
  });

  it('when a row is wrong in a column, then the column is named by its Chinese header', () => {
    expect(columnText('contact_phone')).toBe('联系电话');
    expect(columnText('compound')).toBe('小区');
    expect(columnText('某列')).toBe('某列');
    expect(columnText(undefined)).toBe('—');
  });

  it('when a household is refused as taken (409), then the household named in details or the message is the one linked', () => {
    const message = '该地址已登记住户 #12 张三；如需修改，请编辑该住户 / already registered as household #12';
    const withDetails = new ApiError(409, 'RIBBON_ERR_CONFLICT', message, null, [], {
      error: { code: 'RIBBON_ERR_CONFLICT', message, details: [{ householdId: 12 }] },
    });
    expect(conflictHousehold(withDetails)).toBe(12);
    expect(conflictHousehold(new ApiError(409, 'RIBBON_ERR_CONFLICT', message))).toBe(12);
    expect(conflictHousehold(new ApiError(404, 'RIBBON_ERR_NOT_FOUND', 'not found'))).toBeNull();
    // In Chinese, the server's message as it is, its Chinese half.
    expect(errorText(withDetails)).toBe('出错了：该地址已登记住户 #12 张三；如需修改，请编辑该住户');
  });

  it('when a 400 names fields, then each is said with its problem in Chinese', () => {
    const err = new ApiError(400, 'RIBBON_ERR_VALIDATION', 'the request is not valid', null, [
      { path: 'body.contacts.0.phone', message: 'must be a mainland mobile' },
    ]);
    expect(errorText(err)).toBe('出错了：请求内容不正确；contacts.0.phone: must be a mainland mobile');
    expect(errorText(new ApiError(0, 'OFFLINE', 'Failed to fetch'))).toBe('网络不通，请稍后再试。');
    expect(fieldText('must NOT have fewer than 1 characters')).toBe('不能为空');
    expect(fieldText('must NOT have more than 100 characters')).toBe('不能超过 100 个字符');
    expect(fieldText('something new')).toBe('something new');
  });
});
