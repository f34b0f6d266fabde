import { PERSON_ROLES, type PersonRole } from '../../../protocol/community.js';
import { api } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, replace } from '../dom.js';
import { ta } from '../i18n-admin.js';
import {
  allPages,
  clearErrors,
  failure,
  field,
  loadPlaces,
  notFor,
  type Places,
  rowButton,
  showErrors,
  table,
} from './admin-kit.js';

/**
 * 人员 People (GET/POST /api/people, PATCH/DELETE /api/people/:id): who answers alarms, their
 * role and tier, and where they answer — a building, a compound, a whole community or the whole
 * district (the last two an admin's). Staff see and change the people of their compounds. A
 * phone must be a mainland mobile: the server's refusal is shown at the field, in its words.
 */
export type Person = {
  id: number;
  name: string;
  phone: string | null;
  role: PersonRole;
  tier: 1 | 2 | 3;
  compoundId: number | null;
  buildingId: number | null;
  communityId: number | null;
};
type Building = { id: number; compoundId: number; name: string };
type PlaceLevel = 'building' | 'compound' | 'community' | 'district';

export function peopleView(ctx: Ctx): View {
  const refused = notFor(['staff', 'admin'], ctx.user.role, 'people-view');
  if (refused) return refused;
  const admin = ctx.user.role === 'admin';
  let seq = 0;
  let places: Places = { areas: [], compounds: [] };
  let buildings: Building[] = [];
  let people: Person[] = [];
  let editing: Person | null = null;

  const fCompound = h('select', { id: 'ppl-f-compound' });
  const fCommunity = h('select', { id: 'ppl-f-community' });
  const fTier = h(
    'select',
    { id: 'ppl-f-tier' },
    h('option', { value: '' }, ta('adm.all')),
    ...[1, 2, 3].map((n) => h('option', { value: n }, ta('ppl.tierN', { n }))),
  );
  const status = h('p', { class: 'fig-status', id: 'people-status', role: 'status' });
  const list = h('div', { id: 'people-list' });
  const formBox = h('div', { id: 'people-form-box' });
  const el = h(
    'section',
    { class: 'adm-view', id: 'people-view', 'aria-labelledby': 'people-title' },
    h('h1', { id: 'people-title' }, ta('ppl.title')),
    h('p', { class: 'adm-intro' }, ta('ppl.intro')),
    h(
      'div',
      { class: 'adm-filters', role: 'group', 'aria-label': ta('aud.search') },
      h('span', { class: 'fig-field' }, h('label', { for: 'ppl-f-compound' }, ta('ppl.compound')), fCompound),
      h('span', { class: 'fig-field' }, h('label', { for: 'ppl-f-community' }, ta('ppl.community')), fCommunity),
      h('span', { class: 'fig-field' }, h('label', { for: 'ppl-f-tier' }, ta('ppl.tier')), fTier),
    ),
    status,
    list,
    formBox,
  );
  for (const s of [fCompound, fCommunity, fTier]) s.addEventListener('change', () => renderList());

  const compoundName = (id: number | null) => places.compounds.find((c) => c.id === id)?.name ?? `#${id}`;
  const communityName = (id: number | null) => places.areas.find((a) => a.id === id)?.name ?? `#${id}`;
  const placeText = (p: Person): string => {
    if (p.compoundId !== null) {
      const b = p.buildingId === null ? null : buildings.find((x) => x.id === p.buildingId);
      return b ? `${compoundName(p.compoundId)} ${b.name}` : compoundName(p.compoundId);
    }
    return p.communityId !== null ? ta('ppl.communityWide', { c: communityName(p.communityId) }) : ta('adm.district');
  };
  const roleText = (r: PersonRole) => ta(`ppl.role.${r}`);

  async function load(): Promise<void> {
    const mine = ++seq;
    status.textContent = ta('adm.loading');
    try {
      const [p, b, list] = await Promise.all([
        loadPlaces(),
        allPages<Building>('/api/buildings'),
        allPages<Person>('/api/people'),
      ]);
      if (mine !== seq) return;
      places = p;
      buildings = b;
      people = list;
      status.textContent = '';
      fillFilters();
      renderList();
      renderForm();
    } catch (err) {
      if (mine === seq) status.textContent = failure(err);
    }
  }

  function fillFilters(): void {
    const keep = [fCompound.value, fCommunity.value];
    replace(
      fCompound,
      h('option', { value: '' }, ta('adm.all')),
      ...places.compounds.map((c) => h('option', { value: c.id }, c.name)),
    );
    replace(
      fCommunity,
      h('option', { value: '' }, ta('adm.all')),
      ...places.areas.filter((a) => a.level === 'community').map((a) => h('option', { value: a.id }, a.name)),
    );
    fCompound.value = keep[0] ?? '';
    fCommunity.value = keep[1] ?? '';
  }

  function shown(p: Person): boolean {
    if (fTier.value !== '' && p.tier !== Number(fTier.value)) return false;
    if (fCompound.value !== '' && p.compoundId !== Number(fCompound.value)) return false;
    if (fCommunity.value !== '') {
      const c = Number(fCommunity.value);
      const of =
        p.compoundId === null ? p.communityId : places.compounds.find((x) => x.id === p.compoundId)?.communityId;
      if (of !== c) return false;
    }
    return true;
  }

  function renderList(): void {
    const rows = people.filter(shown).sort((a, b) => a.tier - b.tier || a.name.localeCompare(b.name, 'zh-CN'));
    replace(
      list,
      h('p', { class: 'adm-count' }, ta('adm.count', { n: rows.length })),
      rows.length === 0
        ? h('p', null, ta('ppl.empty'))
        : table(
            'people-table',
            [ta('ppl.name'), ta('ppl.phone'), ta('ppl.role'), ta('ppl.tier'), ta('ppl.place'), ta('adm.actions')],
            rows.map((p) =>
              h(
                'tr',
                { 'data-person': p.id },
                h('th', { scope: 'row' }, p.name),
                h('td', null, p.phone ? h('a', { href: `tel:${p.phone}` }, p.phone) : '—'),
                h('td', null, roleText(p.role)),
                h('td', null, ta('ppl.tierN', { n: p.tier })),
                h('td', null, placeText(p)),
                h(
                  'td',
                  { class: 'adm-row-actions' },
                  rowButton('adm.edit', p.name, () => {
                    editing = p;
                    renderForm();
                    document.getElementById('ppl-name')?.focus();
                  }),
                  rowButton('adm.remove', p.name, (b) => void remove(p, b)),
                ),
              ),
            ),
          ),
    );
  }

  async function remove(p: Person, button: HTMLButtonElement): Promise<void> {
    if (!window.confirm(ta('ppl.confirmRemove', { n: p.name }))) return;
    button.disabled = true;
    try {
      await api('DELETE', `/api/people/${p.id}`);
      ctx.toast(ta('ppl.removed', { n: p.name }));
      if (editing?.id === p.id) editing = null;
      await load();
    } catch (err) {
      button.disabled = false;
      ctx.toast(failure(err), 'error');
    }
  }

  function renderForm(): void {
    const p = editing;
    const name = h('input', { required: true, maxlength: 100, autocomplete: 'off', value: p?.name ?? '' });
    const phone = h('input', {
      type: 'tel',
      inputmode: 'tel',
      required: true,
      maxlength: 40,
      autocomplete: 'off',
      value: p?.phone ?? '',
    });
    const role = h('select', null, ...PERSON_ROLES.map((r) => h('option', { value: r }, roleText(r))));
    const tier = h('select', null, ...[1, 2, 3].map((n) => h('option', { value: n }, ta('ppl.tierN', { n }))));
    role.value = p?.role ?? 'volunteer';
    tier.value = String(p?.tier ?? 1);
    const levels: PlaceLevel[] = admin ? ['building', 'compound', 'community', 'district'] : ['building', 'compound'];
    const level = h('select', null, ...levels.map((l) => h('option', { value: l }, ta(`adm.level.${l}`))));
    const compound = h(
      'select',
      null,
      ...places.compounds.filter((c) => c.editable !== false).map((c) => h('option', { value: c.id }, c.name)),
    );
    const building = h('select');
    const community = h(
      'select',
      null,
      ...places.areas.filter((a) => a.level === 'community').map((a) => h('option', { value: a.id }, a.name)),
    );
    const fillBuildings = () =>
      replace(
        building,
        ...buildings
          .filter((b) => b.compoundId === Number(compound.value))
          .map((b) => h('option', { value: b.id }, b.name)),
      );
    fillBuildings();
    level.value = 'compound';
    const fCompound = field('ppl-compound', ta('ppl.compound'), compound);
    const fBuilding = field('ppl-building', ta('ppl.building'), building);
    const fCommunity = field('ppl-community', ta('ppl.community'), community);
    const showPlace = () => {
      fCompound.hidden = !(level.value === 'building' || level.value === 'compound');
      fBuilding.hidden = level.value !== 'building';
      fCommunity.hidden = level.value !== 'community';
    };
    compound.addEventListener('change', fillBuildings);
    level.addEventListener('change', showPlace);
    showPlace();
    const inputs: Record<string, HTMLElement> = {
      name,
      phone,
      role,
      tier,
      compoundId: compound,
      buildingId: building,
      communityId: community,
    };
    const error = h('p', { class: 'form-error', role: 'alert', id: 'ppl-error' });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'ppl-submit' }, ta(p ? 'adm.save' : 'adm.add'));
    const cancel = p
      ? h(
          'button',
          {
            type: 'button',
            onclick: () => {
              editing = null;
              renderForm();
            },
          },
          ta('adm.cancel'),
        )
      : null;
    const form = h(
      'form',
      { class: 'adm-form card', id: 'people-form', 'aria-labelledby': 'ppl-form-title' },
      h('h2', { id: 'ppl-form-title' }, p ? ta('ppl.editTitle', { n: p.name }) : ta('ppl.addTitle')),
      field('ppl-name', ta('ppl.name'), name),
      field('ppl-phone', ta('ppl.phone'), phone, ta('ppl.phoneHint')),
      field('ppl-role', ta('ppl.role'), role),
      field('ppl-tier', ta('ppl.tier'), tier),
      p ? h('p', { class: 'adm-note' }, `${ta('ppl.place')}：${placeText(p)}。${ta('ppl.placeFixed')}`) : null,
      p ? null : field('ppl-level', ta('ppl.placeLevel'), level),
      p ? null : fCompound,
      p ? null : fBuilding,
      p ? null : fCommunity,
      error,
      h('div', { class: 'adm-buttons' }, submit, cancel),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearErrors(Object.values(inputs), error);
      submit.disabled = true;
      const l = level.value as PlaceLevel;
      const request = p
        ? api<Person>('PATCH', `/api/people/${p.id}`, {
            name: name.value.trim(),
            role: role.value,
            tier: Number(tier.value),
            // A number stored before the rule is kept as it is unless it is changed here.
            ...(phone.value.trim() !== (p.phone ?? '') ? { phone: phone.value.trim() } : {}),
          })
        : api<Person>('POST', '/api/people', {
            name: name.value.trim(),
            phone: phone.value.trim(),
            role: role.value,
            tier: Number(tier.value),
            compoundId: l === 'building' || l === 'compound' ? Number(compound.value) || null : null,
            buildingId: l === 'building' ? Number(building.value) || null : null,
            communityId: l === 'community' ? Number(community.value) || null : null,
          });
      request
        .then(async (saved) => {
          ctx.toast(p ? ta('adm.saved') : ta('ppl.added', { n: saved.name }));
          editing = null;
          await load();
        })
        .catch((err: unknown) => {
          submit.disabled = false;
          showErrors(err, inputs, error);
        });
    });
    replace(formBox, form);
  }

  void load();
  return { el, destroy: () => void ++seq };
}
