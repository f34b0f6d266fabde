import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connectDevice } from '../../../device-sim/device.js';
import { startTestSystem } from '../../helpers/system.js';
import { requireProgram } from '../../helpers/tools.js';

// The operators' dashboard and alert rules (docs/ops/) name metrics by hand: each name they use
// must be one the running server exposes on /metrics, so renaming a metric breaks this test.

const OPS = path.resolve(import.meta.dirname, '../../../docs/ops');
/** Series Prometheus makes itself for every target (not on /metrics). */
const SYNTHETIC = new Set(['up']);
const NAME = /\b(?:ribbon|process|nodejs)_[a-z0-9_]+\b/g;

/** Every metric family on a scrape, histograms also under their _bucket, _sum and _count names. */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram' || type === 'summary') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
  }
  return names;
}

/** The metric names in PromQL text (the label values and functions are not metric names). */
function namesIn(exprs: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const expr of exprs) {
    for (const m of expr.matchAll(NAME)) names.add(m[0]);
    if (/\bup\{/.test(expr)) names.add('up');
  }
  return names;
}

function dashboardExprs(): string[] {
  const dashboard = JSON.parse(fs.readFileSync(path.join(OPS, 'grafana-dashboard.json'), 'utf8')) as {
    panels: Array<{ type: string; targets?: Array<{ expr: string }> }>;
    templating: { list: Array<{ definition?: string }> };
  };
  return [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ...dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition] : [])),
  ];
}

/** The `expr:` of every rule and the `series:` of every unit test (plain YAML lines, one level). */
function yamlExprs(file: string): string[] {
  const text = fs.readFileSync(path.join(OPS, file), 'utf8');
  const out: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = /^\s*(?:expr|- series): (.*)$/.exec(line);
    if (!m) return;
    if ((m[1] as string).trim() !== '|') out.push(m[1] as string);
    else
      for (let j = i + 1; j < lines.length && /^\s{10,}\S/.test(lines[j] as string); j++) out.push(lines[j] as string);
  });
  return out;
}

describe('the operators’ view names only what /metrics exposes', () => {
  it('when the test system is scraped, then every metric the Grafana dashboard and the alert rules use is on /metrics', async () => {
    const system = await startTestSystem();
    // A press, so that histograms and counters have samples as well as their HELP and TYPE lines.
    const creds = system.provision();
    const d = await connectDevice({ url: system.mqttUrl, id: creds.id, secret: creds.secret });
    onTestFinished(() => d.close());
    await d.press('red');
    const scrape = await (await fetch(`${system.httpUrl}/metrics`)).text();
    const exposed = exposedNames(scrape);

    const dashboard = namesIn(dashboardExprs());
    const rules = namesIn(yamlExprs('alerts.yml'));
    const ruleTests = namesIn(yamlExprs('alerts.test.yml'));
    // Not vacuous: each file names metrics, and the reading found the new ones.
    expect(dashboard.size).toBeGreaterThan(15);
    expect(rules).toContain('ribbon_emergencies_open');
    expect(ruleTests).toContain('ribbon_devices_offline');

    const unknown = (names: Set<string>) => [...names].filter((n) => !exposed.has(n) && !SYNTHETIC.has(n)).sort();
    expect(unknown(dashboard), 'metrics in docs/ops/grafana-dashboard.json that /metrics lacks').toEqual([]);
    expect(unknown(rules), 'metrics in docs/ops/alerts.yml that /metrics lacks').toEqual([]);
    expect(unknown(ruleTests), 'metrics in docs/ops/alerts.test.yml that /metrics lacks').toEqual([]);
  });

  it('when the dashboard is imported into Grafana 10+, then every panel asks the data source chosen in its DS_PROMETHEUS variable', () => {
    const dashboard = JSON.parse(fs.readFileSync(path.join(OPS, 'grafana-dashboard.json'), 'utf8')) as {
      schemaVersion: number;
      uid: string;
      panels: Array<{ id: number; type: string; datasource?: unknown; targets?: Array<{ datasource: unknown }> }>;
      templating: { list: Array<{ name: string; type: string; query?: unknown }> };
    };
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(38); // Grafana 10.0
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', query: 'prometheus' }),
    );
    // Grafana's own variable syntax, kept literal.
    const ds = { type: 'prometheus', uid: `\${DS_PROMETHEUS}` };
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    for (const p of panels) {
      expect(p.datasource).toEqual(ds);
      for (const t of p.targets ?? []) expect(t.datasource).toEqual(ds);
    }
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.skipIf(!requireProgram('/usr/bin/promtool', 'prometheus').available)(
    'when /metrics is read by promtool, then it is valid Prometheus text (one family per name, across both lanes)',
    async () => {
      const system = await startTestSystem();
      const scrape = await (await fetch(`${system.httpUrl}/metrics`)).text();
      // Each family once: the core's and the people side's lane figures are merged.
      const types = [...scrape.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
      expect(types.length).toBe(new Set(types).size);
      expect(scrape).toMatch(/^ribbon_event_loop_delay_p99_seconds\{lane="core"\} /m);
      expect(scrape).toMatch(/^ribbon_event_loop_delay_p99_seconds\{lane="people"\} /m);
      // promtool parses the exposition; its lint of names is advice and not asserted here.
      const out = execFileSync('/usr/bin/promtool', ['check', 'metrics'], { input: scrape, encoding: 'utf8' });
      expect(out).not.toMatch(/error while linting|parse/i);
    },
  );
});
