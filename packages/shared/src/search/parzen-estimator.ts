import type { SeededRandom } from '../seeded-random.js';
import { normalCdf, normalLogPdf } from './normal-distribution.js';
import type { Dimension } from './search-space.js';

/**
 * One dimension's Parzen estimator for TPE, on the dimension's unit interval (log reals are
 * already log there, integers and categories sit at their cell centres). It follows Optuna's
 * independent TPE: a mixture of Gaussians truncated to [0, 1], one per observation plus a
 * broad prior component, with bandwidths from the gaps between neighbours; categories get a
 * weighted histogram smoothed by the prior.
 */
export type ParzenEstimator =
  | { kind: 'numerical'; mus: number[]; sigmas: number[]; weights: number[] }
  | { kind: 'categorical'; probabilities: number[] };

/** Weight of the prior component (Optuna's prior_weight). */
const PRIOR_WEIGHT = 1;
/** Observations that keep full weight; older ones fade (Optuna's default_weights). */
const FLAT_WEIGHTS = 25;

/**
 * Optuna's default_weights: all 1 below 25 points, else the newest 25 weigh 1 and the older
 * ones ramp linearly from 1/n up to 1, so the estimator follows the search as it moves.
 * Input and output are in trial order, oldest first.
 */
export function defaultWeights(n: number): number[] {
  if (n < FLAT_WEIGHTS) return new Array<number>(n).fill(1);
  const ramp = n - FLAT_WEIGHTS;
  // numpy.linspace(1 / n, 1, ramp): ramp points, both ends included.
  const ramped = Array.from({ length: ramp }, (_, i) => (ramp === 1 ? 1 / n : 1 / n + (i * (1 - 1 / n)) / (ramp - 1)));
  return [...ramped, ...new Array<number>(FLAT_WEIGHTS).fill(1)];
}

/**
 * Each point's bandwidth: the larger gap to its sorted neighbours, clipped to
 * [1 / min(100, 1 + kernels), 1] (Optuna's magic clip). As in Optuna (consider_endpoints
 * false), the lowest and highest points measure only the gap inward, not to 0 or 1, unless
 * there is a single point; otherwise a best point near an edge would get a needlessly wide kernel.
 */
function bandwidths(mus: readonly number[], kernels: number): number[] {
  const order = mus.map((_, i) => i).sort((a, b) => (mus[a] as number) - (mus[b] as number) || a - b);
  const sorted = [0, ...order.map((i) => mus[i] as number), 1];
  const minSigma = 1 / Math.min(100, 1 + kernels);
  const sigmas = new Array<number>(mus.length);
  const last = order.length - 1;
  order.forEach((index, rank) => {
    const here = sorted[rank + 1] as number;
    const left = here - (sorted[rank] as number);
    const right = (sorted[rank + 2] as number) - here;
    const gap = last === 0 ? Math.max(left, right) : rank === 0 ? right : rank === last ? left : Math.max(left, right);
    sigmas[index] = Math.min(1, Math.max(minSigma, gap));
  });
  return sigmas;
}

/** The estimator of points (unit coordinates, trial order) with their weights (see defaultWeights). */
export function fitParzen(dim: Dimension, points: readonly number[], weights: readonly number[]): ParzenEstimator {
  if (dim.kind === 'categorical') {
    const n = dim.choices.length;
    const mass = new Array<number>(n).fill(PRIOR_WEIGHT / n);
    points.forEach((u, i) => {
      const c = Math.min(n - 1, Math.floor(u * n));
      mass[c] = (mass[c] as number) + (weights[i] ?? 1);
    });
    const total = mass.reduce((a, b) => a + b, 0);
    return { kind: 'categorical', probabilities: mass.map((m) => m / total) };
  }
  const sigmas = [...bandwidths(points, points.length + 1), 1];
  const raw = [...points.map((_, i) => weights[i] ?? 1), PRIOR_WEIGHT];
  const total = raw.reduce((a, b) => a + b, 0);
  return { kind: 'numerical', mus: [...points, 0.5], sigmas, weights: raw.map((w) => w / total) };
}

/** Index drawn with the given probabilities (one uniform draw). */
function drawIndex(probabilities: readonly number[], rng: SeededRandom): number {
  let r = rng.nextFloat();
  for (let i = 0; i < probabilities.length; i++) {
    r -= probabilities[i] as number;
    if (r < 0) return i;
  }
  return probabilities.length - 1;
}

/** A normal draw (Box-Muller, two uniforms). */
function gaussian(rng: SeededRandom): number {
  const u1 = 1 - rng.nextFloat(); // (0, 1]: log is finite
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng.nextFloat());
}

/** A draw from N(mu, sigma) truncated to [0, 1], by rejection (every component keeps at least a third of its mass inside). */
function truncatedNormal(mu: number, sigma: number, rng: SeededRandom): number {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const x = mu + sigma * gaussian(rng);
    if (x >= 0 && x <= 1) return x;
  }
  return Math.min(1, Math.max(0, mu));
}

/** One unit coordinate drawn from the estimator (a category's cell centre for categorical ones). */
export function sampleParzen(estimator: ParzenEstimator, rng: SeededRandom): number {
  if (estimator.kind === 'categorical') {
    return (drawIndex(estimator.probabilities, rng) + 0.5) / estimator.probabilities.length;
  }
  const k = drawIndex(estimator.weights, rng);
  return truncatedNormal(estimator.mus[k] as number, estimator.sigmas[k] as number, rng);
}

function logSumExp(terms: readonly number[]): number {
  const max = Math.max(...terms);
  if (!Number.isFinite(max)) return max;
  return max + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - max), 0));
}

/** The log density (log probability for categories) of the estimator at unit coordinate u. */
export function parzenLogDensity(estimator: ParzenEstimator, u: number): number {
  if (estimator.kind === 'categorical') {
    const n = estimator.probabilities.length;
    return Math.log(estimator.probabilities[Math.min(n - 1, Math.floor(u * n))] as number);
  }
  const terms = estimator.mus.map((mu, k) => {
    const sigma = estimator.sigmas[k] as number;
    const inside = normalCdf((1 - mu) / sigma) - normalCdf((0 - mu) / sigma);
    return Math.log(estimator.weights[k] as number) + normalLogPdf((u - mu) / sigma) - Math.log(sigma) - Math.log(inside);
  });
  return logSumExp(terms);
}
