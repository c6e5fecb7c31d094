import { fitBestGaussianProcess, fitGaussianProcess, predict, type GaussianProcess } from './gaussian-process.js';
import { completedLoss, type Observation } from './observation.js';
import { unitPointOf, type SearchSpace } from './search-space.js';

/**
 * What the bayes sampler's Gaussian process learns from, following W&B's bayes search:
 * finished trials and failed ones (a failure counts as the worst loss seen, so the search
 * steers away from settings that crash), the most recent ones only, losses standardized.
 * Trials still running are filled in with the model's own prediction ("kriging believer"),
 * which shrinks the uncertainty around them so the next suggestion looks elsewhere.
 */
export interface TrainingSet {
  /** Fitted to the observed points, then refitted with the believed pending ones at the same length scale. */
  gp: GaussianProcess;
  /** The best (lowest) standardized loss observed: the bar expected improvement measures against. */
  yStar: number;
}

/** Most recent completed or failed trials the GP is fitted to (its cost grows with their cube). */
export const BAYES_MAX_POINTS = 100;
/** Trials with a loss needed before the GP replaces random search. */
const BAYES_MIN_POINTS = 2;

interface Observed {
  unit: number[];
  loss: number;
}

/** Completed points and failed ones (imputed with the worst completed loss), in order, the newest BAYES_MAX_POINTS. */
function observedPoints(space: SearchSpace, observations: readonly Observation[]): Observed[] {
  const losses = observations.map(completedLoss).filter((l): l is number => l !== undefined);
  const worst = losses.length === 0 ? undefined : Math.max(...losses);
  const points: Observed[] = [];
  for (const obs of observations) {
    const loss = obs.state === 'failed' ? worst : completedLoss(obs);
    const unit = loss === undefined ? undefined : unitPointOf(space, obs.params);
    if (loss !== undefined && unit !== undefined) points.push({ unit, loss });
  }
  return points.slice(-BAYES_MAX_POINTS);
}

/** Losses shifted and scaled to mean 0 and standard deviation 1 (scale 1 when all are equal). */
export function standardize(values: readonly number[]): number[] {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  const std = variance > 0 ? Math.sqrt(variance) : 1;
  return values.map((v) => (v - mean) / std);
}

/** Pending trials inside the space, as unit points. */
function pendingPoints(space: SearchSpace, observations: readonly Observation[]): number[][] {
  return observations
    .filter((obs) => obs.state === 'pending')
    .map((obs) => unitPointOf(space, obs.params))
    .filter((u): u is number[] => u !== undefined);
}

/** The GP of the observations, or undefined while fewer than BAYES_MIN_POINTS trials have a loss. */
export function gaussianProcessOf(space: SearchSpace, observations: readonly Observation[]): TrainingSet | undefined {
  const points = observedPoints(space, observations);
  if (points.length < BAYES_MIN_POINTS) return undefined;
  const x = points.map((p) => p.unit);
  const y = standardize(points.map((p) => p.loss));
  const yStar = Math.min(...y);
  const gp = fitBestGaussianProcess(x, y);
  const pending = pendingPoints(space, observations);
  if (pending.length === 0) return { gp, yStar };
  const believed = predict(gp, pending).mean;
  return { gp: fitGaussianProcess([...x, ...pending], [...y, ...believed], gp.lengthScale), yStar };
}
