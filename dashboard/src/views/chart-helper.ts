/**
 * Small hand-written SVG charts for the figures page: no chart library, no outside files. The
 * page's CSP forbids inline `style`, so everything is SVG attributes and CSS classes. Each chart
 * is hidden from screen readers and paired with a table of the same numbers (chartFigure).
 */
import { h } from '../dom.js';

const SVG = 'http://www.w3.org/2000/svg';

/** `s('rect', { x: 1, class: 'bar' }, child)`: an SVG element with attributes. */
export function s(
  tag: string,
  attrs: Record<string, string | number> = {},
  ...children: Array<SVGElement | string>
): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

export type Bar = { label: string; value: number /** extra class for the bar, e.g. 'bar-never' */; kind?: string };

/** A round upper bound for the y axis: 1, 2, 5, 10, 20, 50… at least `max`. */
export function niceMax(max: number): number {
  if (max <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/** The charts' drawn width in px: the figures page's column (figures.css, 48rem) less its padding. */
export const CHART_WIDTH = 720;
/** Room for one label under the bars, and for a count above a bar, in px. */
const LABEL_SPACE = 34;
const VALUE_SPACE = 16;
const round = (v: number) => Math.round(v * 10) / 10;

/**
 * A vertical bar chart: counts above the bars (when there is room), labels under them, a few
 * grid lines. Its size is fixed whatever the number of bars (issue 14: 1 day of a month must not
 * become a 768×1,771 px chart, nor 366 days a 10,000 px one): the bars share a plot of `width`
 * px, each at most `maxBarWidth` wide; labels thin out so they never overlap. Drawn at its own
 * size (CSS only narrows it on a narrow screen), so its text stays at the page's normal size.
 */
export function barChart(
  bars: readonly Bar[],
  opts: { id: string; maxBarWidth?: number; width?: number; labelEvery?: number },
): SVGElement {
  const maxBarWidth = opts.maxBarWidth ?? 44;
  const width = opts.width ?? CHART_WIDTH;
  const left = 34;
  const right = 8;
  const top = 18;
  const plotH = 150;
  const bottom = 28;
  const height = top + plotH + bottom;
  const slot = (width - left - right) / Math.max(1, bars.length);
  const barWidth = Math.max(1, Math.min(maxBarWidth, slot * 0.75));
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  // A label is up to ~4 characters of 11 px text: one every `every` bars keeps them apart.
  const every = Math.max(opts.labelEvery ?? 1, Math.ceil(LABEL_SPACE / slot));
  const showValues = slot >= VALUE_SPACE;

  const svg = s('svg', {
    id: opts.id,
    class: 'chart',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    'aria-hidden': 'true',
    focusable: 'false',
  });
  // Counts are whole numbers: every integer up to 5, then 0, half and the top (10, 20, 50…: even).
  const ticks = max <= 5 ? Array.from({ length: max + 1 }, (_, i) => i) : [0, max / 2, max];
  for (const tick of ticks) {
    svg.append(s('line', { class: 'grid', x1: left, x2: width - right, y1: y(tick), y2: y(tick) }));
    svg.append(s('text', { class: 'tick', x: left - 6, y: y(tick) + 4, 'text-anchor': 'end' }, String(tick)));
  }
  bars.forEach((b, i) => {
    const middle = left + (i + 0.5) * slot;
    const barH = Math.max(b.value > 0 ? 2 : 0, (b.value / max) * plotH);
    svg.append(
      s('rect', {
        class: `bar ${b.kind ?? ''}`.trim(),
        x: round(middle - barWidth / 2),
        y: round(top + plotH - barH),
        width: round(barWidth),
        height: round(barH),
        rx: barWidth >= 6 ? 2 : 0,
      }),
    );
    if (showValues && b.value > 0)
      svg.append(
        s(
          'text',
          { class: 'value', x: round(middle), y: round(top + plotH - barH - 4), 'text-anchor': 'middle' },
          String(b.value),
        ),
      );
    if (i % every === 0 || (i === bars.length - 1 && (bars.length - 1) % every >= every / 2)) {
      svg.append(
        s('text', { class: 'label', x: round(middle), y: top + plotH + 18, 'text-anchor': 'middle' }, b.label),
      );
    }
  });
  svg.append(s('line', { class: 'axis', x1: left, x2: width - right, y1: top + plotH, y2: top + plotH }));
  return svg;
}

/**
 * A horizontal meter: the share achieved against the target, 0–100 %, the target as a marked
 * line. Words beside it say the same (the meter is decoration for sighted readers).
 */
export function shareMeter(pct: number | null, targetPct: number, id: string): SVGElement {
  const width = 400;
  const height = 34;
  const x = (p: number) => (p / 100) * width;
  const svg = s('svg', {
    id,
    class: 'meter',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    'aria-hidden': 'true',
    focusable: 'false',
  });
  svg.append(s('rect', { class: 'meter-track', x: 0, y: 6, width, height: 18, rx: 3 }));
  if (pct !== null) {
    const met = pct >= targetPct;
    svg.append(
      s('rect', { class: `meter-fill ${met ? 'is-met' : 'is-not-met'}`, x: 0, y: 6, width: x(pct), height: 18, rx: 3 }),
    );
  }
  svg.append(s('line', { class: 'meter-target', x1: x(targetPct), x2: x(targetPct), y1: 0, y2: height }));
  return svg;
}

/**
 * A chart with its text alternative: a caption, the SVG (hidden from assistive technology),
 * and a table of the same numbers (visually hidden; read by screen readers).
 */
export function chartFigure(opts: {
  id: string;
  caption: string;
  chart: SVGElement;
  head: [string, string];
  rows: ReadonlyArray<[string, string | number]>;
}): HTMLElement {
  const table = h(
    'table',
    { class: 'sr-only chart-table', id: `${opts.id}-table` },
    h('caption', null, opts.caption),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, opts.head[0]), h('th', { scope: 'col' }, opts.head[1]))),
    h('tbody', null, ...opts.rows.map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, k), h('td', null, v)))),
  );
  const fig = h('figure', { class: 'chart-figure', id: `${opts.id}-figure` }, h('figcaption', null, opts.caption));
  // On a phone the chart scrolls sideways: focusable, so it can be scrolled from the keyboard.
  const scroll = h('div', { class: 'chart-scroll', tabindex: 0, role: 'group', 'aria-label': opts.caption });
  scroll.append(opts.chart);
  fig.append(scroll, table);
  return fig;
}
