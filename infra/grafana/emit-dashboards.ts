/**
 * Writes infra/grafana/dashboards/*.json from the TypeScript dashboards.
 *   npm run dashboards            # write
 *   npm run dashboards -- --check # exit 1 if a committed file differs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DASHBOARDS, renderDashboard } from './dashboards/index.js';

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, dashboard] of Object.entries(DASHBOARDS)) {
  const path = fileURLToPath(new URL(`./dashboards/${file}`, import.meta.url));
  const text = renderDashboard(dashboard);
  if (check) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // missing: stale
    }
    if (current !== text) {
      stale += 1;
      process.stderr.write(`${path} is out of date: run npm run dashboards\n`);
    }
  } else {
    writeFileSync(path, text);
    process.stdout.write(`wrote ${path}\n`);
  }
}
if (stale > 0) process.exitCode = 1;
