import type { Trial } from '@denoise-sweep/shared';
import type { Column } from './text-table.js';
import { formatTable } from './text-table.js';

const COLUMNS: readonly Column<Trial>[] = [
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
  return formatTable(COLUMNS, trials);
}
