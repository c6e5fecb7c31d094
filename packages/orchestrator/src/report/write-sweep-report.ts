import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ArtifactKeys, ObjectStore } from '@denoise-sweep/shared';
import { writeFileAtomic } from '@denoise-sweep/shared';
import type { SweepStatus } from '../sweep-state.js';
import { gatherReportData } from './report-data.js';
import { renderReportHtml } from './report-html.js';

export interface WriteSweepReportOptions {
  /** The sweep as readSweepStatus read it. */
  status: SweepStatus;
  store: ObjectStore;
  keys: ArtifactKeys;
  /** Where to write the HTML file; its directory is created if need be. */
  out: string;
}

/** The report's default file name: `<sweep>-report.html` in the working directory. */
export function defaultReportPath(sweep: string): string {
  return `${sweep}-report.html`;
}

/** The sweep's report as one self-contained HTML page. */
async function renderSweepReport(status: SweepStatus, store: ObjectStore, keys: ArtifactKeys): Promise<string> {
  const data = await gatherReportData(status, store, keys);
  // Vega takes ~0.4 s to load: only the report pays for it, not every command of the CLI.
  const { renderReportCharts } = await import('./report-charts.js');
  return renderReportHtml(data, await renderReportCharts(data));
}

/**
 * Writes the sweep's report and returns its absolute path. The file appears whole or not at
 * all (written beside it, then renamed), so a browser never shows half a report.
 */
export async function writeSweepReport({ status, store, keys, out }: WriteSweepReportOptions): Promise<string> {
  const path = resolve(out);
  const html = await renderSweepReport(status, store, keys);
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFileAtomic(path, html);
  } catch (error) {
    throw new Error(`cannot write the report to ${path} (${(error as Error).message}): check --out and that its directory is writable`, { cause: error });
  }
  return path;
}
