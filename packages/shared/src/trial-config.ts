import type { ArtifactKeys } from './artifact-keys.js';
import type { ObjectStore } from './object-store.js';
import type { Trial } from './trial.js';

/** A trial's config.json: the trial and the sweep it belongs to. */
interface TrialConfigFile extends Trial {
  sweep: string;
}

/**
 * Writes a trial's config.json. Its one writer is the trial's execution, before it trains (and
 * a run's carrier, for the shorter trials it finishes on the way): enqueueing writes no file
 * per trial, since sweep.json already determines every trial the queue may hold.
 */
export async function writeTrialConfig(store: ObjectStore, keys: ArtifactKeys, sweep: string, trial: Trial): Promise<void> {
  const file: TrialConfigFile = { sweep, ...trial };
  await store.put(keys.trialConfig(sweep, trial.id), JSON.stringify(file, null, 2));
}
