import type { EarlyTerminate } from './early-terminate.js';
import type { DatasetLimits, NumericParamName } from './trial.js';

/**
 * A validated sweep.yaml. Field names are the file's own (snake_case, Weights & Biases
 * conventions), so a spec reads like the file it came from.
 *
 * ```yaml
 * name: example               # required; its slug is the sweep id (see sweepId)
 * description: optional text
 * method: grid                # required: grid | random | bayes | tpe
 * metric: {name: val_loss, goal: minimize}   # optional for grid and random, required otherwise
 * run_cap: 20                 # required for random, bayes, tpe; optional cap for grid
 * search_seed: 0              # optional: seeds random, bayes and tpe suggestions
 * early_terminate: {type: asha, grace_period: 1, reduction_factor: 3}   # optional
 * dataset: {train_limit: 60000, test_limit: 10000}  # optional, this is the default
 * keep_checkpoints: best      # optional, this is the default: best | latest | all
 * parameters:                 # required; a parameter left out takes its default value
 *   noise_factor: {values: [0.3, 0.6]}
 *   filters: {values: [16, [32, 64]]}       # w means [w, 2w, 4w]
 *   learning_rate: {distribution: log_uniform_values, min: 0.0001, max: 0.01}  # random only
 * ```
 */
export interface SweepSpec {
  name: string;
  description?: string;
  method: SweepMethod;
  metric: SweepMetric;
  /** Every parameter, with defaults filled in as one-value lists. */
  parameters: SweepParameters;
  /** Number of trials: random samples exactly this many; a grid takes its first run_cap. */
  run_cap?: number;
  dataset: DatasetLimits;
  /** Which of a trial's checkpoints survive once a newer one is saved (see KEEP_CHECKPOINTS). */
  keep_checkpoints: KeepCheckpoints;
  /** Seeds the sampler; absent: random search seeds from the sweep id alone, bayes and tpe from seed 0. */
  search_seed?: number;
  /** Rungs at which trials are compared and cut (see early-terminate.ts). */
  early_terminate?: EarlyTerminate;
}

/** Methods whose trials are chosen one at a time from what earlier trials measured. */
export const ADAPTIVE_METHODS = ['bayes', 'tpe'] as const;
export type AdaptiveMethod = (typeof ADAPTIVE_METHODS)[number];

export function isAdaptiveMethod(method: SweepMethod): method is AdaptiveMethod {
  return (ADAPTIVE_METHODS as readonly string[]).includes(method);
}

export const SWEEP_METHODS = ['grid', 'random', 'bayes', 'tpe'] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];

export const METRIC_NAMES = ['val_loss', 'psnr', 'ssim'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export const METRIC_GOALS = ['minimize', 'maximize'] as const;
export type MetricGoal = (typeof METRIC_GOALS)[number];

/** The metric that ranks trials. */
export interface SweepMetric {
  name: MetricName;
  goal: MetricGoal;
}

/** When `metric.goal` is left out: lower loss is better, higher PSNR/SSIM is better. */
export const DEFAULT_METRIC_GOAL: Readonly<Record<MetricName, MetricGoal>> = {
  val_loss: 'minimize',
  psnr: 'maximize',
  ssim: 'maximize',
};

/** @defaultValue val_loss, minimize */
export const DEFAULT_METRIC: Readonly<SweepMetric> = Object.freeze({ name: 'val_loss', goal: 'minimize' });

/**
 * Checkpoint retention, applied by the worker after each checkpoint's manifest is stored:
 * - best: the newest checkpoint (resume) and the epoch checkpoint best by the sweep's metric;
 * - latest: only the newest;
 * - all: every checkpoint, forever (a default-net epoch checkpoint is about 4 MB).
 * It is not part of a trial's id: changing it never makes a trial new.
 */
export const KEEP_CHECKPOINTS = ['best', 'latest', 'all'] as const;
export type KeepCheckpoints = (typeof KEEP_CHECKPOINTS)[number];

/** @defaultValue best */
export const DEFAULT_KEEP_CHECKPOINTS: KeepCheckpoints = 'best';

/**
 * Random-search distributions (W&B names and meanings, min/max inclusive):
 * - uniform: a real number in [min, max];
 * - log_uniform_values: a real number whose log is uniform in [ln min, ln max] (min > 0);
 * - int_uniform: an integer in [min, max];
 * - q_uniform: a multiple of q in [min, max], each equally likely (q defaults to 1).
 */
export const DISTRIBUTION_NAMES = ['uniform', 'int_uniform', 'log_uniform_values', 'q_uniform'] as const;
export type DistributionName = (typeof DISTRIBUTION_NAMES)[number];

export type Distribution =
  | { distribution: Exclude<DistributionName, 'q_uniform'>; min: number; max: number }
  | { distribution: 'q_uniform'; min: number; max: number; q: number };

/** A list of settings (from `value` or `values`), in file order, normalised. */
export interface ValuesDomain<T> {
  kind: 'values';
  values: T[];
}

export type DistributionDomain = { kind: 'distribution' } & Distribution;

export type NumericDomain = ValuesDomain<number> | DistributionDomain;

export type SweepParameters = { filters: ValuesDomain<number[]> } & {
  [K in NumericParamName]: NumericDomain;
};

/** Most trials one sweep may hold; a bigger grid needs run_cap (or narrower values). */
export const MAX_TRIALS = 10_000;
/** Sweep files are small; anything bigger is a mistake or an attack. */
export const MAX_SWEEP_FILE_BYTES = 1024 * 1024;
/** Alias expansions allowed while reading YAML: enough for reuse, too few for a "billion laughs". */
export const MAX_ALIAS_COUNT = 100;
/**
 * Sampled reals (uniform, log_uniform_values) are rounded to this many significant digits,
 * then clamped into [min, max], so ids are stable and tables readable (0.0003162, 1.234).
 */
export const SAMPLE_SIGNIFICANT_DIGITS = 4;
