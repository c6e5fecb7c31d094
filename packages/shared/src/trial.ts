import type { NumberBound } from './number-bounds.js';

/**
 * Terminology:
 * - sweep: one search over hyperparameters, described by a sweep.yaml; its id is the slug of
 *   its `name`, so running the same file again resumes the same sweep.
 * - trial: one training run with one setting of every parameter; its id is a hash of its full
 *   config, so the same config always gets the same id (and is never trained twice).
 */

/** The hyperparameters of one trial, normalised: every key present, filters in list form. */
export interface TrialParams {
  /** Std-dev of the Gaussian noise added to the inputs (then clipped to [0, 1]). */
  noise_factor: number;
  /** Conv widths of the encoder levels, outermost first (the decoder mirrors them). */
  filters: number[];
  epochs: number;
  batch_size: number;
  /** Adam learning rate. */
  learning_rate: number;
  /** Seeds weight init, noise and per-epoch shuffling. */
  seed: number;
}

/** How much of Fashion-MNIST a trial uses: the first N images of each split. */
export interface DatasetLimits {
  train_limit: number;
  test_limit: number;
}

/** One unit of work: a config and its content-derived id (see `trialId`). */
export interface Trial {
  id: string;
  params: TrialParams;
  dataset: DatasetLimits;
}

export type ParamName = keyof TrialParams;
/** Scalar-valued parameters, i.e. all but `filters`. */
export type NumericParamName = Exclude<ParamName, 'filters'>;

/**
 * Canonical parameter order: grid expansion nests loops in this order (the first varies
 * slowest), random sampling draws in this order, and tables print in this order.
 */
export const PARAM_NAMES: readonly ParamName[] = [
  'noise_factor', 'filters', 'epochs', 'batch_size', 'learning_rate', 'seed',
];

export const NUMERIC_PARAM_NAMES: readonly NumericParamName[] = [
  'noise_factor', 'epochs', 'batch_size', 'learning_rate', 'seed',
];

/** The seed Keras script's settings; seed 0 is our choice (the script was unseeded). */
export const DEFAULT_TRIAL_PARAMS: Readonly<TrialParams> = Object.freeze({
  noise_factor: 0.5,
  filters: [32, 64, 128],
  epochs: 50,
  batch_size: 256,
  learning_rate: 0.001,
  seed: 0,
});

/** Fashion-MNIST in full: 60,000 training and 10,000 test images. */
export const DEFAULT_DATASET_LIMITS: Readonly<DatasetLimits> = Object.freeze({
  train_limit: 60_000,
  test_limit: 10_000,
});

export const PARAM_BOUNDS: Readonly<Record<NumericParamName, NumberBound>> = {
  noise_factor: { integer: false, min: 0, max: 2 },
  epochs: { integer: true, min: 1, max: 1000 },
  batch_size: { integer: true, min: 1, max: 4096 },
  learning_rate: { integer: false, min: 0, max: 1, minExclusive: true },
  seed: { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER },
};

/** Each conv width. */
export const FILTER_WIDTH_BOUND: NumberBound = { integer: true, min: 1, max: 1024 };
/** Encoder levels: 28 px halves at most 5 times (28 -> 14 -> 7 -> 4 -> 2 -> 1). */
export const FILTER_LEVELS = { min: 1, max: 5 } as const;

export const DATASET_BOUNDS: Readonly<Record<keyof DatasetLimits, NumberBound>> = {
  train_limit: { integer: true, min: 1, max: 60_000 },
  test_limit: { integer: true, min: 1, max: 10_000 },
};

/** The `filters: w` shorthand: three levels doubling from w, like the default 32/64/128. */
export function expandFilterShorthand(width: number): number[] {
  return [width, 2 * width, 4 * width];
}
