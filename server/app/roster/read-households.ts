import { DEFAULT_TIME_ZONE } from '../../../protocol/ribbon.js';
import { checkSchedule, DEFAULT_CHECKIN, type CheckInPolicy, type QuietHours } from '../../domain/check-in.js';
import { isValidTimeZone } from '../../domain/zoned-time.js';
import { checkName, formatCheckIn, formatQuietHours, parseCheckIn, parsePhone, parseQuietHours } from './cells.js';
import type { HouseholdColumn, TableRow } from './columns.js';
import { type RowError, rowError, type Said, said } from './format.js';

const MAX_RELATION = 50;
const MAX_CONTACTS = 10;

export type ContactDraft = { line: number; name: string; phone: string; relation: string };
export type HouseholdDraft = {
  /** Its first row; further rows only add contacts. */
  line: number;
  /** The 街道 / 社区 columns (null: not given; the compound stays where it is, a new one goes to the default community). */
  street: string | null;
  community: string | null;
  compound: string;
  building: string;
  room: string;
  name: string;
  /** null: not given (DEFAULT_TIME_ZONE). */
  timezone: string | null;
  /** null: not given (the default policy, stored as NULL). */
  checkin: CheckInPolicy | null;
  quietHours: QuietHours;
  contacts: ContactDraft[];
};

export const householdKey = (h: { compound: string; building: string; room: string; name: string }) =>
  [h.compound, h.building, h.room, h.name].join('\u0000');

/** Each row checked on its own; rows of one household grouped (its settings from its first row). */
export function readHouseholds(rows: readonly TableRow<HouseholdColumn>[]): {
  households: HouseholdDraft[];
  errors: RowError[];
} {
  const errors: RowError[] = [];
  const byKey = new Map<string, HouseholdDraft>();
  for (const row of rows) {
    const { line, values: v } = row;
    const problems = [...row.errors];
    const err = (field: HouseholdColumn, words: Said) => problems.push(rowError(line, field, words));
    checkName(v.compound, 'compound', line, problems);
    checkName(v.building, 'building', line, problems);
    checkName(v.name, 'name', line, problems);
    checkName(v.room, 'room', line, problems, false);
    checkName(v.street, 'street', line, problems, false);
    checkName(v.community, 'community', line, problems, false);
    if (v.street !== '' && v.community === '')
      err('community', said('填写了街道，也请填写社区', 'a street needs its community'));

    const timezone = v.timezone === '' ? null : v.timezone;
    if (timezone !== null && !isValidTimeZone(timezone))
      err(
        'timezone',
        said(
          `"${timezone}" 不是时区，应写如 ${DEFAULT_TIME_ZONE}`,
          `"${timezone}" is not a time zone such as ${DEFAULT_TIME_ZONE}`,
        ),
      );
    const checkin = parseCheckIn(v.checkin);
    if (!checkin.ok) err('checkin', checkin);
    const quiet = parseQuietHours(v.quiet_hours);
    if (!quiet.ok) err('quiet_hours', quiet);
    if (checkin.ok && quiet.ok && (timezone === null || isValidTimeZone(timezone))) {
      // The domain's own check, as the API runs it: the last word on what a schedule may be.
      const checked = checkSchedule({
        policy: checkin.value ?? DEFAULT_CHECKIN,
        timeZone: timezone ?? DEFAULT_TIME_ZONE,
        quietHours: quiet.value,
        awayUntil: null,
      });
      if (!checked.ok)
        err(
          checked.reason.startsWith('quietHours') ? 'quiet_hours' : 'checkin',
          said(`报平安设置不成立：${checked.reason}`, checked.reason),
        );
    }

    let contact: ContactDraft | null = null;
    if (v.contact_name !== '' || v.contact_phone !== '') {
      checkName(v.contact_name, 'contact_name', line, problems);
      const phone = parsePhone(v.contact_phone, ['紧急联系人', 'an emergency contact']);
      if (!phone.ok) err('contact_phone', phone);
      if (v.relation.length > MAX_RELATION)
        err('relation', said(`超过 ${MAX_RELATION} 个字符`, `is longer than ${MAX_RELATION} characters`));
      contact = { line, name: v.contact_name, phone: phone.ok ? phone.value : v.contact_phone, relation: v.relation };
    } else if (v.relation !== '') err('relation', said('填写了关系，却没有紧急联系人', 'is given without a contact'));

    if (problems.length > 0) {
      errors.push(...problems);
      continue;
    }
    const draft: HouseholdDraft = {
      line,
      street: v.street || null,
      community: v.community || null,
      compound: v.compound,
      building: v.building,
      room: v.room,
      name: v.name,
      timezone,
      checkin: checkin.ok ? checkin.value : null,
      quietHours: quiet.ok ? quiet.value : null,
      contacts: contact ? [contact] : [],
    };
    const first = byKey.get(householdKey(draft));
    if (first === undefined) {
      byKey.set(householdKey(draft), draft);
      continue;
    }
    // A further row of the same household: it adds a contact and may repeat, not change, the settings.
    const differs = (field: HouseholdColumn, given: string, mine: string, theirs: string) => {
      if (given !== '' && mine !== theirs)
        err(
          field,
          said(
            `与第 ${first.line} 行不同（一户的设置以它的第一行为准）`,
            `differs from line ${first.line} (a household's settings are read from its first row)`,
          ),
        );
    };
    differs('timezone', v.timezone, draft.timezone ?? '', first.timezone ?? '');
    differs(
      'community',
      `${v.street}${v.community}`,
      `${v.street}\u0000${v.community}`,
      `${first.street ?? ''}\u0000${first.community ?? ''}`,
    );
    differs('checkin', v.checkin, formatCheckIn(draft.checkin), formatCheckIn(first.checkin));
    differs('quiet_hours', v.quiet_hours, formatQuietHours(draft.quietHours), formatQuietHours(first.quietHours));
    if (contact === null) {
      problems.push(
        rowError(
          line,
          undefined,
          said(
            `与第 ${first.line} 行是同一户；同一户的后续行用来添加紧急联系人`,
            `repeats the household of line ${first.line}; a further row of a household adds a contact`,
          ),
        ),
      );
    } else {
      const same = first.contacts.find((c) => c.name === contact.name && c.phone === contact.phone);
      if (same !== undefined)
        problems.push(
          rowError(
            line,
            'contact_name',
            said(`与第 ${same.line} 行的联系人重复`, `repeats the contact of line ${same.line}`),
          ),
        );
      else if (first.contacts.length >= MAX_CONTACTS)
        problems.push(
          rowError(
            line,
            'contact_name',
            said(`一户最多 ${MAX_CONTACTS} 位紧急联系人`, `a household has at most ${MAX_CONTACTS} contacts`),
          ),
        );
    }
    if (problems.length > 0) errors.push(...problems);
    else if (contact !== null) first.contacts.push(contact);
  }
  return { households: [...byKey.values()], errors };
}
