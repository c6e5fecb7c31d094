import type { ArtifactKeys } from './artifact-keys.js';
import type { ObjectStore } from './object-store.js';
import type { EpochRecord } from './trial-result.js';

/**
 * Writes a trial's metrics.jsonl: one JSON line per epoch, every epoch so far (those before a
 * resume included), rewritten whole after each epoch so that readers always see a complete file.
 */
export async function writeTrialMetrics(store: ObjectStore, keys: ArtifactKeys, sweep: string, trialId: string, history: readonly EpochRecord[]): Promise<void> {
  await store.put(keys.metrics(sweep, trialId), history.map((r) => JSON.stringify(r)).join('\n') + '\n');
}
