import { api, ApiError } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, replace } from '../dom.js';
import { duration, lang, t, type WordKey } from '../i18n.js';
import { localDay } from '../ribbon.js';
import { barChart, chartFigure, shareMeter, type Bar } from './chart-helper.js';

/**
 * The response figures of one compound for one month (GET /api/figures): the time-to-acknowledge
 * histogram, the shares acknowledged within 60 s and 180 s against the 97.5 % / 99 % targets
 * (met or not, in words), and emergencies and missed check-ins per day. Charts are inline SVG,
 * each with a table of its numbers for screen readers.
 */
type Share = { count: number; of: number; pct: number | null; targetPct: number | null; met: boolean | null };
type Durations = { n: number; medianMs: number | null; p90Ms: number | null };
export type CompoundFigures = {
  compoundId: number;
  compound: string;
  from: string;
  to: string;
  timezone: string;
  alertsOpened: Record<string, number>;
  emergency: {
    opened: number;
    acknowledged: number;
    timeToAcknowledge: Durations;
    ackWithin60s: Share;
    ackWithin180s: Share;
  };
  ackHistogram: Array<{ bucket: string; minMs: number | null; maxMs: number | null; count: number }>;
  days: Array<{ day: string; emergencies: number; missedCheckins: number }>;
};

const MONTH = /^([0-9]{4})-(0[1-9]|1[0-2])$/;

/** 'YYYY-MM' plus n months. */
function addMonths(month: string, n: number): string {
  const m = MONTH.exec(month);
  if (!m) return month;
  const index = Number(m[1]) * 12 + Number(m[2]) - 1 + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The local days of a month, up to today for the current month; null for a month to come. */
function periodOf(month: string, today: string): { from: string; to: string } | null {
  const m = MONTH.exec(month);
  if (!m) return null;
  const year = Number(m[1]);
  const mon = Number(m[2]);
  const last = new Date(Date.UTC(year, mon, 0)).getUTCDate();
  const from = `${month}-01`;
  const end = `${month}-${String(last).padStart(2, '0')}`;
  if (from > today) return null;
  return { from, to: end < today ? end : today };
}

const pctText = (pct: number | null) =>
  pct === null ? '—' : `${pct.toLocaleString(lang(), { minimumFractionDigits: 1, maximumFractionDigits: 1 })} %`;

export function figuresView(_ctx: Ctx): View {
  const today = localDay();
  const thisMonth = today.slice(0, 7);
  let month = thisMonth;
  let compoundId: number | null = null;
  let items: CompoundFigures[] = [];
  let seq = 0;

  const monthInput = h('input', {
    id: 'figures-month',
    type: 'month',
    value: month,
    max: thisMonth,
    required: true,
    'aria-describedby': 'figures-month-error',
  });
  const monthError = h('p', { id: 'figures-month-error', class: 'form-error', role: 'alert' });
  const prev = h('button', { type: 'button', id: 'figures-prev', 'aria-label': t('fig.prev') }, '‹');
  const next = h('button', { type: 'button', id: 'figures-next', 'aria-label': t('fig.next') }, '›');
  const compoundSelect = h('select', { id: 'figures-compound' });
  const compoundField = h(
    'label',
    { class: 'fig-field', for: 'figures-compound', hidden: true },
    t('fig.compound'),
    ' ',
    compoundSelect,
  );
  const status = h('p', { class: 'fig-status', id: 'figures-status', role: 'status' });
  const body = h('div', { id: 'figures-body', class: 'fig-body' });
  const el = h(
    'section',
    { class: 'figures-view', id: 'figures-view', 'aria-labelledby': 'figures-title' },
    h('h1', { id: 'figures-title' }, t('figures.title')),
    h(
      'div',
      { class: 'fig-controls' },
      h(
        'span',
        { class: 'fig-field' },
        h('label', { for: 'figures-month' }, t('fig.month')),
        ' ',
        prev,
        monthInput,
        next,
      ),
      compoundField,
    ),
    monthError,
    status,
    body,
  );

  function setMonth(value: string): void {
    if (!MONTH.test(value) || value > thisMonth) {
      monthError.textContent = t('fig.badMonth');
      monthInput.setAttribute('aria-invalid', 'true');
      return;
    }
    monthError.textContent = '';
    monthInput.removeAttribute('aria-invalid');
    month = value;
    monthInput.value = value;
    next.disabled = value >= thisMonth;
    void load();
  }

  monthInput.addEventListener('change', () => setMonth(monthInput.value.trim()));
  prev.addEventListener('click', () => setMonth(addMonths(month, -1)));
  next.addEventListener('click', () => setMonth(addMonths(month, 1)));
  compoundSelect.addEventListener('change', () => {
    const id = Number(compoundSelect.value);
    if (items.some((i) => i.compoundId === id)) {
      compoundId = id;
      render();
    }
  });
  next.disabled = true;

  async function load(): Promise<void> {
    const mine = ++seq;
    const period = periodOf(month, today);
    if (period === null) {
      items = [];
      status.textContent = t('fig.future');
      replace(body);
      return;
    }
    status.textContent = t('hh.loading');
    try {
      const res = await api<{ items: CompoundFigures[] }>('GET', `/api/figures?from=${period.from}&to=${period.to}`);
      if (mine !== seq) return;
      items = res.items;
      status.textContent = t('fig.period', { from: period.from, to: period.to });
      render();
    } catch (err) {
      if (mine !== seq) return;
      status.textContent = t('hh.loadFailed', {
        m:
          err instanceof ApiError && err.offline
            ? t('error.offline')
            : String(err instanceof Error ? err.message : err),
      });
      replace(body);
    }
  }

  function render(): void {
    replace(compoundSelect, ...items.map((c) => h('option', { value: c.compoundId }, c.compound)));
    compoundField.hidden = items.length < 2;
    if (compoundId === null || !items.some((c) => c.compoundId === compoundId))
      compoundId = items[0]?.compoundId ?? null;
    if (compoundId !== null) compoundSelect.value = String(compoundId);
    const f = items.find((c) => c.compoundId === compoundId);
    if (f === undefined) {
      replace(body, h('p', null, t('fig.none')));
      return;
    }
    replace(
      body,
      h('h2', { id: 'figures-compound-name' }, f.compound),
      summary(f),
      targets(f),
      histogram(f),
      perDay(f, 'missedCheckins'),
      perDay(f, 'emergencies'),
    );
  }

  void load();
  return { el, destroy: () => void ++seq };
}

function summary(f: CompoundFigures): HTMLElement {
  const e = f.emergency;
  const ms = (v: number | null) => (v === null ? t('fig.dash') : duration(v));
  const missed = f.days.reduce((n, d) => n + d.missedCheckins, 0);
  const item = (key: WordKey, value: string | number, id: string) =>
    h('div', { class: 'fig-stat', id }, h('dt', null, t(key)), h('dd', null, String(value)));
  return h(
    'section',
    { class: 'fig-summary', 'aria-labelledby': 'fig-summary-title' },
    h('h3', { id: 'fig-summary-title' }, t('fig.summary')),
    h(
      'dl',
      { class: 'fig-stats' },
      item('fig.opened', e.opened, 'fig-opened'),
      item('fig.acknowledged', e.acknowledged, 'fig-acknowledged'),
      item('fig.median', ms(e.timeToAcknowledge.medianMs), 'fig-median'),
      item('fig.p90', ms(e.timeToAcknowledge.p90Ms), 'fig-p90'),
      item('fig.missedTotal', missed, 'fig-missed'),
    ),
  );
}

function targets(f: CompoundFigures): HTMLElement {
  const row = (share: Share, seconds: number, fallbackTarget: number) => {
    const target = share.targetPct ?? fallbackTarget;
    const verdict =
      share.met === null
        ? h('span', { class: 'verdict no-data' }, t('fig.noData'))
        : h(
            'strong',
            { class: `verdict ${share.met ? 'met' : 'not-met'}` },
            share.met ? `✓ ${t('fig.met')}` : `✗ ${t('fig.notMet')}`,
          );
    return h(
      'li',
      { class: 'fig-target', id: `fig-target-${seconds}`, 'data-met': share.met === null ? 'none' : String(share.met) },
      h('span', { class: 'fig-target-name' }, t('fig.within', { s: seconds })),
      shareMeter(share.pct, target, `fig-meter-${seconds}`),
      h(
        'span',
        { class: 'fig-target-words' },
        share.of === 0
          ? ''
          : `${t('fig.shareLine', { pct: pctText(share.pct), count: share.count, of: share.of, target: pctText(target) })} `,
        verdict,
      ),
    );
  };
  return h(
    'section',
    { class: 'fig-targets', 'aria-labelledby': 'fig-targets-title' },
    h('h3', { id: 'fig-targets-title' }, t('fig.targets')),
    h(
      'ul',
      { class: 'fig-target-list' },
      row(f.emergency.ackWithin60s, 60, 97.5),
      row(f.emergency.ackWithin180s, 180, 99),
    ),
  );
}

function histogram(f: CompoundFigures): HTMLElement {
  const bars: Bar[] = f.ackHistogram.map((b) => ({
    label: t(`fig.b.${b.bucket}` as WordKey),
    value: b.count,
    kind:
      b.bucket === 'never'
        ? 'bar-never'
        : b.maxMs !== null && b.maxMs <= 60_000
          ? 'bar-fast'
          : b.maxMs !== null && b.maxMs <= 180_000
            ? 'bar-ok'
            : 'bar-slow',
  }));
  return h(
    'section',
    { class: 'fig-chart' },
    chartFigure({
      id: 'fig-histogram',
      caption: t('fig.histogram'),
      chart: barChart(bars, { id: 'fig-histogram-svg', maxBarWidth: 52 }),
      head: [t('fig.bucket'), t('fig.count')],
      rows: bars.map((b) => [b.label, b.value]),
    }),
  );
}

function perDay(f: CompoundFigures, field: 'missedCheckins' | 'emergencies'): HTMLElement {
  const title = t(field === 'missedCheckins' ? 'fig.missedPerDay' : 'fig.emergenciesPerDay');
  const bars: Bar[] = f.days.map((d) => ({
    label: t('fig.dayShort', { d: Number(d.day.slice(8)) }),
    value: d[field],
    kind: field === 'missedCheckins' ? 'bar-missed' : 'bar-emergency',
  }));
  const id = field === 'missedCheckins' ? 'fig-missed-per-day' : 'fig-emergencies-per-day';
  return h(
    'section',
    { class: 'fig-chart' },
    chartFigure({
      id,
      caption: title,
      chart: barChart(bars, { id: `${id}-svg`, maxBarWidth: 18 }),
      head: [t('fig.day'), t('fig.count')],
      rows: f.days.map((d) => [d.day, d[field]]),
    }),
  );
}
