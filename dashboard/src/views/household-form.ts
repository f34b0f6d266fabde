import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { st } from '../i18n-staff.js';
import {
  type CheckIn,
  type Compound,
  type Contact,
  conflictHousehold,
  errorText,
  field,
  type HouseholdRow,
  markFields,
} from './staff-helper.js';

/**
 * The household's form (issue 15): register one (POST /api/households) or change one (PATCH
 * /api/households/:id — a new building moves it there). Name, compound (on register), building,
 * room, the check-in rule and the emergency contacts. A 400 marks its fields; a 409 (the address
 * is taken) says so and links the household that has it.
 */
export function householdForm(opts: {
  compounds: readonly Compound[];
  /** An admin may name a new compound (it is made with its first household). */
  allowNewCompound: boolean;
  /** Absent: a new household. */
  household?: HouseholdRow;
  readOnly?: boolean;
  onSaved: (h: HouseholdRow) => void;
}): HTMLFormElement {
  const x = opts.household;
  const name = h('input', { required: true, maxlength: 100, value: x?.name ?? '', autocomplete: 'off' });
  const compoundList = h('datalist', { id: 'hf-compound-list' });
  const compound = opts.allowNewCompound
    ? h('input', { required: true, maxlength: 100, list: 'hf-compound-list', value: opts.compounds[0]?.name ?? '' })
    : h('select', { required: true }, ...opts.compounds.map((c) => h('option', { value: c.name }, c.name)));
  const building = h('input', { required: true, maxlength: 100, list: 'hf-building-list', value: x?.building ?? '' });
  const buildingList = h('datalist', { id: 'hf-building-list' });
  const room = h('input', { maxlength: 100, value: x?.room ?? '', autocomplete: 'off' });
  replace(compoundList, ...opts.compounds.map((c) => h('option', { value: c.name })));
  const fillBuildings = () => {
    const c = opts.compounds.find((c) => c.name === (x?.compound ?? compound.value.trim()));
    replace(buildingList, ...(c?.buildings ?? []).map((b) => h('option', { value: b.name })));
  };
  compound.addEventListener('change', fillBuildings);
  fillBuildings();

  // The check-in rule: the server's default, every N hours with a grace, or a daily deadline.
  const ck = x?.checkin ?? null;
  const kind = h(
    'select',
    null,
    h('option', { value: x ? 'keep' : 'default' }, x ? ruleText(ck) : st('hf.ck.default')),
    h('option', { value: 'interval' }, st('hf.ck.interval')),
    h('option', { value: 'deadline' }, st('hf.ck.deadline')),
  );
  const every = h('input', { type: 'number', min: 1, max: 720, step: 'any', value: hours(ck, 'everySec', 24) });
  const grace = h('input', { type: 'number', min: 0, max: 720, step: 'any', value: hours(ck, 'graceSec', 2) });
  const deadline = h('input', { type: 'time', value: ck && 'deadline' in ck ? ck.deadline : '10:00' });
  const intervalBox = h(
    'div',
    { class: 'staff-row', hidden: true },
    field('hf-every', st('hf.everyH'), every),
    field('hf-grace', st('hf.graceH'), grace),
  );
  const deadlineBox = h('div', { class: 'staff-row', hidden: true }, field('hf-deadline', st('hf.deadline'), deadline));
  kind.addEventListener('change', () => {
    intervalBox.hidden = kind.value !== 'interval';
    deadlineBox.hidden = kind.value !== 'deadline';
  });

  const contactRows = h('div', { class: 'staff-contacts', id: 'hf-contacts' });
  let n = 0;
  const addContact = (c?: Contact) => {
    const i = n++;
    const cName = h('input', { maxlength: 100, value: c?.name ?? '', autocomplete: 'off' });
    const cPhone = h('input', { type: 'tel', maxlength: 20, value: c?.phone ?? '', autocomplete: 'off' });
    const cRel = h('input', { maxlength: 50, value: c?.relation ?? '' });
    const remove = h('button', { type: 'button', class: 'link' }, st('hf.cRemove'));
    const line = h(
      'fieldset',
      { class: 'staff-contact', 'data-contact': i },
      h('legend', { class: 'sr-only' }, `${st('hf.contacts')} ${i + 1}`),
      field(`hf-c${i}-name`, st('hf.cName'), cName),
      field(`hf-c${i}-phone`, st('hf.cPhone'), cPhone),
      field(`hf-c${i}-relation`, st('hf.cRelation'), cRel),
      remove,
    );
    remove.addEventListener('click', () => line.remove());
    contactRows.append(line);
  };
  for (const c of x?.contacts ?? []) addContact(c);
  if (!x) addContact();
  const addButton = h('button', { type: 'button', id: 'hf-c-add' }, st('hf.cAdd'));
  addButton.addEventListener('click', () => addContact());

  const error = h('div', { class: 'form-error', role: 'alert', id: 'hf-error' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'hf-submit' }, x ? st('m.save') : st('hf.create'));
  const inputs: Record<string, HTMLElement> = { name, compound, building, room, checkin: kind };
  const form = h(
    'form',
    { class: 'staff-form card', id: x ? 'hf-edit' : 'hf-new', 'aria-labelledby': x ? 'hf-edit-title' : 'hf-title' },
    x ? h('h2', { id: 'hf-edit-title' }, st('hf.details')) : null,
    h(
      'div',
      { class: 'staff-grid' },
      field('hf-name', st('hf.name'), name),
      x ? h('div', { class: 'staff-field' }, h('span', null, st('hf.compound')), h('strong', null, x.compound)) : null,
      x ? null : field('hf-compound', st('hf.compound'), compound),
      field('hf-building', st('hf.building'), building, x ? st('hf.buildingHint') : undefined),
      field('hf-room', st('hf.room'), room),
      field('hf-checkin', st('hf.checkin'), kind),
    ),
    compoundList,
    buildingList,
    intervalBox,
    deadlineBox,
    h('h3', null, st('hf.contacts')),
    contactRows,
    addButton,
    error,
    opts.readOnly ? null : submit,
  );
  if (opts.readOnly) for (const el of form.querySelectorAll('input, select, button')) el.setAttribute('disabled', '');

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    replace(error);
    submit.disabled = true;
    // The server names a contact by its place in the list sent (empty lines are not sent).
    const sent = filledContacts();
    const all: Record<string, HTMLElement> = { ...inputs };
    sent.forEach((line, k) => {
      for (const part of ['name', 'phone', 'relation'] as const)
        all[`contacts.${k}.${part}`] = document.getElementById(`hf-c${line.dataset.contact}-${part}`) as HTMLElement;
    });
    const body = bodyOf();
    const request = x
      ? api<HouseholdRow>('PATCH', `/api/households/${x.id}`, body)
      : api<HouseholdRow>('POST', '/api/households', body);
    request
      .then((saved) => {
        submit.disabled = false;
        markFields(null, all);
        opts.onSaved(saved);
      })
      .catch((err: unknown) => {
        submit.disabled = false;
        const marked = markFields(err, all);
        const taken = conflictHousehold(err);
        replace(
          error,
          marked ? `${st('m.fix')} ` : null,
          errorText(err),
          taken !== null && taken !== x?.id
            ? h('a', { href: `#/households/${taken}/edit`, id: 'hf-taken-link' }, ` ${st('m.open')} #${taken}`)
            : null,
        );
      });
  });

  /** The contact lines with a name or a phone. */
  function filledContacts(): HTMLElement[] {
    return [...contactRows.querySelectorAll<HTMLElement>('[data-contact]')].filter((line) =>
      [...line.querySelectorAll('input')].slice(0, 2).some((i) => i.value.trim() !== ''),
    );
  }

  function bodyOf(): Record<string, unknown> {
    const contacts = filledContacts().map((line) => {
      const [cn, cp, cr] = [...line.querySelectorAll('input')].map((i) => i.value.trim());
      return { name: cn ?? '', phone: cp ?? '', ...(cr ? { relation: cr } : {}) };
    });
    const checkin: CheckIn | undefined =
      kind.value === 'interval'
        ? { everySec: Math.round(Number(every.value) * 3600), graceSec: Math.round(Number(grace.value) * 3600) }
        : kind.value === 'deadline'
          ? { deadline: deadline.value }
          : undefined;
    const body: Record<string, unknown> = { name: name.value.trim(), room: room.value.trim(), contacts };
    if (checkin) body.checkin = checkin;
    if (!x) {
      body.compound = compound.value.trim();
      body.building = building.value.trim();
    } else if (building.value.trim() !== x.building) body.building = building.value.trim();
    return body;
  }
  return form;
}

function hours(ck: CheckIn | null, key: 'everySec' | 'graceSec', fallback: number): number {
  return ck && key in ck ? (ck as Record<typeof key, number>)[key] / 3600 : fallback;
}

/** The stored rule in words, e.g. "每 24 小时，宽限 2 小时" / "每天 10:00 前". */
function ruleText(ck: CheckIn | null): string {
  if (ck === null) return st('hf.ck.default');
  if ('deadline' in ck) return st('hf.ck.before', { t: ck.deadline });
  return st('hf.ck.every', { e: round(ck.everySec / 3600), g: round(ck.graceSec / 3600) });
}

function round(hours: number): number {
  return Math.round(hours * 100) / 100;
}
