import { canonicalJson } from '../canonical-json.js';
import { SAMPLE_SIGNIFICANT_DIGITS, type SweepParameters } from '../sweep-spec.js';
import { distinctValues } from '../sweep-expand.js';
import { PARAM_NAMES, type ParamName, type TrialParams } from '../trial.js';

/**
 * The search space of an adaptive sweep, seen by the samplers as a unit cube: every varying
 * parameter is a dimension whose prior (the distribution random search draws from) maps onto
 * [0, 1] through its CDF. Models (TPE, Gaussian processes) work on unit coordinates, while
 * `fromUnit` turns a coordinate back into a setting exactly as `sampleDistribution` would
 * round it, so whatever a model suggests is a setting random search could have drawn.
 */

/** One parameter's setting: a number, or a filters list. */
export type Setting = number | number[];

export type Dimension =
  /** A `values` list with more than one distinct setting (filters lists included), file order. */
  | { name: ParamName; kind: 'categorical'; choices: Setting[] }
  /** uniform (log false) or log_uniform_values (log true). */
  | { name: ParamName; kind: 'real'; min: number; max: number; log: boolean }
  /** int_uniform (step 1) or q_uniform (step q: the multiples of q in [min, max]). */
  | { name: ParamName; kind: 'integer'; min: number; max: number; step: number };

export interface SearchSpace {
  /** The varying parameters, in PARAM_NAMES order. */
  dimensions: Dimension[];
  /** Parameters with exactly one distinct setting. */
  fixed: Partial<Record<ParamName, Setting>>;
}

/** Distinct settings of a list, first occurrence kept (as grid and random expansion do). */
const distinctSettings = (values: readonly Setting[]): Setting[] => distinctValues(values);

const copySetting = (s: Setting): Setting => (Array.isArray(s) ? [...s] : s);
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
const roundSignificant = (x: number, digits: number): number => Number(x.toPrecision(digits));

/**
 * The integers k with k * step in [min, max], with the same float slack as
 * distributions.ts (0.3 / 0.1 = 2.999...), so both agree on which multiples exist.
 */
function multiples(min: number, max: number, step: number): { lo: number; hi: number; count: number } {
  const lo = Math.ceil(min / step - 1e-9);
  const hi = Math.floor(max / step + 1e-9);
  return { lo, hi, count: Math.max(0, hi - lo + 1) };
}

/** The setting of multiple k: exact for step 1 (safe integers); 12 significant digits otherwise, like q_uniform. */
function multipleValue(dim: { min: number; max: number; step: number }, k: number): number {
  return dim.step === 1 ? k : clamp(roundSignificant(k * dim.step, 12), dim.min, dim.max);
}

/** How many settings a dimension can take: Infinity for a real one (without listing them). */
function dimensionSize(dim: Dimension): number {
  if (dim.kind === 'categorical') return dim.choices.length;
  return dim.kind === 'real' ? Infinity : multiples(dim.min, dim.max, dim.step).count;
}

/** Every setting a dimension can take, in order, or undefined for a real one; call only when dimensionSize is small. */
export function dimensionSettings(dim: Dimension): Setting[] | undefined {
  if (dim.kind === 'categorical') return dim.choices.map(copySetting);
  if (dim.kind === 'real') return undefined;
  const { lo, count } = multiples(dim.min, dim.max, dim.step);
  return Array.from({ length: count }, (_, i) => multipleValue(dim, lo + i));
}

function dimensionOf(name: ParamName, domain: SweepParameters[ParamName]): Dimension | { fixed: Setting } {
  if (domain.kind === 'values') {
    const choices = distinctSettings(domain.values);
    const [only] = choices;
    if (only === undefined) throw new Error(`searchSpaceOf: ${name} has no values`);
    return choices.length === 1 ? { fixed: copySetting(only) } : { name, kind: 'categorical', choices: choices.map(copySetting) };
  }
  const { min, max } = domain;
  let dim: Dimension;
  switch (domain.distribution) {
    case 'uniform':
    case 'log_uniform_values':
      dim = { name, kind: 'real', min, max, log: domain.distribution === 'log_uniform_values' };
      break;
    case 'int_uniform':
      dim = { name, kind: 'integer', min, max, step: 1 };
      break;
    case 'q_uniform':
      dim = { name, kind: 'integer', min, max, step: domain.q };
      break;
  }
  // A range holding one setting (min = max, or a single multiple of q) is fixed, not searched.
  const size = dim.kind === 'real' ? (min === max ? 1 : Infinity) : dimensionSize(dim);
  if (size === 0) throw new Error(`searchSpaceOf: ${name} has no multiple of q in [${min}, ${max}]`);
  return size === 1 ? { fixed: fromUnit(dim, 0) } : dim;
}

/** The space a validated sweep's parameters span: varying ones as dimensions (PARAM_NAMES order), the rest fixed. */
export function searchSpaceOf(parameters: SweepParameters): SearchSpace {
  const space: SearchSpace = { dimensions: [], fixed: {} };
  for (const name of PARAM_NAMES) {
    const dim = dimensionOf(name, parameters[name]);
    if ('fixed' in dim) space.fixed[name] = dim.fixed;
    else space.dimensions.push(dim);
  }
  return space;
}

function choiceIndex(dim: Extract<Dimension, { kind: 'categorical' }>, value: Setting): number {
  const key = canonicalJson(value);
  return dim.choices.findIndex((c) => canonicalJson(c) === key);
}

/** Whether a setting is one the dimension can yield (so models can place it in the unit cube). */
function isInDimension(dim: Dimension, value: Setting): boolean {
  if (dim.kind === 'categorical') return choiceIndex(dim, value) >= 0;
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (dim.kind === 'real') return value >= dim.min && value <= dim.max;
  const { lo, hi } = multiples(dim.min, dim.max, dim.step);
  const k = Math.round(value / dim.step);
  return k >= lo && k <= hi && value === multipleValue(dim, k);
}

/**
 * A setting's position under the dimension's prior CDF: linear or log for reals, the centre of
 * its cell for integers ((k - lo + 0.5) / count) and categories ((index + 0.5) / n).
 * Numbers outside the range clamp to its ends.
 * @throws RangeError for a categorical setting that is not one of the choices
 */
export function toUnit(dim: Dimension, value: Setting): number {
  if (dim.kind === 'categorical') {
    const index = choiceIndex(dim, value);
    if (index < 0) throw new RangeError(`toUnit: ${canonicalJson(value)} is not a choice of ${dim.name}`);
    return (index + 0.5) / dim.choices.length;
  }
  if (typeof value !== 'number') throw new RangeError(`toUnit: ${dim.name} takes a number, not a list`);
  if (dim.kind === 'real') {
    const u = dim.log
      ? (Math.log(value) - Math.log(dim.min)) / (Math.log(dim.max) - Math.log(dim.min))
      : (value - dim.min) / (dim.max - dim.min);
    return clamp(u, 0, 1);
  }
  const { lo, hi, count } = multiples(dim.min, dim.max, dim.step);
  const k = clamp(Math.round(value / dim.step), lo, hi);
  return (k - lo + 0.5) / count;
}

/**
 * The setting at unit position u (clamped to [0, 1]), rounded as `sampleDistribution` rounds a
 * draw: reals to SAMPLE_SIGNIFICANT_DIGITS significant digits then clamped into [min, max];
 * multiples of q to 12 significant digits (3 * 0.1 -> 0.3).
 */
export function fromUnit(dim: Dimension, u: number): Setting {
  const v = clamp(Number.isNaN(u) ? 0 : u, 0, 1);
  if (dim.kind === 'categorical') {
    const n = dim.choices.length;
    return copySetting(dim.choices[Math.min(n - 1, Math.floor(v * n))] as Setting);
  }
  if (dim.kind === 'real') {
    const x = dim.log
      ? Math.exp(Math.log(dim.min) + v * (Math.log(dim.max) - Math.log(dim.min)))
      : dim.min + v * (dim.max - dim.min);
    return clamp(roundSignificant(x, SAMPLE_SIGNIFICANT_DIGITS), dim.min, dim.max);
  }
  const { lo, count } = multiples(dim.min, dim.max, dim.step);
  return multipleValue(dim, lo + Math.min(count - 1, Math.floor(v * count)));
}

/** Full trial params from one setting per dimension (in space.dimensions order) plus the fixed ones; arrays are copied. */
export function paramsOf(space: SearchSpace, settings: readonly Setting[]): TrialParams {
  if (settings.length !== space.dimensions.length) {
    throw new Error(`paramsOf: ${settings.length} settings for ${space.dimensions.length} dimensions`);
  }
  const byName: Partial<Record<ParamName, Setting>> = { ...space.fixed };
  space.dimensions.forEach((dim, i) => { byName[dim.name] = settings[i] as Setting; });
  const params = {} as Record<ParamName, Setting>;
  for (const name of PARAM_NAMES) {
    const s = byName[name];
    if (s === undefined) throw new Error(`paramsOf: no setting for ${name}`);
    params[name] = copySetting(s);
  }
  return params as unknown as TrialParams;
}

/** A configuration's identity for duplicate detection: its canonical JSON. */
export function configKey(params: TrialParams): string {
  return canonicalJson(params);
}

/** How many distinct configurations the space holds; Infinity when any dimension is real. */
export function spaceSize(space: SearchSpace): number {
  return space.dimensions.reduce((n, dim) => n * dimensionSize(dim), 1);
}

/**
 * The unit-cube point of a trial's params, or undefined when one of its settings lies outside
 * the space (say, a trial of an earlier version of the sweep file): models leave those out.
 */
export function unitPointOf(space: SearchSpace, params: TrialParams): number[] | undefined {
  const point: number[] = [];
  for (const dim of space.dimensions) {
    const value = params[dim.name];
    if (!isInDimension(dim, value)) return undefined;
    point.push(toUnit(dim, value));
  }
  return point;
}
