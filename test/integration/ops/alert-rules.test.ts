import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/tools.js';

// docs/ops/alerts.yml checked by Debian's promtool (package `prometheus`), and its unit tests
// (docs/ops/alerts.test.yml: each alert fed series that fire it and series that must not).

const PROMTOOL = '/usr/bin/promtool';
const OPS = path.resolve(import.meta.dirname, '../../../docs/ops');

function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(PROMTOOL, args, { cwd: OPS, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Each rule of alerts.yml as its name and its block of text (the rules are one flat list). */
function ruleBlocks(): Array<{ name: string; text: string }> {
  const text = fs.readFileSync(path.join(OPS, 'alerts.yml'), 'utf8');
  return text
    .split(/^\s*- alert: /m)
    .slice(1)
    .map((block) => ({ name: block.split('\n')[0]?.trim() ?? '', text: block }));
}

describe('the alert rules’ words', () => {
  it('when an alert fires, then it says what happened in zh-CN and English, with a runbook line the operators’ README explains', () => {
    const rules = ruleBlocks();
    expect(rules.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'RibbonRedUnacknowledgedPastTier2',
        'RibbonRedUnreached',
        'RibbonCommitFailing',
        'RibbonDevicesOfflineRising',
        'RibbonServerDown',
        'RibbonServerAbsent',
      ]),
    );
    const readme = fs.readFileSync(path.join(OPS, 'README.md'), 'utf8');
    const tests = fs.readFileSync(path.join(OPS, 'alerts.test.yml'), 'utf8');
    for (const { name, text } of rules) {
      for (const key of ['summary_zh', 'description_zh'])
        expect(text, `${name} ${key}`).toMatch(new RegExp(`^\\s+${key}: ".*\\p{Script=Han}.*"$`, 'mu'));
      for (const key of ['summary', 'description'])
        expect(text, `${name} ${key}`).toMatch(new RegExp(`^\\s+${key}: "[ -~]+"$`, 'm'));
      expect(text, `${name} runbook`).toMatch(
        new RegExp(`^\\s+runbook: "docs/ops/README\\.md#${name.toLowerCase()} — `, 'm'),
      );
      expect(readme, `docs/ops/README.md explains ${name}`).toContain(`### ${name}`);
      expect(tests, `alerts.test.yml tests ${name}`).toContain(`alertname: ${name}`);
    }
  });
});

describe.skipIf(!requireProgram(PROMTOOL, 'prometheus').available)('the Prometheus alert rules', () => {
  it('when promtool checks docs/ops/alerts.yml, then the rules are valid and each alert has zh-CN and English words and a runbook line', () => {
    const check = promtool('check', 'rules', 'alerts.yml');
    expect(check.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(check.status, check.output).toBe(0);
  });

  it('when promtool runs docs/ops/alerts.test.yml, then every alert fires on the series that should fire it and not on the others', () => {
    const test = promtool('test', 'rules', 'alerts.test.yml');
    expect(test.status, test.output).toBe(0);
    expect(test.output).toContain('SUCCESS');
  });
});
