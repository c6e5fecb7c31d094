/**
 * The Prometheus side of infra/: promtool validates the production config, the test twin of it
 * (test/helpers/prometheus.ts) and the rules, and runs the rule unit tests in
 * infra/prometheus/tests/, which must cover every alert (firing and quiet) and every recording rule.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INFRA_PROMETHEUS_DIR, testConfig } from './helpers/prometheus.js';

const promtoolFound = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
const rulesDir = join(INFRA_PROMETHEUS_DIR, 'rules');
const testsDir = join(INFRA_PROMETHEUS_DIR, 'tests');
const ruleFiles = readdirSync(rulesDir).filter((f) => f.endsWith('.yml')).map((f) => join(rulesDir, f));
const ruleTestFiles = readdirSync(testsDir).filter((f) => f.endsWith('.yml')).map((f) => join(testsDir, f));
const dir = mkdtempSync(join(tmpdir(), 'promtool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: INFRA_PROMETHEUS_DIR, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const names = (text: string, key: 'alert' | 'record') => [...text.matchAll(new RegExp(`^\\s*- ${key}: (\\S+)`, 'gm'))].map((m) => m[1]!);

describe.skipIf(!promtoolFound)('Prometheus config and rules (promtool; skipped without the Debian prometheus package)', () => {
  it('the production config is valid and loads the rules', () => {
    const r = promtool('check', 'config', 'prometheus.yml');
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS: 2 rule files found/);
  });

  it('the test config has the production jobs and is valid', () => {
    const file = join(dir, 'prometheus.yml');
    writeFileSync(file, JSON.stringify(testConfig({ dir, port: 9090 })));
    writeFileSync(join(dir, 'workers.json'), '[]');
    writeFileSync(join(dir, 'exporter.json'), '[]');
    const r = promtool('check', 'config', file);
    expect(r.status, r.output).toBe(0);
    const production = readFileSync(join(INFRA_PROMETHEUS_DIR, 'prometheus.yml'), 'utf8');
    const jobs = (text: string) => [...text.matchAll(/job_name"?: ?"?([\w-]+)/g)].map((m) => m[1]).sort();
    expect(jobs(readFileSync(file, 'utf8'))).toEqual(jobs(production));
  });

  it('the rules are valid', () => {
    const r = promtool('check', 'rules', ...ruleFiles);
    expect(r.status, r.output).toBe(0);
  });

  it('the rule unit tests pass', () => {
    const r = promtool('test', 'rules', ...ruleTestFiles);
    expect(r.status, r.output).toBe(0);
    expect(r.output.match(/SUCCESS/g)).toHaveLength(ruleTestFiles.length);
  });

  it('every alert is tested firing and quiet, every recording rule is tested', () => {
    const rules = ruleFiles.map((f) => readFileSync(f, 'utf8')).join('\n');
    const tests = ruleTestFiles.map((f) => readFileSync(f, 'utf8')).join('\n');
    const alerts = names(rules, 'alert');
    const records = names(rules, 'record');
    expect(alerts.length).toBeGreaterThanOrEqual(5);
    expect(records.length).toBeGreaterThanOrEqual(5);
    // Split the tests into alert cases: "alertname: X" followed by exp_alerts or not.
    const cases = tests.split(/(?=^\s*- eval_time:)/m).filter((c) => /alertname:/.test(c));
    for (const alert of alerts) {
      const mine = cases.filter((c) => new RegExp(`alertname: ${alert}\\s`).test(c));
      expect(mine.some((c) => /exp_alerts:/.test(c)), `${alert} is never tested firing`).toBe(true);
      expect(mine.some((c) => !/exp_alerts:/.test(c)), `${alert} is never tested quiet`).toBe(true);
    }
    for (const record of records) expect(tests, `recording rule ${record} has no promql_expr_test`).toMatch(new RegExp(`expr: ${record}\\s`));
  });
});
