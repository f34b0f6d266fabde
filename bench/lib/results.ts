// Appends dated, self-describing sections to bench/RESULTS.md: what ran (method), where
// (machine line) and the figures (one markdown table), so a number never travels without its
// conditions.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeMachine, formatMachine, type MachineInfo } from './machine.js';

export type Cell = string | number;

export interface ResultsSection {
  title: string;
  method: string;
  rows: Array<Record<string, Cell>>;
  notes?: string[];
}

export const DEFAULT_RESULTS_FILE = fileURLToPath(new URL('../RESULTS.md', import.meta.url));

const HEADER = `# Benchmark results

Appended by the scripts in \`bench/\` (\`npx tsx bench/<name>.ts\`), newest last. Each section
names the machine, the method and the date; budgets are read as ratios to the Mosquitto floor
measured in the same run (docs/design.md §5).
`;

export interface AppendOptions {
  file?: string;
  machine?: MachineInfo;
}

/** Appends the section (creating the file with a short header if missing); returns the path. */
export function appendResults(section: ResultsSection, opts: AppendOptions = {}): string {
  const file = opts.file ?? DEFAULT_RESULTS_FILE;
  if (!existsSync(file)) writeFileSync(file, HEADER);
  appendFileSync(file, `\n${renderSection(section, opts.machine ?? describeMachine())}`);
  return file;
}

export function renderSection(section: ResultsSection, machine: MachineInfo): string {
  const lines = [
    `## ${section.title} — ${machine.date.slice(0, 10)}`,
    '',
    `Machine: ${formatMachine(machine)}`,
    '',
    section.method.trim(),
    '',
    ...renderTable(section.rows),
  ];
  if (section.notes && section.notes.length > 0) {
    lines.push('', ...section.notes.map((n) => `- ${n}`));
  }
  return `${lines.join('\n')}\n`;
}

export function renderTable(rows: ReadonlyArray<Record<string, Cell>>): string[] {
  if (rows.length === 0) return ['(no rows)'];
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const numeric = columns.map((c) => rows.every((r) => r[c] === undefined || typeof r[c] === 'number'));
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(columns.map(escapeCell)),
    line(numeric.map((n) => (n ? '---:' : '---'))),
    ...rows.map((r) => line(columns.map((c) => escapeCell(formatCell(r[c]))))),
  ];
}

/** Integers get thousands separators; other numbers 3 significant digits (whole above 100). */
export function formatCell(value: Cell | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return '–';
  if (Number.isInteger(value) || Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return String(Number(value.toPrecision(3)));
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
