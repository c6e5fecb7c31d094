import type { TrialParams } from '../trial.js';
import { gaussianProcessOf, type TrainingSet } from './gp-training-set.js';
import { predict } from './gaussian-process.js';
import { normalCdf, normalPdf } from './normal-distribution.js';
import type { SuggestContext } from './observation.js';
import { drawFromPrior, suggestRandom } from './random-sampler.js';
import { configKey, paramsOf, toUnit, type Dimension, type SearchSpace } from './search-space.js';

/**
 * Bayesian optimisation the way W&B's bayes method does it: a Gaussian process fitted to the
 * losses seen so far, and expected improvement over random candidates to pick the next trial.
 * Candidates are prior draws, so every suggestion is a setting random search could make.
 */

/** Prior draws scored by expected improvement per suggestion. */
const BAYES_CANDIDATES = 1000;

/**
 * True when every dimension is categorical (or nothing varies): a GP needs at least one real
 * or integer dimension to model, so such a sweep file must not ask for bayes.
 */
export function bayesNeedsContinuous(space: SearchSpace): boolean {
  return space.dimensions.every((dim) => dim.kind === 'categorical');
}

/** Expected improvement below yStar, for minimization, with a small floor on sigma. */
export function expectedImprovement(mean: number, std: number, yStar: number): number {
  const z = (yStar - mean) / (std + 1e-6);
  return (yStar - mean) * normalCdf(z) + std * normalPdf(z);
}

/** The untaken candidate with the highest expected improvement (first on ties), if any. */
function bestCandidate(ctx: SuggestContext, training: TrainingSet): TrialParams | undefined {
  const settings = Array.from({ length: BAYES_CANDIDATES }, () => drawFromPrior(ctx.space, ctx.rng));
  const units = settings.map((s) => s.map((setting, d) => toUnit(ctx.space.dimensions[d] as Dimension, setting)));
  const { mean, std } = predict(training.gp, units);
  let best: { params: TrialParams; ei: number } | undefined;
  settings.forEach((s, j) => {
    const ei = expectedImprovement(mean[j] as number, std[j] as number, training.yStar);
    if (best !== undefined && !(ei > best.ei)) return;
    const params = paramsOf(ctx.space, s);
    if (!ctx.taken.has(configKey(params))) best = { params, ei };
  });
  return best?.params;
}

/** The next configuration by GP expected improvement; random search until two trials have a loss. */
export function suggestBayes(ctx: SuggestContext): TrialParams | undefined {
  if (ctx.space.dimensions.length === 0) return suggestRandom(ctx);
  const training = gaussianProcessOf(ctx.space, ctx.observations);
  if (training === undefined) return suggestRandom(ctx);
  return bestCandidate(ctx, training) ?? suggestRandom(ctx);
}
