import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { DatasetLimits, TrialParams } from './trial.js';

/** Hex characters kept from the sha256: 48 bits, collision-free in practice for any sweep. */
export const TRIAL_ID_LENGTH = 12;

/**
 * The trial's id: the first 12 hex digits of sha256 over the canonical JSON of its full
 * config, `{"dataset":{"test_limit":..,"train_limit":..},"params":{"batch_size":..,...}}`.
 * Only the known keys are hashed, so extra properties on the inputs cannot change an id.
 * Same config -> same id on every run and machine; the id is the BullMQ jobId, so enqueueing
 * twice never trains twice.
 */
export function trialId(params: TrialParams, dataset: DatasetLimits): string {
  const config = {
    params: {
      noise_factor: params.noise_factor,
      filters: params.filters,
      epochs: params.epochs,
      batch_size: params.batch_size,
      learning_rate: params.learning_rate,
      seed: params.seed,
    },
    dataset: { train_limit: dataset.train_limit, test_limit: dataset.test_limit },
  };
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, TRIAL_ID_LENGTH);
}

/**
 * The id of a trial's training run: its id with epochs left out. Trials that differ only in
 * epochs share it, and share one run (see RunShares in queue-contract.ts).
 */
export function runId(params: TrialParams, dataset: DatasetLimits): string {
  return trialId({ ...params, epochs: 0 }, dataset);
}

/** Trials grouped by their run (runId), each group in the given order. */
export function groupByRun<T extends { params: TrialParams; dataset: DatasetLimits }>(trials: readonly T[]): Map<string, T[]> {
  const runs = new Map<string, T[]>();
  for (const t of trials) {
    const run = runId(t.params, t.dataset);
    runs.set(run, [...(runs.get(run) ?? []), t]);
  }
  return runs;
}
