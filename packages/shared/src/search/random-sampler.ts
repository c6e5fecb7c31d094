import type { TrialParams } from '../trial.js';
import type { SuggestContext } from './observation.js';
import {
  configKey, dimensionSettings, fromUnit, paramsOf, spaceSize, type SearchSpace, type Setting,
} from './search-space.js';

/**
 * Random search, and every model's fallback: draws from the prior, the same distributions
 * `sampleDistribution` draws from. Once draws keep hitting taken configurations, a small
 * space is listed instead, so the last untaken configuration is found in one step rather than
 * by luck, and an exhausted space answers undefined.
 */

/** Failed draws before a finite space is listed. */
const DRAWS_BEFORE_LISTING = 1000;
/** Spaces bigger than this are never listed (10,000 trials at most cannot fill them). */
const MAX_LISTED = 100_000;
/** Draws in a space too big to list before it counts as exhausted (rounded reals are finite). */
const MAX_DRAWS = 100_000;

/** One draw from the prior: a uniform unit coordinate per dimension, turned into settings. */
export function drawFromPrior(space: SearchSpace, rng: SuggestContext['rng']): Setting[] {
  return space.dimensions.map((dim) => fromUnit(dim, rng.nextFloat()));
}

/** The untaken configurations of a small finite space, in grid order (last dimension fastest). */
function untakenConfigs(space: SearchSpace, taken: ReadonlySet<string>): TrialParams[] {
  const axes = space.dimensions.map((dim) => dimensionSettings(dim) ?? []);
  const total = axes.reduce((n, axis) => n * axis.length, 1);
  const free: TrialParams[] = [];
  for (let index = 0; index < total; index++) {
    const settings = new Array<Setting>(axes.length);
    let rest = index;
    for (let a = axes.length - 1; a >= 0; a--) {
      const axis = axes[a] ?? [];
      settings[a] = axis[rest % axis.length] as Setting;
      rest = Math.floor(rest / axis.length);
    }
    const params = paramsOf(space, settings);
    if (!taken.has(configKey(params))) free.push(params);
  }
  return free;
}

/**
 * Random search's trial for this position (ctx.startup) when it is not taken, else a uniform
 * draw from the prior that is not taken; undefined when the space is exhausted.
 */
export function suggestRandom(ctx: SuggestContext): TrialParams | undefined {
  const { space, rng, taken } = ctx;
  const startup = ctx.startup?.();
  if (startup !== undefined && !taken.has(configKey(startup))) return startup;
  const size = spaceSize(space);
  const listable = size <= MAX_LISTED;
  const draws = listable ? DRAWS_BEFORE_LISTING : MAX_DRAWS;
  for (let draw = 0; draw < draws; draw++) {
    const params = paramsOf(space, drawFromPrior(space, rng));
    if (!taken.has(configKey(params))) return params;
  }
  if (!listable) return undefined;
  const free = untakenConfigs(space, taken);
  return free.length === 0 ? undefined : free[rng.nextInt(0, free.length - 1)];
}
