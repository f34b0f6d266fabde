// Summarises a .cpuprofile (Chrome DevTools format, as written by `node --cpu-prof` or
// bench/lib/cpu-profile-preload.mjs): where the samples of a time window went, by function
// (self time), by caller chain (inclusive time) and by code area. `node --import tsx
// bench/lib/profile-summary.ts FILE [--last-ms N | --from-ms A --to-ms B] [--top N]`; --last-ms
// keeps only the last N ms of the profile (e.g. the fan-out part, which runs last in
// bench/live.ts), --from-ms/--to-ms a window counted from the profile's start.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
export type CpuProfile = {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
};

export type ProfileSummary = {
  windowMs: number;
  /** Share of the window (0..1) per entry. */
  self: Array<[name: string, share: number]>;
  inclusive: Array<[name: string, share: number]>;
  areas: Array<[area: string, share: number]>;
};

function frameName(f: CallFrame): string {
  const file = f.url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/(server|device-sim)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${file}${file ? `:${f.lineNumber + 1}` : ''}`;
}

/** The code area a frame belongs to: a package, our server, Node's internals, or V8's own entries. */
export function area(f: CallFrame): string {
  const url = f.url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.includes('/server/')) return 'server (ours)';
  if (url.startsWith('node:')) return 'node internals';
  if (url === '') return f.functionName.startsWith('(') ? f.functionName : 'native';
  return 'other';
}

export function summarizeProfile(
  profile: CpuProfile,
  opts: { lastMs?: number; fromMs?: number; toMs?: number; top?: number } = {},
): ProfileSummary {
  const top = opts.top ?? 15;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Sample i lasted timeDeltas[i + 1] µs (the delta to the next sample).
  const times: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  const from =
    opts.lastMs !== undefined
      ? profile.endTime - opts.lastMs * 1000
      : opts.fromMs !== undefined
        ? profile.startTime + opts.fromMs * 1000
        : -Infinity;
  const to = opts.toMs !== undefined ? profile.startTime + opts.toMs * 1000 : Infinity;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    if ((times[i] as number) < from || (times[i] as number) >= to) continue;
    const dt = (times[i + 1] ?? profile.endTime) - (times[i] as number);
    total += dt;
    const leaf = byId.get(profile.samples[i] as number);
    if (!leaf) continue;
    const leafName = frameName(leaf.callFrame);
    self.set(leafName, (self.get(leafName) ?? 0) + dt);
    // Inclusive and area: each distinct name/area on the stack counted once per sample.
    const names = new Set<string>();
    let areaOfLeaf: string | null = null;
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id) as ProfileNode;
      names.add(frameName(node.callFrame));
      // The innermost frame that is not Node's internals names the area (a ws write is ws's).
      if (areaOfLeaf === null && area(node.callFrame) !== 'node internals' && area(node.callFrame) !== 'native')
        areaOfLeaf = area(node.callFrame);
    }
    for (const n of names) inclusive.set(n, (inclusive.get(n) ?? 0) + dt);
    const a = areaOfLeaf ?? area(leaf.callFrame);
    areas.set(a, (areas.get(a) ?? 0) + dt);
  }
  const ranked = (m: Map<string, number>, n: number): Array<[string, number]> =>
    [...m]
      .sort((x, y) => y[1] - x[1])
      .slice(0, n)
      .map(([k, v]) => [k, total > 0 ? v / total : 0]);
  return {
    windowMs: total / 1000,
    self: ranked(self, top),
    inclusive: ranked(inclusive, top * 2),
    areas: ranked(areas, top),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: profile-summary.ts FILE [--last-ms N] [--top N]');
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const lastMs = arg('--last-ms');
  const fromMs = arg('--from-ms');
  const toMs = arg('--to-ms');
  const topN = arg('--top');
  const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, {
    ...(lastMs !== undefined ? { lastMs } : {}),
    ...(fromMs !== undefined ? { fromMs } : {}),
    ...(toMs !== undefined ? { toMs } : {}),
    ...(topN !== undefined ? { top: topN } : {}),
  });
  const pct = (x: number): string => `${(x * 100).toFixed(1).padStart(5)} %`;
  console.log(`window ${Math.round(s.windowMs)} ms`);
  console.log('\nby area (innermost non-internal frame):');
  for (const [k, v] of s.areas) console.log(`  ${pct(v)}  ${k}`);
  console.log('\nself time:');
  for (const [k, v] of s.self) console.log(`  ${pct(v)}  ${k}`);
  console.log('\ninclusive time:');
  for (const [k, v] of s.inclusive) console.log(`  ${pct(v)}  ${k}`);
}
