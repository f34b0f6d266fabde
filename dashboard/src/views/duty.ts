import { api, ApiError } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, replace } from '../dom.js';
import { t, type WordKey } from '../i18n.js';
import {
  communitiesShown,
  daysText,
  type DutyJson,
  type DutyPerson,
  type FieldError,
  type Override,
  type Area,
  type ScopeEntry,
  type Place,
  wallInput,
  whenText,
} from './duty-helper.js';

export { communitiesShown, daysText, type DutyJson, wallInput, whenText };

/**
 * 值班 Duty (GET /api/compounds/:id/duty, GET /api/communities/:id/duty): for the compound or
 * community chosen (a list of those the user sees; a community's when the user sees all of it),
 * who is on duty now and who is next — from when — per tier, the week's shifts, and the swaps and
 * leave not over yet. A community's roster serves its compounds at the tiers they have no roster
 * of their own for (issue 14): the compound's page says which tiers follow it, the community's
 * which compounds keep their own. Staff and admins add a swap or leave here (and remove one); the
 * weekly shifts are set through the API or the admin tool. Times are in the roster's zone.
 */
export function dutyView(ctx: Ctx): View {
  const staffOrAdmin = ctx.user.role === 'admin' || ctx.user.role === 'staff';
  let canEdit = staffOrAdmin;
  let editableCommunities = new Set<number>();
  let place: Place | null = null;
  let seq = 0;
  const base = (p: Place) => `/api/${p.kind === 'compound' ? 'compounds' : 'communities'}/${p.id}/duty`;

  const select = h('select', { id: 'duty-compound' });
  const selectField = h(
    'label',
    { class: 'fig-field', for: 'duty-compound', hidden: true },
    t('duty.place'),
    ' ',
    select,
  );
  const status = h('p', { class: 'fig-status', id: 'duty-status', role: 'status' });
  const body = h('div', { id: 'duty-body' });
  const el = h(
    'section',
    { class: 'duty-view', id: 'duty-view', 'aria-labelledby': 'duty-title' },
    h('h1', { id: 'duty-title' }, t('duty.title')),
    selectField,
    status,
    body,
  );
  select.addEventListener('change', () => {
    const [kind, id] = select.value.split(':');
    place = { kind: kind === 'community' ? 'community' : 'compound', id: Number(id) };
    void load();
  });

  const failed = (err: unknown) =>
    t('hh.loadFailed', {
      m: err instanceof ApiError && err.offline ? t('error.offline') : String(err instanceof Error ? err.message : err),
    });

  async function start(): Promise<void> {
    const mine = ++seq;
    status.textContent = t('hh.loading');
    try {
      const [res, places] = await Promise.all([
        api<{ items: Array<{ id: number; name: string }> }>('GET', '/api/compounds?limit=1000'),
        api<{ areas: Area[] }>('GET', '/api/places').catch(() => ({ areas: [] as Area[] })),
      ]);
      if (mine !== seq) return;
      const compounds = res.items;
      const scope = (ctx.user as { scope?: ScopeEntry[] }).scope ?? [];
      const communities = communitiesShown(ctx.user.role, scope, places.areas);
      editableCommunities = new Set(communities.filter((c) => c.editable).map((c) => c.id));
      replace(
        select,
        compounds.length > 0
          ? h(
              'optgroup',
              { label: t('duty.compounds') },
              ...compounds.map((c) => h('option', { value: `compound:${c.id}` }, c.name)),
            )
          : null,
        communities.length > 0
          ? h(
              'optgroup',
              { label: t('duty.communities') },
              ...communities.map((c) =>
                h('option', { value: `community:${c.id}` }, t('duty.communityOption', { c: c.name })),
              ),
            )
          : null,
      );
      selectField.hidden = compounds.length + communities.length < 2;
      const first = compounds[0] ?? null;
      const firstCommunity = communities[0] ?? null;
      place =
        first !== null
          ? { kind: 'compound', id: first.id }
          : firstCommunity !== null
            ? { kind: 'community', id: firstCommunity.id }
            : null;
      if (place === null) {
        status.textContent = t('fig.none');
        return;
      }
      await load();
    } catch (err) {
      if (mine === seq) status.textContent = failed(err);
    }
  }

  async function load(): Promise<void> {
    if (place === null) return;
    const at = place;
    const mine = ++seq;
    status.textContent = t('hh.loading');
    try {
      const duty = await api<DutyJson>('GET', base(at));
      if (mine !== seq) return;
      status.textContent = '';
      canEdit = at.kind === 'compound' ? staffOrAdmin : editableCommunities.has(at.id);
      render(duty, at);
    } catch (err) {
      if (mine === seq) status.textContent = failed(err);
    }
  }

  function render(d: DutyJson, at: Place): void {
    const byId = new Map(d.people.map((p) => [p.id, p]));
    const nameOf = (id: number) => byId.get(id)?.name ?? t('duty.gone', { id });
    const own = d.compounds?.filter((c) => c.ownTiers.length > 0) ?? [];
    replace(
      body,
      at.kind === 'compound'
        ? h('h2', { id: 'duty-compound-name' }, d.compound ?? '')
        : h('h2', { id: 'duty-community-name' }, t('duty.communityOption', { c: d.community ?? '' })),
      at.kind === 'community'
        ? h(
            'p',
            { class: 'duty-serves', id: 'duty-serves' },
            t('duty.serves', { n: d.compounds?.length ?? 0 }),
            ...own.map((c) =>
              h(
                'span',
                { class: 'duty-own' },
                ' ',
                t('duty.ownTiers', {
                  c: c.name,
                  tiers: c.ownTiers.map((n) => t('duty.tier', { n })).join(t('duty.listSep')),
                }),
              ),
            ),
          )
        : null,
      h('p', { class: 'duty-zone' }, t('duty.zone', { z: d.timeZone })),
      nowSection(d),
      shiftsSection(d, nameOf),
      overridesSection(d, nameOf, at),
      canEdit ? overrideForm(d, at) : null,
    );
  }

  function nowSection(d: DutyJson): HTMLElement {
    const people = (list: DutyPerson[]) =>
      list.length === 0
        ? h('strong', { class: 'duty-nobody' }, t('duty.nobody'))
        : h(
            'span',
            null,
            ...list.flatMap((p, i) => [
              i > 0 ? t('duty.listSep') : null,
              h('span', { class: 'duty-name' }, p.name),
              p.phone ? h('a', { href: `tel:${p.phone}`, class: 'duty-phone' }, ` ${p.phone}`) : null,
            ]),
          );
    return h(
      'section',
      { 'aria-labelledby': 'duty-now-title' },
      h('h3', { id: 'duty-now-title' }, t('duty.nowTitle')),
      h(
        'ul',
        { class: 'duty-tiers' },
        ...d.tiers.map((tier) =>
          h(
            'li',
            {
              class: 'duty-tier card',
              id: `duty-tier-${tier.tier}`,
              'data-roster': String(tier.roster),
              'data-source': tier.source ?? '',
            },
            h('strong', { class: 'duty-tier-name' }, t('duty.tier', { n: tier.tier })),
            d.compoundId !== undefined && tier.source === 'community'
              ? h('span', { class: 'duty-source' }, ' ', t('duty.fromCommunity'))
              : null,
            tier.roster
              ? h(
                  'dl',
                  null,
                  h('dt', null, t('duty.now')),
                  h('dd', { class: 'duty-now' }, people(tier.onDuty)),
                  h('dt', null, t('duty.next')),
                  h(
                    'dd',
                    { class: 'duty-next' },
                    tier.next === null
                      ? t('duty.noChange')
                      : h(
                          'span',
                          null,
                          t('duty.from', { t: whenText(tier.next.at, d.timeZone) }),
                          ' ',
                          people(tier.next.people),
                        ),
                  ),
                )
              : h('p', { class: 'duty-none' }, t('duty.noRoster')),
          ),
        ),
      ),
    );
  }

  function shiftsSection(d: DutyJson, nameOf: (id: number) => string): HTMLElement {
    return h(
      'section',
      { 'aria-labelledby': 'duty-week-title' },
      h('h3', { id: 'duty-week-title' }, t('duty.weekTitle')),
      d.shifts.length === 0
        ? h('p', null, t('duty.noShifts'))
        : h(
            'table',
            { class: 'duty-table', id: 'duty-shifts' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ...(['duty.colTier', 'duty.colDays', 'duty.colTime', 'duty.colPeople'] as const).map((k) =>
                  h('th', { scope: 'col' }, t(k)),
                ),
              ),
            ),
            h(
              'tbody',
              null,
              ...d.shifts.map((s) =>
                h(
                  'tr',
                  null,
                  h('td', null, t('duty.tier', { n: s.tier })),
                  h('td', null, daysText(s.days)),
                  h(
                    'td',
                    null,
                    s.end <= s.start ? t('duty.overnight', { s: s.start, e: s.end }) : `${s.start}–${s.end}`,
                  ),
                  h('td', null, s.personIds.map(nameOf).join(t('duty.listSep'))),
                ),
              ),
            ),
          ),
    );
  }

  function overridesSection(d: DutyJson, nameOf: (id: number) => string, at: Place): HTMLElement {
    const remove = async (o: Override, button: HTMLButtonElement) => {
      button.disabled = true;
      try {
        await api('DELETE', at.kind === 'compound' ? `/api/duty/overrides/${o.id}` : `${base(at)}/overrides/${o.id}`);
        ctx.toast(t('duty.removed'));
        await load();
      } catch (err) {
        button.disabled = false;
        ctx.toast(failed(err), 'error');
      }
    };
    return h(
      'section',
      { 'aria-labelledby': 'duty-overrides-title' },
      h('h3', { id: 'duty-overrides-title' }, t('duty.overridesTitle')),
      d.overrides.length === 0
        ? h('p', null, t('duty.noOverrides'))
        : h(
            'ul',
            { class: 'duty-overrides', id: 'duty-overrides' },
            ...d.overrides.map((o) => {
              const what =
                o.replacementId === null
                  ? t('duty.leaveLine', { p: nameOf(o.personId) })
                  : t('duty.swapLine', { p: nameOf(o.personId), r: nameOf(o.replacementId) });
              const button = h('button', { type: 'button', class: 'link' }, t('duty.remove'));
              button.setAttribute('aria-label', `${t('duty.remove')}: ${what}`);
              button.addEventListener('click', () => void remove(o, button));
              return h(
                'li',
                { class: 'duty-override' },
                h('span', null, `${t('duty.tier', { n: o.tier })} · ${what} · `),
                h('span', null, `${whenText(o.from, d.timeZone)} – ${whenText(o.to, d.timeZone)}`),
                o.note ? h('span', null, ` · ${o.note}`) : null,
                canEdit ? ' ' : null,
                canEdit ? button : null,
              );
            }),
          ),
    );
  }

  function overrideForm(d: DutyJson, at: Place): HTMLElement | null {
    // Only this roster's own tiers: a compound's tier that follows its community's is changed there.
    const tiers = d.tiers
      .filter((x) => x.roster && (at.kind === 'community' || x.source !== 'community'))
      .map((x) => x.tier);
    if (tiers.length === 0) return null;
    const field = (id: string, label: WordKey, input: HTMLElement) =>
      h(
        'div',
        { class: 'duty-field' },
        h('label', { for: id }, t(label)),
        input,
        h('span', { class: 'form-error', id: `${id}-error` }),
      );
    const tier = h('select', { id: 'duty-o-tier', 'aria-describedby': 'duty-o-tier-error' });
    const person = h('select', { id: 'duty-o-person', 'aria-describedby': 'duty-o-person-error', required: true });
    const replacement = h('select', { id: 'duty-o-replacement', 'aria-describedby': 'duty-o-replacement-error' });
    const start = Math.ceil(d.now / 3_600_000) * 3_600_000;
    const from = h('input', {
      id: 'duty-o-from',
      type: 'datetime-local',
      required: true,
      value: wallInput(start, d.timeZone),
      'aria-describedby': 'duty-o-from-error',
    });
    const to = h('input', {
      id: 'duty-o-to',
      type: 'datetime-local',
      required: true,
      value: wallInput(start + 12 * 3_600_000, d.timeZone),
      'aria-describedby': 'duty-o-to-error',
    });
    const note = h('input', { id: 'duty-o-note', maxlength: 200, 'aria-describedby': 'duty-o-note-error' });
    const error = h('p', { class: 'form-error', role: 'alert', id: 'duty-o-error' });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'duty-o-submit' }, t('duty.add'));
    replace(tier, ...tiers.map((n) => h('option', { value: n }, t('duty.tier', { n }))));
    const fillPeople = () => {
      const n = Number(tier.value);
      const onRoster = new Set(d.shifts.filter((s) => s.tier === n).flatMap((s) => s.personIds));
      replace(
        person,
        ...[...onRoster].map((id) => h('option', { value: id }, d.people.find((p) => p.id === id)?.name ?? `#${id}`)),
      );
      replace(
        replacement,
        h('option', { value: '' }, t('duty.leaveOption')),
        ...d.people.filter((p) => p.tier === n).map((p) => h('option', { value: p.id }, p.name)),
      );
    };
    tier.addEventListener('change', fillPeople);
    fillPeople();
    const inputs: Record<string, HTMLElement> = { tier, personId: person, replacementId: replacement, from, to, note };
    const form = h(
      'form',
      { class: 'duty-form card', id: 'duty-override-form', 'aria-labelledby': 'duty-form-title' },
      h('h3', { id: 'duty-form-title' }, t('duty.formTitle')),
      field('duty-o-tier', 'duty.colTier', tier),
      field('duty-o-person', 'duty.person', person),
      field('duty-o-replacement', 'duty.replacement', replacement),
      field('duty-o-from', 'duty.fromLabel', from),
      field('duty-o-to', 'duty.toLabel', to),
      field('duty-o-note', 'duty.note', note),
      error,
      submit,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      for (const input of Object.values(inputs)) {
        input.removeAttribute('aria-invalid');
        const span = document.getElementById(`${input.id}-error`);
        if (span) span.textContent = '';
      }
      error.textContent = '';
      submit.disabled = true;
      const body = {
        tier: Number(tier.value),
        personId: Number(person.value),
        replacementId: replacement.value === '' ? null : Number(replacement.value),
        from: from.value,
        to: to.value,
        ...(note.value.trim() ? { note: note.value.trim() } : {}),
      };
      api('POST', `${base(at)}/overrides`, body)
        .then(async () => {
          ctx.toast(t('duty.added'));
          await load();
        })
        .catch((err: unknown) => {
          submit.disabled = false;
          const fields: readonly FieldError[] = err instanceof ApiError ? err.fields : [];
          for (const f of fields) {
            const input = inputs[f.path.replace(/^body\./, '').split('.')[0] ?? ''];
            if (input === undefined) continue;
            input.setAttribute('aria-invalid', 'true');
            const span = document.getElementById(`${input.id}-error`);
            if (span) span.textContent = f.message;
          }
          error.textContent = fields.length > 0 ? t('duty.fixFields') : failed(err);
        });
    });
    return form;
  }

  void start();
  return { el, destroy: () => void ++seq };
}
