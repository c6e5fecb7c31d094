/**
 * The dashboards, by the JSON file each one is emitted to (infra/grafana/dashboards/*.json,
 * committed, and read by Grafana's file provisioning). Edit the TypeScript, then run
 * `npm run dashboards`; a test fails when the committed JSON differs from what this emits.
 */
import type { Dashboard } from '@grafana/schema';
import { operationsDashboard } from './operations.js';
import { resultsDashboard } from './results.js';

export const DASHBOARDS: Readonly<Record<string, Dashboard>> = {
  'operations.json': operationsDashboard,
  'results.json': resultsDashboard,
};

/** The JSON text of a dashboard file: stable key order as authored, two-space indent. */
export function renderDashboard(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
