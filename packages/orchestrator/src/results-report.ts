import type { ArtifactKeys, MetricName, ObjectStore, TrialParams } from '@denoise-sweep/shared';
import type { SweepStatus, TrialState } from './sweep-state.js';
import { earlyTerminationOf } from './sweep-state.js';
import type { Column } from './text-table.js';
import { formatTable } from './text-table.js';

/** One row of `orchestrator results`: a trial with its params, state and final metrics. */
export interface ResultRow {
  rank: number | null;
  best: boolean;
  trial: string;
  state: TrialState;
  noise_factor: number;
  filters: number[];
  epochs: number;
  batch_size: number;
  learning_rate: number;
  seed: number;
  val_loss: number | null;
  psnr: number | null;
  ssim: number | null;
  noisy_psnr: number | null;
  epochs_completed: number;
  param_count: number | null;
  checkpoint_uri: string | null;
  samples_uri: string | null;
  failed_reason: string | null;
  /** What early termination did to the trial: `stopped at epoch 3`, `paused at epoch 1`, `promoted at epoch 1`; null: nothing. */
  early_termination: string | null;
}

export const RESULT_FORMATS = ['table', 'csv', 'json'] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

/** Rows sorted by the sweep's metric (finished trials first, best first), best marked. */
export function resultRows(status: SweepStatus, store: ObjectStore, keys: ArtifactKeys, params: Map<string, TrialParams>): ResultRow[] {
  const { name: metric, goal } = status.record.metric;
  const rows = status.trials.map((t): ResultRow => {
    const p = t.result?.params ?? params.get(t.id);
    const r = t.result;
    return {
      rank: null,
      best: false,
      trial: t.id,
      state: t.state,
      noise_factor: p?.noise_factor ?? NaN,
      filters: p?.filters ?? [],
      epochs: p?.epochs ?? NaN,
      batch_size: p?.batch_size ?? NaN,
      learning_rate: p?.learning_rate ?? NaN,
      seed: p?.seed ?? NaN,
      val_loss: r?.final.val_loss ?? null,
      psnr: r?.final.psnr ?? null,
      ssim: r?.final.ssim ?? null,
      noisy_psnr: r?.final.noisy_psnr ?? null,
      epochs_completed: r?.epochs_completed ?? t.progress?.epoch ?? 0,
      param_count: r?.param_count ?? null,
      checkpoint_uri: r ? store.uri(r.checkpoint_key) : null,
      samples_uri: r ? store.uri(r.samples_key) : null,
      failed_reason: t.failedReason ?? null,
      early_termination: cutText(earlyTerminationOf(t)),
    };
  });
  const value = (row: ResultRow) => row[metric as MetricName];
  const sign = goal === 'minimize' ? 1 : -1;
  rows.sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === null || vb === null) return va === null ? (vb === null ? a.trial.localeCompare(b.trial) : 1) : -1;
    return sign * (va - vb) || a.trial.localeCompare(b.trial);
  });
  let rank = 0;
  for (const row of rows) if (value(row) !== null) row.rank = ++rank;
  if (rows[0] && value(rows[0]) !== null) rows[0].best = true;
  return rows;
}

const cutText = (cut: ReturnType<typeof earlyTerminationOf>) => (cut ? `${cut.how} at epoch ${cut.epochs.join(', ')}` : null);

const fixed = (v: number | null, digits: number) => (v === null ? '-' : v.toFixed(digits));

const TABLE_COLUMNS: readonly Column<ResultRow>[] = [
  { header: '', value: (r) => (r.best ? '*' : ''), align: 'left' },
  { header: 'rank', value: (r) => (r.rank === null ? '-' : String(r.rank)), align: 'right' },
  { header: 'trial', value: (r) => r.trial, align: 'left' },
  { header: 'state', value: (r) => r.state, align: 'left' },
  { header: 'noise', value: (r) => String(r.noise_factor), align: 'right' },
  { header: 'filters', value: (r) => r.filters.join(','), align: 'left' },
  { header: 'epochs', value: (r) => `${r.epochs_completed}/${r.epochs}`, align: 'right' },
  { header: 'batch', value: (r) => String(r.batch_size), align: 'right' },
  { header: 'lr', value: (r) => String(r.learning_rate), align: 'right' },
  { header: 'val_loss', value: (r) => fixed(r.val_loss, 5), align: 'right' },
  { header: 'psnr', value: (r) => fixed(r.psnr, 2), align: 'right' },
  { header: 'noisy', value: (r) => fixed(r.noisy_psnr, 2), align: 'right' },
  { header: 'ssim', value: (r) => fixed(r.ssim, 4), align: 'right' },
  { header: 'params', value: (r) => (r.param_count === null ? '-' : String(r.param_count)), align: 'right' },
  { header: 'early termination', value: (r) => r.early_termination ?? '', align: 'left' },
];

const CSV_FIELDS: readonly (keyof ResultRow)[] = [
  'rank', 'best', 'trial', 'state', 'noise_factor', 'filters', 'epochs', 'batch_size', 'learning_rate', 'seed',
  'val_loss', 'psnr', 'ssim', 'noisy_psnr', 'epochs_completed', 'param_count', 'checkpoint_uri', 'samples_uri', 'failed_reason',
  'early_termination',
];

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = Array.isArray(value) ? value.join(' ') : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatResults(rows: readonly ResultRow[], format: ResultFormat, status: SweepStatus): string {
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  if (format === 'csv') return [CSV_FIELDS.join(','), ...rows.map((r) => CSV_FIELDS.map((f) => csvCell(r[f])).join(','))].join('\n') + '\n';
  const { name, goal } = status.record.metric;
  const best = rows.find((r) => r.best);
  const lines = [
    `Sweep ${status.sweep}: ${rows.length} trials, sorted by ${name} (${goal}); * marks the best.`,
    '',
    // The early termination column only for sweeps where it says something.
    formatTable(rows.some((r) => r.early_termination) ? TABLE_COLUMNS : TABLE_COLUMNS.filter((c) => c.header !== 'early termination'), rows).trimEnd(),
  ];
  if (best?.samples_uri) lines.push('', `Best trial ${best.trial}: samples ${best.samples_uri}`, `  checkpoint ${best.checkpoint_uri}`);
  const failed = rows.filter((r) => r.failed_reason && r.state !== 'done');
  for (const r of failed) lines.push(`  ${r.trial} ${r.state}: ${r.failed_reason}`);
  return `${lines.join('\n')}\n`;
}
