import fs from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Projects whose files load the whole machine and hold the heavy-file lock (test/helpers/heavy-lock.ts). */
export const HEAVY_PROJECTS: ReadonlySet<string> = new Set(['e2e', 'bench-smoke']);

/** Seconds a file took in a past full run (test/timings.json), for files vitest's own cache does not know. */
const TIMINGS_FILE = path.resolve(import.meta.dirname, '../timings.json');
const UNKNOWN_SECONDS = 5;

function readTimings(): Record<string, number> {
  try {
    return JSON.parse(fs.readFileSync(TIMINGS_FILE, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

/**
 * Vitest's order (slowest first, as far as it knows) with the heavy files spread through the queue,
 * so that with two workers one runs the heavy files one after another while the other runs light
 * files beside it, instead of the heavy files running alone at the end with one core idle.
 */
export class SpreadHeavySequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const timings = readTimings();
    const root = process.cwd();
    const seconds = (spec: TestSpecification) => timings[path.relative(root, spec.moduleId)] ?? UNKNOWN_SECONDS;
    return spreadHeavy(sorted, (spec) => HEAVY_PROJECTS.has(spec.project.name), seconds);
  }
}

/**
 * `items` with those `isHeavy` spread among the others: after each heavy item, light items worth
 * about as many seconds as it (the other worker's share while it runs), so that the next heavy
 * item is taken about when the previous one ends. Order within each kind is kept.
 */
export function spreadHeavy<T>(items: readonly T[], isHeavy: (item: T) => boolean, seconds: (item: T) => number): T[] {
  const heavy = items.filter(isHeavy);
  const light = items.filter((item) => !isHeavy(item));
  const out: T[] = [];
  let next = 0;
  for (const item of heavy) {
    out.push(item);
    let share = 0;
    while (next < light.length && share < seconds(item)) {
      const lightItem = light[next++] as T;
      share += seconds(lightItem);
      out.push(lightItem);
    }
  }
  while (next < light.length) out.push(light[next++] as T);
  return out;
}
