// The soak benchmark's samples (bench/soak.ts): what one scrape of the server says, and whether
// each series stayed flat over the run (the mean of its first 10 % of samples against its last
// 10 %, within a stated tolerance). Pure, so the verdict can be tested without an hour's run.

/** One sample of the server, taken every few seconds of the run. */
export type SoakSample = {
  /** Seconds since sampling began. */
  atSec: number;
  rssBytes: number;
  heapCoreBytes: number;
  heapPeopleBytes: number;
  /** Event-loop delay p99 since the previous sample, in ms (the server resets it on each scrape). */
  loopP99CoreMs: number;
  loopP99PeopleMs: number;
  /** Device messages received and not yet answered (ribbon_ingest_waiting). */
  ingestWaiting: number;
  /** Outbox rows waiting to be sent (ribbon_notifications, status pending). */
  outboxPending: number;
  /** Open file descriptors of the server process (/proc/PID/fd). */
  fds: number;
  connectedDevices: number;
};

export type SeriesName = Exclude<keyof SoakSample, 'atSec'>;

/**
 * What "flat" means for each series: the last tenth's mean within `relative` of the first tenth's,
 * or within `absolute` of it (for series that sit near zero, where a ratio says nothing).
 */
export const FLAT: Record<SeriesName, { relative: number; absolute: number; unit: string }> = {
  rssBytes: { relative: 0.2, absolute: 32 * 2 ** 20, unit: 'MiB' },
  heapCoreBytes: { relative: 0.25, absolute: 8 * 2 ** 20, unit: 'MiB' },
  heapPeopleBytes: { relative: 0.25, absolute: 8 * 2 ** 20, unit: 'MiB' },
  loopP99CoreMs: { relative: 0.5, absolute: 10, unit: 'ms' },
  loopP99PeopleMs: { relative: 0.5, absolute: 10, unit: 'ms' },
  ingestWaiting: { relative: 0, absolute: 20, unit: '' },
  outboxPending: { relative: 0, absolute: 10, unit: '' },
  fds: { relative: 0.05, absolute: 16, unit: '' },
  connectedDevices: { relative: 0.05, absolute: 5, unit: '' },
};

export const SERIES = Object.keys(FLAT) as SeriesName[];

export type Trend = {
  series: SeriesName;
  first: number;
  last: number;
  max: number;
  /** (last − first) / first; NaN when first is 0. */
  change: number;
  /** Change per hour of the run, in the series' own unit (bytes, ms, count), from a least-squares fit. */
  slopePerHour: number;
  /** Within the tolerance either way. */
  flat: boolean;
  /** Grew beyond the tolerance: the sign of a leak or a queue that does not drain. */
  grew: boolean;
};

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Least-squares slope of y over x (0 for fewer than two distinct x). */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length < 2) return 0;
  const mx = mean(xs);
  const my = mean(ys);
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = (xs[i] as number) - mx;
    num += dx * ((ys[i] as number) - my);
    den += dx * dx;
  }
  return den === 0 ? 0 : num / den;
}

/** Each series' first tenth against its last tenth (at least one sample each), and its verdict. */
export function trends(samples: readonly SoakSample[]): Trend[] {
  if (samples.length === 0) return [];
  const tenth = Math.max(1, Math.floor(samples.length / 10));
  const head = samples.slice(0, tenth);
  const tail = samples.slice(-tenth);
  const xs = samples.map((s) => s.atSec / 3600);
  return SERIES.map((series) => {
    const first = mean(head.map((s) => s[series]));
    const last = mean(tail.map((s) => s[series]));
    const { relative, absolute } = FLAT[series];
    const allowed = Math.max(relative * Math.abs(first), absolute);
    return {
      series,
      first,
      last,
      max: Math.max(...samples.map((s) => s[series])),
      change: first === 0 ? Number.NaN : (last - first) / first,
      slopePerHour: slope(
        xs,
        samples.map((s) => s[series]),
      ),
      flat: Math.abs(last - first) <= allowed,
      grew: last - first > allowed,
    };
  });
}

/** The value of `name` in a Prometheus text exposition, summed over the samples whose labels match. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const pair of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      have.set(pair[1] as string, pair[2] as string);
    if (Object.entries(labels).some(([k, v]) => have.get(k) !== v)) continue;
    total += Number(m[4]);
    found = true;
  }
  return found ? total : Number.NaN;
}

/** A sample from one /metrics text, the process's open descriptors and the time. */
export function sampleOf(text: string, fds: number, atSec: number): SoakSample {
  const ms = (seconds: number) => seconds * 1000;
  return {
    atSec,
    rssBytes: metricValue(text, 'process_resident_memory_bytes'),
    heapCoreBytes: metricValue(text, 'ribbon_heap_used_bytes', { lane: 'core' }),
    heapPeopleBytes: metricValue(text, 'ribbon_heap_used_bytes', { lane: 'people' }),
    loopP99CoreMs: ms(metricValue(text, 'ribbon_event_loop_delay_p99_seconds', { lane: 'core' })),
    loopP99PeopleMs: ms(metricValue(text, 'ribbon_event_loop_delay_p99_seconds', { lane: 'people' })),
    ingestWaiting: metricValue(text, 'ribbon_ingest_waiting'),
    outboxPending: metricValue(text, 'ribbon_notifications', { status: 'pending' }) || 0,
    fds,
    connectedDevices: metricValue(text, 'ribbon_connected_devices'),
  };
}

/** A series' value for a table: MiB for bytes, whole numbers for counts, ms as they are. */
export function shown(series: SeriesName, value: number): number {
  return FLAT[series].unit === 'MiB' ? value / 2 ** 20 : value;
}
