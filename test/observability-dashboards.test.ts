/**
 * The Grafana dashboards: authored in TypeScript against @grafana/schema (tsc checks them),
 * emitted to the committed JSON Grafana provisions, and every panel query accepted by a real
 * Prometheus. Whether the queries return data from real /metrics is test/observability.test.ts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Panel } from '@grafana/schema';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS, renderDashboard } from '../infra/grafana/dashboards/index.js';
import { dashboardQueries } from '../infra/grafana/dashboards/panels.js';
import { expandGrafanaVariables, prometheusAvailable, usePrometheus } from './helpers/prometheus.js';

const dashboardsDir = new URL('../infra/grafana/dashboards/', import.meta.url);

describe('Grafana dashboards', () => {
  it.each(Object.keys(DASHBOARDS))('%s is committed exactly as the TypeScript emits it (npm run dashboards)', (file) => {
    const committed = readFileSync(fileURLToPath(new URL(file, dashboardsDir)), 'utf8');
    expect(committed).toBe(renderDashboard(DASHBOARDS[file]!));
  });

  it.each(Object.keys(DASHBOARDS))('%s has a sweep variable, unique panel ids and uid, and queries in every panel', (file) => {
    const dashboard = DASHBOARDS[file]!;
    const sweep = dashboard.templating?.list?.find((v) => v.name === 'sweep');
    expect(sweep?.type).toBe('query');
    expect(JSON.stringify(sweep?.query)).toContain('label_values(denoise_sweep_sweep_trials, sweep)');
    const panels = dashboard.panels ?? [];
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      if (panel.type === 'row') continue;
      expect((panel as Panel).targets?.length, `panel '${panel.title}' has no query`).toBeGreaterThan(0);
      expect(panel.gridPos, `panel '${panel.title}' has no position`).toBeDefined();
    }
    const uids = Object.values(DASHBOARDS).map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('the sweep filter uses the sweep variable wherever a sweep label is matched', () => {
    for (const dashboard of Object.values(DASHBOARDS)) {
      for (const q of dashboardQueries(dashboard.panels ?? [])) {
        if (/sweep=/.test(q.expr)) expect(q.expr, q.panel).toMatch(/sweep=~"\$sweep"/);
      }
    }
  });
});

describe.skipIf(!prometheusAvailable())('dashboard queries are valid PromQL (a real Prometheus; skipped without the Debian prometheus package)', () => {
  const prometheus = usePrometheus();

  it('Prometheus accepts every panel query with the variables substituted', async () => {
    const failures: string[] = [];
    let count = 0;
    for (const [file, dashboard] of Object.entries(DASHBOARDS)) {
      for (const q of dashboardQueries(dashboard.panels ?? [])) {
        count += 1;
        const expr = expandGrafanaVariables(q.expr, { sweep: 'any-sweep' });
        try {
          await prometheus.server.query(expr);
        } catch (error) {
          failures.push(`${file} / ${q.panel} / ${q.refId}: ${(error as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(count).toBeGreaterThan(30);
  });
});
