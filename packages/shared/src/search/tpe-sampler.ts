import type { TrialParams } from '../trial.js';
import { completedLoss, rungLoss, type Observation, type SuggestContext } from './observation.js';
import { fitParzen, defaultWeights, parzenLogDensity, sampleParzen, type ParzenEstimator } from './parzen-estimator.js';
import { suggestRandom } from './random-sampler.js';
import { configKey, fromUnit, paramsOf, toUnit, unitPointOf, type SearchSpace, type Setting } from './search-space.js';

/**
 * Tree-structured Parzen Estimator, as Optuna's independent TPE does it: split the finished
 * trials into the best few ("below") and the rest ("above"), model each group per dimension
 * with a Parzen estimator l(x) and g(x), draw candidates from l and keep the one with the
 * largest l(x) / g(x). Works on any mix of dimensions, categorical-only spaces included.
 *
 * Trials still running count as "above" (constant liar: as if they came out worst), so
 * suggestions made while they run spread out instead of piling onto the same spot. One
 * exception, where this sampler departs from Optuna's: a running trial that has passed a rung
 * of early termination counts with its value there, like a trial paused at that rung. Those
 * are the sweep's leaders; counting them as the worst would steer the search away from the
 * best region exactly while it is being confirmed.
 */

/** Completed trials before the model takes over from random search (Optuna's n_startup_trials). */
const TPE_STARTUP_TRIALS = 10;
/**
 * Candidates scored per suggestion (Optuna's n_ei_candidates). Draws of configurations already
 * taken do not count: in a small discrete space most draws from l repeat the leaders, and
 * scoring only the few left would make the choice close to random.
 */
const TPE_CANDIDATES = 24;
/** Draws per suggestion at most, taken ones included. */
const TPE_MAX_DRAWS = TPE_CANDIDATES * 10;

/** How many of n completed trials form the "below" group (Optuna's default_gamma). */
export function tpeGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

interface Point {
  /** Position in ctx.observations: trial order, and the tie-break between equal losses. */
  index: number;
  unit: number[];
  loss: number;
  /** The epoch a trial cut early reached (see Observation.prunedAt). */
  prunedAt?: number;
}

/**
 * Observations with a loss (completed ones, and pending ones past a rung) and pending ones
 * without, that lie in the space.
 */
export function pointsOf(space: SearchSpace, observations: readonly Observation[]): { completed: Point[]; pending: Point[] } {
  const completed: Point[] = [];
  const pending: Point[] = [];
  observations.forEach((obs, index) => {
    const unit = unitPointOf(space, obs.params);
    if (unit === undefined) return;
    const loss = completedLoss(obs) ?? rungLoss(obs);
    if (loss !== undefined) completed.push(obs.prunedAt === undefined ? { index, unit, loss } : { index, unit, loss, prunedAt: obs.prunedAt });
    else if (obs.state === 'pending') pending.push({ index, unit, loss: Infinity });
  });
  return { completed, pending };
}

/**
 * Optuna's ranking: finished trials by loss, then trials cut early, those that got further
 * first, each group by loss; ties by order.
 */
function rank(a: Point, b: Point): number {
  const cutA = a.prunedAt === undefined ? 0 : 1;
  const cutB = b.prunedAt === undefined ? 0 : 1;
  return cutA - cutB || (b.prunedAt ?? 0) - (a.prunedAt ?? 0) || a.loss - b.loss || a.index - b.index;
}

/** Below: the gamma(n) best completed points (see rank); above: the rest plus every pending point. */
export function split(completed: readonly Point[], pending: readonly Point[]): { below: Point[]; above: Point[] } {
  const ranked = [...completed].sort(rank);
  const nBelow = tpeGamma(completed.length);
  const byOrder = (a: Point, b: Point): number => a.index - b.index;
  return {
    below: ranked.slice(0, nBelow).sort(byOrder),
    above: [...ranked.slice(nBelow), ...pending].sort(byOrder),
  };
}

/** One estimator per dimension for a group of points (in trial order). */
function estimatorsOf(space: SearchSpace, group: readonly Point[]): ParzenEstimator[] {
  const weights = defaultWeights(group.length);
  return space.dimensions.map((dim, d) => fitParzen(dim, group.map((p) => p.unit[d] as number), weights));
}

interface Candidate {
  params: TrialParams;
  score: number;
}

/** One candidate drawn from l, as valid settings, scored by sum of log l - log g at its settings' unit positions. */
function drawCandidate(ctx: SuggestContext, below: readonly ParzenEstimator[], above: readonly ParzenEstimator[]): Candidate {
  const settings: Setting[] = [];
  let score = 0;
  ctx.space.dimensions.forEach((dim, d) => {
    const l = below[d] as ParzenEstimator;
    const setting = fromUnit(dim, sampleParzen(l, ctx.rng));
    const u = toUnit(dim, setting);
    settings.push(setting);
    score += parzenLogDensity(l, u) - parzenLogDensity(above[d] as ParzenEstimator, u);
  });
  return { params: paramsOf(ctx.space, settings), score };
}

/** The next configuration by TPE; random search until TPE_STARTUP_TRIALS trials have completed. */
export function suggestTpe(ctx: SuggestContext): TrialParams | undefined {
  const { completed, pending } = pointsOf(ctx.space, ctx.observations);
  if (completed.length < TPE_STARTUP_TRIALS || ctx.space.dimensions.length === 0) return suggestRandom(ctx);
  const { below, above } = split(completed, pending);
  const l = estimatorsOf(ctx.space, below);
  const g = estimatorsOf(ctx.space, above);
  let best: Candidate | undefined;
  let scored = 0;
  for (let draw = 0; draw < TPE_MAX_DRAWS && scored < TPE_CANDIDATES; draw++) {
    const candidate = drawCandidate(ctx, l, g);
    if (ctx.taken.has(configKey(candidate.params))) continue;
    scored++;
    if (best === undefined || candidate.score > best.score) best = candidate;
  }
  return best?.params ?? suggestRandom(ctx);
}
