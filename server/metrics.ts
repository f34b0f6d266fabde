/**
 * A small Prometheus text-format registry (counters, gauges, histograms with fixed buckets).
 * Enough for /metrics without a dependency; labels are fixed at creation to keep it cheap.
 */

type LabelValues = Readonly<Record<string, string>>;

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

interface Metric {
  render(): string;
}

/** Identity of a series: sorted, so {a,b} and {b,a} are one series. */
function seriesKey(labels: LabelValues): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

function labelText(labels: LabelValues, extra?: Readonly<Record<string, string>>): string {
  const all = { ...labels, ...extra };
  const keys = Object.keys(all);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${String(all[k]).replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`).join(',')}}`;
}

export class Counter implements Metric {
  private readonly values = new Map<string, { labels: LabelValues; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: LabelValues = {}, by = 1): void {
    this.series(labels).value += by;
  }
  /** One series, resolved once: for hot paths, where building its key per call would cost. */
  child(labels: LabelValues): { inc(by?: number): void } {
    const entry = this.series(labels);
    return {
      inc(by = 1) {
        entry.value += by;
      },
    };
  }
  private series(labels: LabelValues): { labels: LabelValues; value: number } {
    const key = seriesKey(labels);
    let entry = this.values.get(key);
    if (entry === undefined) {
      entry = { labels, value: 0 };
      this.values.set(key, entry);
    }
    return entry;
  }
  get(labels: LabelValues = {}): number {
    return this.values.get(seriesKey(labels))?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines.join('\n');
  }
}

export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
  ) {}
  render(): string {
    return [
      `# HELP ${this.name} ${escapeHelp(this.help)}`,
      `# TYPE ${this.name} gauge`,
      `${this.name} ${this.read()}`,
    ].join('\n');
  }
}

/** A gauge whose labelled values are read when scraped (e.g. outbox rows by status). */
export class LabeledGauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => ReadonlyArray<{ labels: LabelValues; value: number }>,
  ) {}
  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} gauge`];
    for (const { labels, value } of this.read()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines.join('\n');
  }
}

export class Histogram implements Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= (this.buckets[i] as number)) {
        this.counts[i] = (this.counts[i] as number) + 1;
        break;
      }
    }
  }
  get total(): number {
    return this.count;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} histogram`];
    let cumulative = 0;
    this.buckets.forEach((le, i) => {
      cumulative += this.counts[i] as number;
      lines.push(`${this.name}_bucket{le="${le}"} ${cumulative}`);
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`);
    lines.push(`${this.name}_sum ${this.sum}`);
    lines.push(`${this.name}_count ${this.count}`);
    return lines.join('\n');
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  gauge(name: string, help: string, read: () => number): Gauge {
    return this.add(new Gauge(name, help, read));
  }
  labeledGauge(
    name: string,
    help: string,
    read: () => ReadonlyArray<{ labels: LabelValues; value: number }>,
  ): LabeledGauge {
    return this.add(new LabeledGauge(name, help, read));
  }
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }
  render(): string {
    return `${this.metrics.map((m) => m.render()).join('\n')}\n`;
  }
  private add<T extends Metric>(metric: T): T {
    this.metrics.push(metric);
    return metric;
  }
}

/** The pipeline's metrics, created once per process (or per test app). */
export function createIngestMetrics(registry: Registry) {
  return {
    messages: registry.counter('ribbon_mqtt_messages_total', 'Device messages committed, by outcome.'),
    events: registry.counter('ribbon_events_total', 'Reports stored, by ribbon state and source.'),
    rejected: registry.counter('ribbon_rejected_messages_total', 'Unreadable messages from known devices, kept raw.'),
    batchSize: registry.histogram(
      'ribbon_commit_batch_size',
      'Messages per group commit.',
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
    ),
    commitSeconds: registry.histogram(
      'ribbon_commit_seconds',
      'Time to commit one batch on the event loop (the WAL fsync is ribbon_sync_seconds, off the loop).',
      [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    ),
    syncSeconds: registry.histogram(
      'ribbon_sync_seconds',
      'Time for one fdatasync of the WAL (covering one or more batches) before their PUBACKs.',
      [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    ),
    pubackSeconds: registry.histogram(
      'ribbon_puback_seconds',
      "Time from a device message reaching the server to its PUBACK being released (queue, commit and WAL sync): the server's share of a press's round trip.",
      [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ),
    diskFullRefusals: registry.counter(
      'ribbon_disk_full_refusals_total',
      'Device messages refused (no PUBACK; the device resends) because the disk was full.',
    ),
    commitFailures: registry.counter(
      'ribbon_commit_failures_total',
      'Batches whose commit or WAL fsync failed (nothing acknowledged).',
    ),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;

/**
 * Several expositions (the core's and the people side's) as one: a family both have (a lane's
 * figures, labelled by lane) is written once, its samples together, as the text format requires.
 * Relies on each family starting with its `# HELP` line, as Registry writes it.
 */
export function mergeExpositions(texts: readonly string[]): string {
  const families = new Map<string, { head: string[]; samples: string[] }>();
  for (const text of texts) {
    let current: { head: string[]; samples: string[] } | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const help = /^# HELP (\S+)/.exec(line);
      if (help) {
        const name = help[1] as string;
        const known = families.get(name);
        current = known ?? { head: [line], samples: [] };
        if (known === undefined) families.set(name, current);
      } else if (current === undefined) continue;
      else if (line.startsWith('# ')) {
        if (current.head.length < 2) current.head.push(line);
      } else current.samples.push(line);
    }
  }
  const out: string[] = [];
  for (const { head, samples } of families.values()) out.push(...head, ...samples);
  return `${out.join('\n')}\n`;
}
