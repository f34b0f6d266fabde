import type { Role } from './api.js';

/**
 * The staff's screens listed on 管理 / Manage (views/manage.ts), in order (issue 15). Each is a
 * lazy route of router.ts (`#/<route>`); its words are here, Chinese first, so that a screen
 * added to the list needs no edit of i18n.ts. `roles` says who sees the link; a role not named
 * does not see it (volunteers see none). Who may change things is the server's rule: a
 * read-only scope sees the screen and its answers refuse the change.
 */
export type ManageScreen = {
  /** The route's name: the link is `#/<route>`. */
  route: string;
  /** The link's word, [zh-CN, en]. */
  words: readonly [zh: string, en: string];
  /** One line under the word, [zh-CN, en]. */
  about: readonly [zh: string, en: string];
  roles: readonly Role[];
};

export const MANAGE_SCREENS: readonly ManageScreen[] = [
  {
    route: 'households',
    words: ['住户', 'Households'],
    about: ['登记、修改、换楼、注销住户', 'Register, edit, move and close households'],
    roles: ['staff', 'admin'],
  },
  {
    route: 'devices',
    words: ['设备', 'Devices'],
    about: ['为住户添加按钮、更换密钥、停用、转移', 'Add, re-key, retire and move buttons'],
    roles: ['staff', 'admin'],
  },
  {
    route: 'device-settings',
    words: ['设备设置', 'Device settings'],
    about: ['按小区或型号设置心跳间隔和离线宽限', 'Heartbeat interval and offline grace per compound or model'],
    roles: ['staff', 'admin'],
  },
  {
    route: 'fleet',
    words: ['批量添加设备', 'Bulk devices'],
    about: [
      '上传住户表，一次为多户添加按钮，下载密钥表、打印标签',
      'Upload households, add their buttons at once, download the secrets, print labels',
    ],
    roles: ['staff', 'admin'],
  },
  {
    route: 'inventory',
    words: ['设备清单', 'Device inventory'],
    about: [
      '型号、固件、电量、在线情况：按小区、型号、离线、电量低筛选',
      'Model, firmware, battery, online: filter by compound, model, offline, low battery',
    ],
    roles: ['staff', 'admin'],
  },
  {
    route: 'import',
    words: ['名单导入', 'Roster import'],
    about: ['上传 CSV 或 Excel 名单，先预览再导入', 'Upload a CSV or Excel roster: preview, then import'],
    roles: ['staff', 'admin'],
  },
  {
    route: 'people',
    words: ['人员', 'People'],
    about: ['接警人员及其层级：新增、修改、移除', 'Who answers alarms, and their tiers: add, edit, remove'],
    roles: ['staff', 'admin'],
  },
  {
    route: 'users',
    words: ['账号', 'Logins'],
    about: ['登录账号、管辖范围、停用、重置密码、API 令牌', 'Logins, their scopes, disabling, passwords, API tokens'],
    roles: ['admin'],
  },
  {
    route: 'channels',
    words: ['通知渠道', 'Channels'],
    about: ['群机器人、短信、电话：查看、新增、停用', 'Group robots, SMS, calls: list, add, retire'],
    roles: ['staff', 'admin'],
  },
  {
    route: 'audit',
    words: ['操作记录', 'Audit log'],
    about: ['谁在何时做了什么，可按用户、操作、日期筛选', 'Who did what and when, filtered by user, action, date'],
    roles: ['admin'],
  },
];
