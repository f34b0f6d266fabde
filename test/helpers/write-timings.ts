// Refreshes test/timings.json (seconds per test file, read by test/helpers/sequencer.ts to spread the
// heavy files) from a vitest JSON report:
//   npm test -- --reporter=json --outputFile.json=/tmp/report.json
//   node --import tsx test/helpers/write-timings.ts /tmp/report.json
import fs from 'node:fs';
import path from 'node:path';

type Report = { testResults: { name: string; startTime: number; endTime: number }[] };

const file = process.argv[2];
if (!file) {
  console.error('usage: node --import tsx test/helpers/write-timings.ts REPORT.json');
  process.exit(2);
}
const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
const root = path.resolve(import.meta.dirname, '../..');
const timings: Record<string, number> = {};
for (const t of [...report.testResults].sort((a, b) => (a.name < b.name ? -1 : 1)))
  timings[path.relative(root, t.name)] = Math.max(1, Math.round((t.endTime - t.startTime) / 1000));
fs.writeFileSync(path.join(root, 'test/timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
console.log(`test/timings.json: ${Object.keys(timings).length} files`);
