import type { ArtifactKeys } from './artifact-keys.js';
import type { ObjectStore } from './object-store.js';
import type { Trial } from './trial.js';

/** A trial's config.json: the trial and the sweep it belongs to. */
interface TrialConfigFile extends Trial {
  sweep: string;
}

/**
 * Writes a trial's config.json. Its one writer is whoever puts the trial in motion (the
 * orchestrator's enqueue, `worker train`), before the trial runs, so the store describes every
 * trial the queue may hold.
 */
export async function writeTrialConfig(store: ObjectStore, keys: ArtifactKeys, sweep: string, trial: Trial): Promise<void> {
  const file: TrialConfigFile = { sweep, ...trial };
  await store.put(keys.trialConfig(sweep, trial.id), JSON.stringify(file, null, 2));
}
