import type { ArtifactKeys, EpochRecord, ObjectStore, ParamName, TrialParams } from '@denoise-sweep/shared';
import { PARAM_NAMES, mapLimit } from '@denoise-sweep/shared';
import type { ResultRow } from '../results-report.js';
import { resultRows } from '../results-report.js';
import type { SweepStatus, TrialState } from '../sweep-state.js';
import { earlyTerminationOf, paramsByTrial } from '../sweep-state.js';

/**
 * Terms used by the report:
 *   curve    a trial's metrics.jsonl, one point per epoch; a trial that stopped early has a
 *            partial curve, one that never finished an epoch has none.
 *   samples  the trial's samples.png (noisy / denoised / clean rows), inlined as a data: URI
 *            so the report is one file that works offline.
 */
export interface ReportTrial {
  row: ResultRow;
  /** A short name for legends: the params that vary across the sweep. */
  label: string;
  curve: EpochRecord[];
  /** data:image/png;base64,... or null when the trial has no picture (yet). */
  samples: string | null;
  /** The rung (epoch) where early termination cut the trial: stopped there, paused there now, or paused there and promoted since. */
  cut?: { epoch: number; how: 'stopped' | 'paused' | 'promoted' };
}

export interface ReportData {
  sweep: string;
  name: string;
  description?: string;
  metric: SweepStatus['record']['metric'];
  counts: Record<TrialState, number>;
  /** Trials best first, as `orchestrator results` lists them. */
  trials: ReportTrial[];
  /** What could not be read, for the reader to know what is missing and why. */
  warnings: string[];
  generatedAt: string;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Short names of the parameters for legends and captions. */
const PARAM_LABELS: Record<ParamName, string> = {
  noise_factor: 'noise', filters: 'filters', epochs: 'epochs', batch_size: 'batch', learning_rate: 'lr', seed: 'seed',
};

const paramText = (value: TrialParams[ParamName]) => (Array.isArray(value) ? value.join(',') : String(value));

/** Labels naming each trial by the params that differ between trials; the id settles ties. */
function trialLabels(rows: readonly ResultRow[]): Map<string, string> {
  const params = (r: ResultRow): TrialParams => ({
    noise_factor: r.noise_factor, filters: r.filters, epochs: r.epochs, batch_size: r.batch_size, learning_rate: r.learning_rate, seed: r.seed,
  });
  const varying = PARAM_NAMES.filter((name) => new Set(rows.map((r) => paramText(params(r)[name]))).size > 1);
  const base = new Map(rows.map((r) => [r.trial, varying.map((name) => `${PARAM_LABELS[name]} ${paramText(params(r)[name])}`).join(' · ')]));
  const uses = new Map<string, number>();
  for (const label of base.values()) uses.set(label, (uses.get(label) ?? 0) + 1);
  return new Map([...base].map(([trial, label]) => [trial, label === '' || (uses.get(label) ?? 0) > 1 ? `${label}${label ? ' ' : ''}#${trial.slice(0, 6)}` : label]));
}

/** Parses metrics.jsonl; lines that are not epoch records are skipped and reported. */
function parseMetricsJsonl(text: string, where: string, warnings: string[]): EpochRecord[] {
  const records: EpochRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const value = JSON.parse(line) as Partial<EpochRecord>;
      if (typeof value.epoch !== 'number' || typeof value.val_loss !== 'number') throw new Error('no numeric epoch and val_loss');
      records.push(value as EpochRecord);
    } catch (error) {
      warnings.push(`${where} line ${i + 1} skipped: ${(error as Error).message}`);
    }
  });
  return records.sort((a, b) => a.epoch - b.epoch);
}

async function readSamples(store: ObjectStore, key: string, warnings: string[]): Promise<string | null> {
  const bytes = await store.get(key);
  if (!bytes) {
    warnings.push(`${store.uri(key)} is missing: the trial's picture is left out`);
    return null;
  }
  const buffer = Buffer.from(bytes);
  if (!buffer.subarray(0, 8).equals(PNG_SIGNATURE)) {
    warnings.push(`${store.uri(key)} is not a PNG: the trial's picture is left out`);
    return null;
  }
  return `data:image/png;base64,${buffer.toString('base64')}`;
}

/** Reads what the report shows from the store: results, every trial's curve and picture. */
export async function gatherReportData(status: SweepStatus, store: ObjectStore, keys: ArtifactKeys): Promise<ReportData> {
  const { record } = status;
  const params = paramsByTrial(status);
  // Slots of an adaptive sweep whose trial is not suggested yet have nothing to show but their count.
  const rows = resultRows(status, store, keys, params).filter((row) => params.has(row.trial));
  const labels = trialLabels(rows);
  const results = new Map(status.trials.map((t) => [t.id, t.result]));
  const byId = new Map(status.trials.map((t) => [t.id, t]));
  const warnings: string[] = [];
  const trials = await mapLimit(rows, 8, async (row): Promise<ReportTrial> => {
    const metricsKey = keys.metrics(status.sweep, row.trial);
    const metrics = await store.get(metricsKey);
    const curve = metrics ? parseMetricsJsonl(Buffer.from(metrics).toString('utf8'), store.uri(metricsKey), warnings) : [];
    const result = results.get(row.trial);
    const samples = result ? await readSamples(store, result.samples_key, warnings) : null;
    const trial: ReportTrial = { row, label: labels.get(row.trial) ?? row.trial, curve, samples };
    const t = byId.get(row.trial);
    const cut = t ? earlyTerminationOf(t) : undefined;
    if (cut?.epochs[0] !== undefined) trial.cut = { epoch: cut.epochs[0], how: cut.how };
    return trial;
  });
  return {
    sweep: status.sweep,
    name: record.name,
    description: record.description,
    metric: record.metric,
    counts: status.counts,
    trials,
    warnings,
    generatedAt: new Date().toISOString(),
  };
}
