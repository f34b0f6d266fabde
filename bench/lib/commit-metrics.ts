// The server's group commits and WAL syncs over a window, read from its Prometheus histograms
// on GET /metrics before and after (the server is a child process: its own figures, not ours).

/** Sums of the server's group-commit histograms (GET /metrics), to difference over a window. */
export type CommitCounters = {
  batches: number;
  messages: number;
  seconds: number;
  underMs: number;
  syncs: number;
  syncSeconds: number;
  syncUnderMs: number;
};

export async function commitCounters(httpUrl: string): Promise<CommitCounters | null> {
  try {
    const text = await (await fetch(`${httpUrl}/metrics`)).text();
    const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? Number.NaN);
    return {
      batches: value(/^ribbon_commit_seconds_count(?:\{\})? (\S+)$/m),
      messages: value(/^ribbon_commit_batch_size_sum(?:\{\})? (\S+)$/m),
      seconds: value(/^ribbon_commit_seconds_sum(?:\{\})? (\S+)$/m),
      underMs: value(/^ribbon_commit_seconds_bucket\{le="0\.001"\} (\S+)$/m),
      syncs: value(/^ribbon_sync_seconds_count(?:\{\})? (\S+)$/m),
      syncSeconds: value(/^ribbon_sync_seconds_sum(?:\{\})? (\S+)$/m),
      syncUnderMs: value(/^ribbon_sync_seconds_bucket\{le="0\.001"\} (\S+)$/m),
    };
  } catch {
    return null;
  }
}

/**
 * Group commits over a window: how many presses each held and how long each held the event loop;
 * and the WAL syncs (fdatasync on the thread pool, each covering one or more commits) before their PUBACKs.
 */
export type CommitStats = {
  batches: number;
  meanBatch: number;
  meanMs: number;
  underMsShare: number;
  syncs: number;
  syncMeanMs: number;
  syncUnderMsShare: number;
};

export function commitStats(before: CommitCounters | null, after: CommitCounters | null): CommitStats {
  if (!before || !after)
    return {
      batches: Number.NaN,
      meanBatch: Number.NaN,
      meanMs: Number.NaN,
      underMsShare: Number.NaN,
      syncs: Number.NaN,
      syncMeanMs: Number.NaN,
      syncUnderMsShare: Number.NaN,
    };
  const batches = after.batches - before.batches;
  const syncs = after.syncs - before.syncs;
  return {
    syncs,
    syncMeanMs: ((after.syncSeconds - before.syncSeconds) / syncs) * 1000,
    syncUnderMsShare: (after.syncUnderMs - before.syncUnderMs) / syncs,
    batches,
    meanBatch: (after.messages - before.messages) / batches,
    meanMs: ((after.seconds - before.seconds) / batches) * 1000,
    underMsShare: (after.underMs - before.underMs) / batches,
  };
}
