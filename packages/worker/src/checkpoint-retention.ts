import type { CheckpointRetention, EpochRecord, SweepMetric } from '@denoise-sweep/shared';
import type { CheckpointStore, PruneOutcome } from './checkpoint-store.js';
import { checkpointName } from './checkpoint-store.js';

/**
 * The epoch that is best by the metric (a tie goes to the earlier epoch; NaN is never best),
 * or undefined when the history holds no epoch with a number for it.
 */
export function bestEpoch(history: readonly EpochRecord[], metric: SweepMetric): number | undefined {
  const field = metric.name;
  let best: EpochRecord | undefined;
  for (const m of history) {
    const value = m[field];
    if (Number.isNaN(value)) continue;
    if (best === undefined || (metric.goal === 'minimize' ? value < best[field] : value > best[field])) best = m;
  }
  return best?.epoch;
}

/** The name of the best epoch's checkpoint (`epoch-NNNN`), or undefined. */
export function bestCheckpoint(history: readonly EpochRecord[], metric: SweepMetric): string | undefined {
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
  history: readonly EpochRecord[],
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
