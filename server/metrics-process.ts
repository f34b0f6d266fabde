import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { Registry } from './metrics.js';

/** The thread a figure is of: the safety core's, or the people side's (docs/design.md §2). */
export type Lane = 'core' | 'people';

/**
 * The health of one lane's thread: its event loop's delay (a stalled core delays PUBACKs and
 * escalations) and its V8 heap; with `processWide`, the process's resident memory too (one lane
 * says it, so that /metrics has it once). The delay figures are over the time since the previous
 * scrape (the histogram is reset when read): one Prometheus scraping is assumed.
 */
export function registerProcessMetrics(
  registry: Registry,
  lane: Lane,
  opts: { processWide: boolean },
): { stop(): void } {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let p99 = 0;
  let max = 0;
  // Read once per scrape: p99 first, then max, then the reset (the gauges render in that order).
  registry.labeledGauge(
    'ribbon_event_loop_delay_p99_seconds',
    "99th percentile of the thread's event-loop delay since the previous scrape, by lane (core: the presses' thread).",
    () => {
      // Nanoseconds; a histogram with no sample yet answers NaN / a huge min.
      p99 = delay.count > 0 ? delay.percentile(99) / 1e9 : 0;
      max = delay.count > 0 ? delay.max / 1e9 : 0;
      delay.reset();
      return [{ labels: { lane }, value: p99 }];
    },
  );
  registry.labeledGauge(
    'ribbon_event_loop_delay_max_seconds',
    'Longest event-loop delay of the thread since the previous scrape, by lane.',
    () => [{ labels: { lane }, value: max }],
  );
  registry.labeledGauge('ribbon_heap_used_bytes', "V8 heap in use by the lane's thread.", () => [
    { labels: { lane }, value: getHeapStatistics().used_heap_size },
  ]);
  if (opts.processWide) {
    // A restart shows as a change of this (a failed WAL sync exits 70 and the supervisor restarts).
    const startedAt = Math.round(Date.now() / 1000 - process.uptime());
    registry.gauge(
      'process_start_time_seconds',
      'When the process started, in seconds since the Unix epoch.',
      () => startedAt,
    );
    registry.gauge('process_resident_memory_bytes', 'Resident memory of the whole process, in bytes.', () =>
      process.memoryUsage.rss(),
    );
  }
  return { stop: () => delay.disable() };
}
