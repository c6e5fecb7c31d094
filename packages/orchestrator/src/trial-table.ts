import type { Trial } from '@denoise-sweep/shared';

interface Column {
  header: string;
  value: (trial: Trial) => string;
  align: 'left' | 'right';
}

const COLUMNS: readonly Column[] = [
  { header: 'id', value: (t) => t.id, align: 'left' },
  { header: 'noise', value: (t) => String(t.params.noise_factor), align: 'right' },
  { header: 'filters', value: (t) => t.params.filters.join(','), align: 'left' },
  { header: 'epochs', value: (t) => String(t.params.epochs), align: 'right' },
  { header: 'batch', value: (t) => String(t.params.batch_size), align: 'right' },
  { header: 'lr', value: (t) => String(t.params.learning_rate), align: 'right' },
  { header: 'seed', value: (t) => String(t.params.seed), align: 'right' },
];

/** A plain-text table of trials, one per line, columns padded to their widest cell. */
export function formatTrialTable(trials: readonly Trial[]): string {
  const rows = [COLUMNS.map((c) => c.header), ...trials.map((t) => COLUMNS.map((c) => c.value(t)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((row) => row
    .map((cell, i) => {
      const width = widths[i] ?? 0;
      return COLUMNS[i]?.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
    })
    .join('  ')
    .trimEnd());
  return `${lines.join('\n')}\n`;
}
