import { describe, expect, it } from 'vitest';
import { metricValue, type SoakSample, sampleOf, slope, trends } from '../../../bench/lib/soak-series.js';

const EXPOSITION = `# HELP process_resident_memory_bytes Resident memory.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 104857600
# HELP ribbon_heap_used_bytes heap
# TYPE ribbon_heap_used_bytes gauge
ribbon_heap_used_bytes{lane="core"} 1000
ribbon_heap_used_bytes{lane="people"} 2000
# HELP ribbon_event_loop_delay_p99_seconds p99
ribbon_event_loop_delay_p99_seconds{lane="core"} 0.012
ribbon_event_loop_delay_p99_seconds{lane="people"} 0.02
ribbon_ingest_waiting 3
ribbon_notifications{target="channel",status="pending"} 2
ribbon_notifications{target="device",status="pending"} 1
ribbon_notifications{target="device",status="sent"} 40
ribbon_connected_devices 2000
`;

const sample = (atSec: number, rssMiB: number): SoakSample => ({
  ...sampleOf(EXPOSITION, 100, atSec),
  rssBytes: rssMiB * 2 ** 20,
});

describe('soak series', () => {
  it('when /metrics is read, then each series is taken by name and label, summed over the other labels', () => {
    expect(metricValue(EXPOSITION, 'ribbon_notifications', { status: 'pending' })).toBe(3);
    expect(metricValue(EXPOSITION, 'ribbon_heap_used_bytes', { lane: 'people' })).toBe(2000);
    expect(metricValue(EXPOSITION, 'ribbon_missing')).toBeNaN();
    expect(sampleOf(EXPOSITION, 77, 5)).toEqual({
      atSec: 5,
      rssBytes: 104857600,
      heapCoreBytes: 1000,
      heapPeopleBytes: 2000,
      loopP99CoreMs: 12,
      loopP99PeopleMs: 20,
      ingestWaiting: 3,
      outboxPending: 3,
      fds: 77,
      connectedDevices: 2000,
    });
  });

  it('when a series stays within its tolerance, then it is flat; when it grows beyond, then it grew; when it falls, then it did not grow', () => {
    const steady = Array.from({ length: 20 }, (_, i) => sample(i * 10, 200 + (i % 2)));
    expect(trends(steady).find((t) => t.series === 'rssBytes')).toMatchObject({ flat: true, grew: false });
    const leaking = Array.from({ length: 20 }, (_, i) => sample(i * 10, 200 + i * 10));
    expect(trends(leaking).find((t) => t.series === 'rssBytes')).toMatchObject({ flat: false, grew: true });
    const falling = Array.from({ length: 20 }, (_, i) => sample(i * 10, 400 - i * 10));
    expect(trends(falling).find((t) => t.series === 'rssBytes')).toMatchObject({ flat: false, grew: false });
    expect(slope([0, 1, 2], [1, 3, 5])).toBe(2);
  });
});
