import { canonicalJson } from './canonical-json.js';
import { distributionSize, sampleDistribution } from './distributions.js';
import { SweepSpecError } from './errors.js';
import type { PathIssue } from './issue-list.js';
import { SeededRandom } from './seeded-random.js';
import { sweepId } from './sweep-id.js';
import { MAX_TRIALS, isAdaptiveMethod, type SweepParameters, type SweepSpec } from './sweep-spec.js';
import { PARAM_NAMES, type ParamName, type Trial, type TrialParams } from './trial.js';
import { trialId } from './trial-id.js';

/*
 * Expansion rules (stable: the same file always gives the same trials, in the same order):
 * - Settings are de-duplicated per parameter, first occurrence kept (values [1, 1.0] and
 *   filters [16, [16, 32, 64]] each collapse to one), so identical trials collapse to one.
 * - grid: the cartesian product, nested in PARAM_NAMES order (noise_factor varies slowest,
 *   seed fastest), each parameter's values in file order. With run_cap, the first run_cap.
 * - random: exactly run_cap distinct trials, drawn with a PRNG seeded from the sweep id, one
 *   draw per parameter in PARAM_NAMES order (one-value parameters draw nothing); duplicates
 *   are skipped. Raising run_cap keeps the earlier trials and appends new ones.
 */

type Setting = number | number[];
type Sampler = (rng: SeededRandom) => Setting;

const fmt = (n: number): string => (Number.isFinite(n) ? n.toLocaleString('en-US') : 'unbounded');

/** Distinct settings of a list, first occurrence kept. */
export function distinctValues<T>(values: readonly T[]): T[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = canonicalJson(v);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Distinct settings per parameter; Infinity for a real-valued distribution. */
function parameterSizes(spec: SweepSpec): Record<ParamName, number> {
  const sizes = {} as Record<ParamName, number>;
  for (const name of PARAM_NAMES) {
    const domain = spec.parameters[name];
    sizes[name] = domain.kind === 'values' ? distinctValues<Setting>(domain.values).length : distributionSize(domain);
  }
  return sizes;
}

/** How many distinct trials the search space holds (Infinity for real-valued distributions). */
export function searchSpaceSize(spec: SweepSpec): number {
  return Object.values(parameterSizes(spec)).reduce((a, b) => a * b, 1);
}

function describeSizes(spec: SweepSpec): string {
  const parts = Object.entries(parameterSizes(spec)).filter(([, n]) => n !== 1).map(([k, n]) => `${k} ${fmt(n)}`);
  return parts.length === 0 ? 'every parameter has one setting' : parts.join(' x ');
}

/** Why the spec cannot be expanded as it stands (size limits, run_cap), or undefined. */
export function checkSweepSize(spec: SweepSpec): PathIssue | undefined {
  const size = searchSpaceSize(spec);
  if (spec.method === 'grid') {
    const dist = PARAM_NAMES.find((n) => spec.parameters[n].kind === 'distribution');
    if (dist !== undefined) {
      return { path: ['parameters', dist, 'distribution'], message: 'is only allowed with method: random, bayes or tpe' };
    }
    if (spec.run_cap === undefined && size > MAX_TRIALS) {
      return {
        path: ['parameters'],
        message: `make a grid of ${fmt(size)} trials (${describeSizes(spec)}), more than the ${fmt(MAX_TRIALS)} allowed: `
          + 'add run_cap: N to take the first N trials, or narrow the values',
      };
    }
    return undefined;
  }
  if (spec.run_cap === undefined) {
    return { path: ['run_cap'], message: `is required with method: ${spec.method} (the number of trials, e.g. run_cap: 20)` };
  }
  if (spec.run_cap > size) {
    return {
      path: ['run_cap'],
      message: `must be at most ${fmt(size)}, the number of distinct trials this search space holds `
        + `(${describeSizes(spec)}); found ${spec.run_cap}: lower run_cap or widen the parameters`,
    };
  }
  return undefined;
}

/**
 * The sweep's trials, in a stable order (see the rules at the top of this file).
 * @throws SweepSpecError when the spec is too big or random sampling cannot find run_cap
 *   distinct trials
 */
export function expandSweep(spec: SweepSpec): Trial[] {
  const problem = checkSweepSize(spec);
  if (problem !== undefined) throw specError(spec, problem);
  if (isAdaptiveMethod(spec.method)) throw new Error(`internal: a ${spec.method} sweep's trials are suggested one by one, not expanded`);
  return spec.method === 'grid' ? expandGrid(spec) : sampleRandom(spec);
}

function specError(spec: SweepSpec, issue: PathIssue): SweepSpecError {
  return new SweepSpecError([{ source: `sweep "${spec.name}"`, path: issue.path, message: issue.message }]);
}

function paramsOfSettings(settings: readonly Setting[]): TrialParams {
  const params = {} as Record<ParamName, Setting>;
  PARAM_NAMES.forEach((name, i) => {
    const s = settings[i];
    if (s === undefined) throw new Error(`internal: no setting for ${name}`);
    params[name] = Array.isArray(s) ? [...s] : s;
  });
  return params as unknown as TrialParams;
}

function makeTrial(spec: SweepSpec, settings: readonly Setting[]): Trial {
  const trialParams = paramsOfSettings(settings);
  const dataset = { ...spec.dataset };
  return { id: trialId(trialParams, dataset), params: trialParams, dataset };
}

function expandGrid(spec: SweepSpec): Trial[] {
  const axes = PARAM_NAMES.map((name) => {
    const domain = spec.parameters[name];
    if (domain.kind !== 'values') throw new Error(`internal: grid parameter ${name} has a distribution`);
    return distinctValues<Setting>(domain.values);
  });
  const total = axes.reduce((n, axis) => n * axis.length, 1);
  const count = Math.min(total, spec.run_cap ?? total);
  const trials: Trial[] = [];
  for (let index = 0; index < count; index++) {
    // Mixed-radix digits of `index`, the last parameter varying fastest.
    const settings: Setting[] = new Array<Setting>(axes.length);
    let rest = index;
    for (let a = axes.length - 1; a >= 0; a--) {
      const axis = axes[a] ?? [];
      settings[a] = axis[rest % axis.length] as Setting;
      rest = Math.floor(rest / axis.length);
    }
    trials.push(makeTrial(spec, settings));
  }
  return trials;
}

function samplerFor(parameters: SweepParameters, name: ParamName): Sampler {
  const domain = parameters[name];
  if (domain.kind === 'distribution') return (rng) => sampleDistribution(domain, rng);
  const values = distinctValues<Setting>(domain.values);
  const only = values[0];
  if (values.length === 1 && only !== undefined) return () => only;
  return (rng) => values[rng.nextInt(0, values.length - 1)] as Setting;
}

/** Draws before random search gives up on finding `count` distinct trials (coupon collector). */
const maxRandomDraws = (count: number) => 1000 + 100 * count;

/**
 * The first `count` distinct settings of random search's stream (fewer when the draws run
 * out). search_seed, when given, starts another stream; without it, the stream of earlier
 * versions.
 */
function randomSettings(parameters: SweepParameters, sweep: string, searchSeed: number | undefined, count: number): Setting[][] {
  const samplers = PARAM_NAMES.map((name) => samplerFor(parameters, name));
  const rng = new SeededRandom(`denoise-sweep/random/${sweep}${searchSeed === undefined ? '' : `/${searchSeed}`}`);
  const seen = new Set<string>();
  const found: Setting[][] = [];
  const maxDraws = maxRandomDraws(count);
  for (let draw = 0; draw < maxDraws && found.length < count; draw++) {
    const settings = samplers.map((sample) => sample(rng));
    const key = canonicalJson(settings);
    if (seen.has(key)) continue;
    seen.add(key);
    found.push(settings);
  }
  return found;
}

/**
 * What random search tries at position `index` (from 0) of a sweep with these parameters, id
 * and search_seed: bayes and tpe start with these, so that they and random search share their
 * first trials (as Optuna's TPESampler(seed) shares its startup trials with RandomSampler(seed)).
 * Undefined when the stream runs out of distinct draws first.
 */
export function randomSearchParams(parameters: SweepParameters, sweep: string, searchSeed: number | undefined, index: number): TrialParams | undefined {
  const settings = randomSettings(parameters, sweep, searchSeed, index + 1)[index];
  return settings === undefined ? undefined : paramsOfSettings(settings);
}

function sampleRandom(spec: SweepSpec): Trial[] {
  const runCap = spec.run_cap ?? 0;
  const trials = randomSettings(spec.parameters, sweepId(spec), spec.search_seed, runCap).map((settings) => makeTrial(spec, settings));
  if (trials.length < runCap) {
    throw specError(spec, {
      path: ['run_cap'],
      message: `asks for ${runCap} distinct trials but only ${trials.length} were found in ${fmt(maxRandomDraws(runCap))} draws `
        + '(sampled reals are rounded to 4 significant digits): lower run_cap or widen the ranges',
    });
  }
  return trials;
}
