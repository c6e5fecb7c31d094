import type { CheckpointRetention, MetricName, SweepMetric } from '@denoise-sweep/shared';
import type { CheckpointStore, PruneOutcome } from './checkpoint-store.js';
import { checkpointName } from './checkpoint-store.js';
import type { EpochMetrics } from './trainer-state.js';

/** The EpochMetrics field behind each sweep metric name. */
export const EPOCH_METRIC_FIELDS = {
  val_loss: 'valLoss',
  psnr: 'psnr',
  ssim: 'ssim',
} as const satisfies Record<MetricName, keyof EpochMetrics>;

/**
 * The epoch that is best by the metric (a tie goes to the earlier epoch; NaN is never best),
 * or undefined when the history holds no epoch with a number for it.
 */
export function bestEpoch(history: readonly EpochMetrics[], metric: SweepMetric): number | undefined {
  const field = EPOCH_METRIC_FIELDS[metric.name];
  let best: EpochMetrics | undefined;
  for (const m of history) {
    const value = m[field];
    if (Number.isNaN(value)) continue;
    if (best === undefined || (metric.goal === 'minimize' ? value < best[field] : value > best[field])) best = m;
  }
  return best?.epoch;
}

/** The name of the best epoch's checkpoint (`epoch-NNNN`), or undefined. */
export function bestCheckpoint(history: readonly EpochMetrics[], metric: SweepMetric): string | undefined {
  const epoch = bestEpoch(history, metric);
  return epoch === undefined ? undefined : checkpointName(epoch);
}

/**
 * Applies a trial's checkpoint retention after a checkpoint was saved (save() resolved), with
 * the history that checkpoint holds. A failed prune is only logged: it never fails the trial,
 * and the next one catches up.
 */
export async function pruneCheckpoints(
  store: CheckpointStore,
  retention: CheckpointRetention,
  history: readonly EpochMetrics[],
  log: (message: string) => void = () => {},
): Promise<PruneOutcome | undefined> {
  if (retention.keep === 'all') return undefined;
  try {
    const outcome = await store.prune(retention.keep, bestCheckpoint(history, retention.metric));
    if (outcome.removed.length > 0) log(`checkpoints kept: ${outcome.kept.join(', ')}; removed: ${outcome.removed.join(', ')} (keep_checkpoints: ${retention.keep})`);
    return outcome;
  } catch (err) {
    log(`warning: pruning old checkpoints failed, they stay until the next checkpoint: ${(err as Error).message}`);
    return undefined;
  }
}
