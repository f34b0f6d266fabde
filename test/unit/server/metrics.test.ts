import { describe, expect, it } from 'vitest';
import { createIngestMetrics, mergeExpositions, Registry } from '../../../server/metrics.js';

describe('Registry: counters', () => {
  it('when a counter has no samples yet, then only HELP and TYPE are written', () => {
    const r = new Registry();
    r.counter('ribbon_x_total', 'Things.');
    expect(r.render()).toBe('# HELP ribbon_x_total Things.\n# TYPE ribbon_x_total counter\n');
  });

  it('when a counter is incremented with and without labels, then each label set is its own series', () => {
    const r = new Registry();
    const c = r.counter('ribbon_messages_total', 'Messages.');
    c.inc({ outcome: 'stored' });
    c.inc({ outcome: 'stored' });
    c.inc({ outcome: 'duplicate' }, 5);
    c.inc();
    expect(r.render()).toBe(
      [
        '# HELP ribbon_messages_total Messages.',
        '# TYPE ribbon_messages_total counter',
        'ribbon_messages_total{outcome="stored"} 2',
        'ribbon_messages_total{outcome="duplicate"} 5',
        'ribbon_messages_total 1',
        '',
      ].join('\n'),
    );
    expect(c.get({ outcome: 'stored' })).toBe(2);
    expect(c.get({ outcome: 'duplicate' })).toBe(5);
    expect(c.get()).toBe(1);
    expect(c.get({ outcome: 'never' })).toBe(0);
  });

  it('when a counter has several labels, then they are written comma-separated in the given order', () => {
    const r = new Registry();
    r.counter('ribbon_events_total', 'Events.').inc({ state: 'red', source: 'device' });
    expect(r.render()).toContain('ribbon_events_total{state="red",source="device"} 1\n');
  });

  it.each([
    ['a double quote', 'say "hi"', 'say \\"hi\\"'],
    ['a backslash', 'C:\\data', 'C:\\\\data'],
    ['a newline', 'two\nlines', 'two\\nlines'],
    ['all three', '"\\\n', '\\"\\\\\\n'],
    ['nothing special', 'rp-abc', 'rp-abc'],
    ['unicode', '彩带', '彩带'],
  ])('when a label value holds %s, then it is escaped for the text format', (_name, value, escaped) => {
    const r = new Registry();
    r.counter('ribbon_x_total', 'X.').inc({ v: value });
    expect(r.render().split('\n')[2]).toBe(`ribbon_x_total{v="${escaped}"} 1`);
  });
});

describe('Registry: gauges', () => {
  it('when rendered, then a gauge reads its value at that moment', () => {
    const r = new Registry();
    let open = 3;
    r.gauge('ribbon_connections', 'Open device connections.', () => open);
    expect(r.render()).toBe(
      '# HELP ribbon_connections Open device connections.\n# TYPE ribbon_connections gauge\nribbon_connections 3\n',
    );
    open = 17;
    expect(r.render()).toBe(
      '# HELP ribbon_connections Open device connections.\n# TYPE ribbon_connections gauge\nribbon_connections 17\n',
    );
  });
});

describe('Registry: histograms', () => {
  it('when nothing was observed, then every bucket, sum and count are 0', () => {
    const r = new Registry();
    r.histogram('ribbon_batch', 'Batch sizes.', [1, 10]);
    expect(r.render()).toBe(
      [
        '# HELP ribbon_batch Batch sizes.',
        '# TYPE ribbon_batch histogram',
        'ribbon_batch_bucket{le="1"} 0',
        'ribbon_batch_bucket{le="10"} 0',
        'ribbon_batch_bucket{le="+Inf"} 0',
        'ribbon_batch_sum 0',
        'ribbon_batch_count 0',
        '',
      ].join('\n'),
    );
  });

  it('when values are observed, then buckets are cumulative, bounds inclusive, and +Inf counts everything', () => {
    const r = new Registry();
    const h = r.histogram('ribbon_commit_seconds', 'Commit time.', [0.001, 0.01, 0.1]);
    for (const v of [0.0005, 0.001, 0.005, 0.01, 0.05, 2, 3]) h.observe(v);
    expect(h.total).toBe(7);
    expect(r.render()).toBe(
      [
        '# HELP ribbon_commit_seconds Commit time.',
        '# TYPE ribbon_commit_seconds histogram',
        'ribbon_commit_seconds_bucket{le="0.001"} 2',
        'ribbon_commit_seconds_bucket{le="0.01"} 4',
        'ribbon_commit_seconds_bucket{le="0.1"} 5',
        'ribbon_commit_seconds_bucket{le="+Inf"} 7',
        `ribbon_commit_seconds_sum ${0.0005 + 0.001 + 0.005 + 0.01 + 0.05 + 2 + 3}`,
        'ribbon_commit_seconds_count 7',
        '',
      ].join('\n'),
    );
  });

  it('when integers are observed, then the sum is exact', () => {
    const r = new Registry();
    const h = r.histogram('ribbon_batch', 'Batch sizes.', [1, 2, 4]);
    for (const v of [1, 1, 3, 4, 512]) h.observe(v);
    expect(r.render()).toContain(
      'ribbon_batch_bucket{le="1"} 2\nribbon_batch_bucket{le="2"} 2\nribbon_batch_bucket{le="4"} 4\nribbon_batch_bucket{le="+Inf"} 5\nribbon_batch_sum 521\nribbon_batch_count 5\n',
    );
  });
});

describe('Registry: several metrics', () => {
  it('when several metrics are registered, then they are written in registration order, newline-terminated', () => {
    const r = new Registry();
    r.counter('a_total', 'A.').inc();
    r.gauge('b', 'B.', () => 2);
    expect(r.render()).toBe('# HELP a_total A.\n# TYPE a_total counter\na_total 1\n# HELP b B.\n# TYPE b gauge\nb 2\n');
  });

  it('when the ingest metrics are created, then each has its name and type in the output', () => {
    const r = new Registry();
    const m = createIngestMetrics(r);
    m.messages.inc({ outcome: 'stored' });
    m.batchSize.observe(3);
    const text = r.render();
    expect(text.split('\n').filter((l) => l.startsWith('# TYPE'))).toEqual([
      '# TYPE ribbon_mqtt_messages_total counter',
      '# TYPE ribbon_events_total counter',
      '# TYPE ribbon_rejected_messages_total counter',
      '# TYPE ribbon_commit_batch_size histogram',
      '# TYPE ribbon_commit_seconds histogram',
      '# TYPE ribbon_sync_seconds histogram',
      '# TYPE ribbon_puback_seconds histogram',
      '# TYPE ribbon_disk_full_refusals_total counter',
      '# TYPE ribbon_commit_failures_total counter',
    ]);
    expect(text).toContain('ribbon_mqtt_messages_total{outcome="stored"} 1\n');
    expect(text).toContain('ribbon_commit_batch_size_bucket{le="2"} 0\nribbon_commit_batch_size_bucket{le="4"} 1\n');
  });
});

describe('Registry: counter children (hot paths)', () => {
  it('when a child is bumped, then it shares its series with inc() of the same labels, in any label order, and shows 0 before any bump', () => {
    const r = new Registry();
    const c = r.counter('ribbon_events_total', 'Events.');
    const red = c.child({ state: 'red', source: 'device' });
    expect(r.render()).toContain('ribbon_events_total{state="red",source="device"} 0\n');
    red.inc();
    red.inc(2);
    c.inc({ source: 'device', state: 'red' });
    expect(c.get({ state: 'red', source: 'device' })).toBe(4);
    expect(r.render().match(/ribbon_events_total\{/g)).toHaveLength(1);
  });
});

describe("mergeExpositions (the core's and the people side's /metrics as one)", () => {
  it("when both lanes have a family, then it is written once with both lanes' samples, and the others as they were", () => {
    const core = new Registry();
    core.counter('ribbon_events_total', 'Reports.').inc({ state: 'red', source: 'device' });
    core.labeledGauge('ribbon_heap_used_bytes', 'Heap.', () => [{ labels: { lane: 'core' }, value: 10 }]);
    const people = new Registry();
    people.labeledGauge('ribbon_heap_used_bytes', 'Heap.', () => [{ labels: { lane: 'people' }, value: 20 }]);
    people.gauge('ribbon_people_only', 'Only here.', () => 3);
    expect(mergeExpositions([core.render(), people.render()])).toBe(
      [
        '# HELP ribbon_events_total Reports.',
        '# TYPE ribbon_events_total counter',
        'ribbon_events_total{state="red",source="device"} 1',
        '# HELP ribbon_heap_used_bytes Heap.',
        '# TYPE ribbon_heap_used_bytes gauge',
        'ribbon_heap_used_bytes{lane="core"} 10',
        'ribbon_heap_used_bytes{lane="people"} 20',
        '# HELP ribbon_people_only Only here.',
        '# TYPE ribbon_people_only gauge',
        'ribbon_people_only 3',
        '',
      ].join('\n'),
    );
  });

  it('when a family has no samples, then its HELP and TYPE are kept', () => {
    const r = new Registry();
    r.counter('ribbon_x_total', 'Things.');
    expect(mergeExpositions([r.render(), ''])).toBe('# HELP ribbon_x_total Things.\n# TYPE ribbon_x_total counter\n');
  });
});
