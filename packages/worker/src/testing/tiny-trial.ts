import type { DatasetLimits, Trial, TrialParams } from '@denoise-sweep/shared';
import { trialId } from '@denoise-sweep/shared';

/** A trial with its id, as a sweep would give it. */
export function trialOf(params: TrialParams, dataset: DatasetLimits): Trial {
  return { id: trialId(params, dataset), params, dataset };
}

/** The epoch-loop tests' trial: 3 epochs of 8 batches of 32 on the first 256/64 images of Fashion-MNIST. */
export const TINY_TRIAL: Trial = trialOf(
  { noise_factor: 0.5, filters: [4, 8], epochs: 3, batch_size: 32, learning_rate: 0.002, seed: 11 },
  { train_limit: 256, test_limit: 64 },
);
