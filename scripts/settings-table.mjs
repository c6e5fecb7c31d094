// Prints the configuration table the settings declare (packages/shared/src/settings.ts);
// with --write, puts it into README.md between its settings markers. Run after `npm run build`.
import { readFileSync, writeFileSync } from 'node:fs';
import { settingsTable } from '../packages/shared/dist/index.js';

const table = settingsTable();
if (!process.argv.includes('--write')) {
  console.log(table);
} else {
  const readme = new URL('../README.md', import.meta.url);
  const text = readFileSync(readme, 'utf8');
  const begin = '<!-- settings-table: begin -->';
  const end = '<!-- settings-table: end -->';
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${begin} ... ${end} section`);
  writeFileSync(readme, `${text.slice(0, from + begin.length)}\n${table}\n${text.slice(to)}`);
  console.log('README.md: configuration table written');
}
