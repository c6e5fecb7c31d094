import type { IssueList } from './issue-list.js';
import type { KeyPath } from './key-path.js';
import { describeFound } from './number-bounds.js';
import { PARAM_BOUNDS } from './trial.js';

/*
 * Early termination: a *rung* is an epoch count at which a trial's metric is compared with
 * every other trial's at the same epoch. A trial that ranks badly there is stopped for good
 * (mode stop) or *paused* (mode pause): its checkpoint is kept and it is *promoted*, resumed
 * from that checkpoint, once it ranks well enough as more trials reach the rung. An iteration
 * is always an epoch, never a count of logged rows.
 *
 * - hyperband (Weights & Biases' semantics): rungs ("bands") at int(min_iter * eta^k), or
 *   int(max_iter / eta^k) for k = 1..s. At a band with n recorded values, sorted best first,
 *   a trial continues if its value is no worse than the value at index floor(n / eta)
 *   (strict: false, W&B's original rule) or ceil(n / eta) - 1 (strict: true, the default:
 *   only the top 1/eta continue). The trial's own value counts among the n.
 * - asha (Ray Tune's AsyncHyperBandScheduler): rungs at grace_period * reduction_factor^k up to
 *   max_t; a trial continues if its value is no worse than the 1/reduction_factor quantile
 *   (linear interpolation) of the values recorded there before it; the first always continues.
 *   With strict: true (pause mode only) the rule is the original ASHA's instead: with n values
 *   recorded at a rung, the trial's own included, the best floor(n / reduction_factor) pass, so
 *   no trial passes a rung before reduction_factor trials have reached it. Ray and Optuna let
 *   early arrivals through because they cannot suspend a trial and resume it later; a paused
 *   trial here waits at no cost, and is promoted when enough trials rank below it.
 *   With brackets > 1, each trial is placed in one bracket s whose rungs start at
 *   grace_period * reduction_factor^s, with Ray's weights (larger brackets likelier).
 */

const EARLY_TERMINATE_TYPES = ['hyperband', 'asha'] as const;
export const RUNG_MODES = ['stop', 'pause'] as const;
/** What happens to a trial cut at a rung. */
type RungMode = (typeof RUNG_MODES)[number];

/** A validated `early_terminate:` section, defaults filled in, rungs computed. */
export type EarlyTerminate =
  | {
    type: 'hyperband';
    /** As written; exactly one of min_iter or max_iter (with s). */
    min_iter?: number;
    max_iter?: number;
    s?: number;
    /** @defaultValue 3 */
    eta: number;
    /** @defaultValue true */
    strict: boolean;
    /** @defaultValue stop */
    mode: RungMode;
  }
  | {
    type: 'asha';
    /** @defaultValue 1 */
    grace_period: number;
    /** @defaultValue 4 */
    reduction_factor: number;
    /** @defaultValue the largest epochs setting of the sweep */
    max_t: number;
    /** @defaultValue 1 */
    brackets: number;
    /** @defaultValue pause */
    mode: RungMode;
    /** Pass the top floor(n / reduction_factor) of a rung only (pause mode, one bracket). @defaultValue false */
    strict: boolean;
  };

const HYPERBAND_KEYS = ['type', 'min_iter', 'max_iter', 's', 'eta', 'strict', 'mode'] as const;
const ASHA_KEYS = ['type', 'grace_period', 'reduction_factor', 'max_t', 'brackets', 'mode', 'strict', 'time_attr', 'metric'] as const;
const EPOCH_BOUND = PARAM_BOUNDS.epochs;
const FACTOR_BOUND = { integer: false, min: 1, max: 100, minExclusive: true } as const;
/** Weights & Biases computes at most this many bands from min_iter. */
const MAX_BANDS = 100;

/**
 * Validates `early_terminate:`. `maxEpochs` is the largest epochs setting of the sweep: rungs
 * at or past it never cut anything, and a section whose rungs all lie there is an error.
 */
export function checkEarlyTerminate(value: unknown, maxEpochs: number | undefined, issues: IssueList): EarlyTerminate | undefined {
  const path: KeyPath = ['early_terminate'];
  const obj = issues.mapping(value, path, 'a mapping like {type: asha, grace_period: 1, reduction_factor: 3}');
  if (obj === undefined) return undefined;
  if (!Object.hasOwn(obj, 'type')) {
    issues.add([...path, 'type'], `is required: one of ${EARLY_TERMINATE_TYPES.join(', ')}`, false, path);
    return undefined;
  }
  const type = issues.choice(obj.type, [...path, 'type'], EARLY_TERMINATE_TYPES, { median: 'median stopping is not supported' });
  if (type === undefined) return undefined;
  const before = issues.items.length;
  const section = type === 'hyperband' ? checkHyperband(obj, issues) : checkAsha(obj, maxEpochs, issues);
  if (section === undefined || issues.items.length > before) return undefined;
  if (maxEpochs !== undefined && rungsOf(section, maxEpochs).every((rungs) => rungs.length === 0)) {
    issues.add(path, `cuts nothing: every rung it defines (${describeRungs(section, maxEpochs)}) is at or past the sweep's largest epochs setting, ${maxEpochs}; `
      + 'lower min_iter / grace_period or train more epochs');
    return undefined;
  }
  return section;
}

function integerAt(obj: Record<string, unknown>, key: string, issues: IssueList, fallback: number): number | undefined {
  return Object.hasOwn(obj, key) ? issues.number(obj[key], ['early_terminate', key], EPOCH_BOUND) : fallback;
}

function factorAt(obj: Record<string, unknown>, key: string, issues: IssueList, fallback: number): number | undefined {
  if (!Object.hasOwn(obj, key)) return fallback;
  const v = obj[key];
  if (typeof v === 'number' && v <= 1) {
    issues.add(['early_terminate', key], `must be greater than 1 (the factor by which each rung keeps fewer trials); found ${describeFound(v)}`);
    return undefined;
  }
  return issues.number(v, ['early_terminate', key], FACTOR_BOUND);
}

function modeAt(obj: Record<string, unknown>, issues: IssueList, fallback: RungMode): RungMode | undefined {
  return Object.hasOwn(obj, 'mode') ? issues.choice(obj.mode, ['early_terminate', 'mode'], RUNG_MODES) : fallback;
}

function strictAt(obj: Record<string, unknown>, issues: IssueList, fallback: boolean): boolean | undefined {
  if (!Object.hasOwn(obj, 'strict')) return fallback;
  if (typeof obj.strict === 'boolean') return obj.strict;
  issues.add(['early_terminate', 'strict'], `must be true or false; found ${describeFound(obj.strict)}`);
  return undefined;
}

function checkHyperband(obj: Record<string, unknown>, issues: IssueList): EarlyTerminate | undefined {
  issues.unknownKeys(obj, ['early_terminate'], HYPERBAND_KEYS, { grace_period: 'that is asha\'s key; hyperband takes min_iter; ' });
  const hasMin = Object.hasOwn(obj, 'min_iter');
  const hasMax = Object.hasOwn(obj, 'max_iter');
  if (hasMin === hasMax) {
    issues.add(['early_terminate'], hasMin
      ? 'must have min_iter or max_iter (with s), not both'
      : 'must have min_iter (the first band, e.g. min_iter: 1) or max_iter with s');
    return undefined;
  }
  if (hasMax && !Object.hasOwn(obj, 's')) issues.add(['early_terminate', 's'], 'is required with max_iter (how many bands below max_iter)', false, ['early_terminate', 'max_iter']);
  if (hasMin && Object.hasOwn(obj, 's')) issues.add(['early_terminate', 's'], 'only applies with max_iter', true);
  const eta = factorAt(obj, 'eta', issues, 3);
  const mode = modeAt(obj, issues, 'stop');
  const strict = strictAt(obj, issues, true);
  if (eta === undefined || mode === undefined || strict === undefined) return undefined;
  if (hasMin) {
    const min = integerAt(obj, 'min_iter', issues, 1);
    return min === undefined ? undefined : { type: 'hyperband', min_iter: min, eta, strict, mode };
  }
  const max = integerAt(obj, 'max_iter', issues, 1);
  const s = Object.hasOwn(obj, 's') ? issues.number(obj.s, ['early_terminate', 's'], { integer: true, min: 1, max: MAX_BANDS }) : undefined;
  return max === undefined || s === undefined ? undefined : { type: 'hyperband', max_iter: max, s, eta, strict, mode };
}

function checkAsha(obj: Record<string, unknown>, maxEpochs: number | undefined, issues: IssueList): EarlyTerminate | undefined {
  issues.unknownKeys(obj, ['early_terminate'], ASHA_KEYS, { min_iter: 'that is hyperband\'s key; asha takes grace_period; ', eta: 'asha calls it reduction_factor; ' });
  for (const key of ['time_attr', 'metric'] as const) {
    if (Object.hasOwn(obj, key)) {
      issues.add(['early_terminate', key], key === 'time_attr'
        ? 'is always the epoch here; leave it out'
        : 'is the sweep\'s metric here; set it at the top level (metric: {name, goal})', true);
    }
  }
  const grace = integerAt(obj, 'grace_period', issues, 1);
  const rf = factorAt(obj, 'reduction_factor', issues, 4);
  const maxT = integerAt(obj, 'max_t', issues, maxEpochs ?? EPOCH_BOUND.max);
  const brackets = Object.hasOwn(obj, 'brackets') ? issues.number(obj.brackets, ['early_terminate', 'brackets'], { integer: true, min: 1, max: 10 }) : 1;
  const mode = modeAt(obj, issues, 'pause');
  const strict = strictAt(obj, issues, false);
  if (grace === undefined || rf === undefined || maxT === undefined || brackets === undefined || mode === undefined || strict === undefined) return undefined;
  if (grace >= maxT) {
    issues.add(['early_terminate', 'grace_period'], `must be less than max_t (${maxT}); found ${grace}`);
    return undefined;
  }
  if (strict && mode !== 'pause') {
    issues.add(['early_terminate', 'strict'], 'needs mode: pause: a trial that arrives at a rung before it has filled must wait there, '
      + 'and with mode: stop it would be stopped for good', false, ['early_terminate', 'mode']);
    return undefined;
  }
  if (strict && brackets > 1) {
    issues.add(['early_terminate', 'strict'], 'takes brackets: 1: the trials of each bracket fill its rungs on their own, and a bracket that '
      + 'receives too few would finish none', false, ['early_terminate', 'brackets']);
    return undefined;
  }
  return { type: 'asha', grace_period: grace, reduction_factor: rf, max_t: maxT, brackets, mode, strict };
}

/**
 * The rungs of each bracket (one bracket except for asha with brackets > 1), ascending, each
 * below `epochs`: a trial of that many epochs is compared at these epochs, and finishes after
 * the last one unless cut.
 */
export function rungsOf(et: EarlyTerminate, epochs: number): number[][] {
  const below = (rungs: number[]) => [...new Set(rungs)].filter((r) => r >= 1 && r < epochs).sort((a, b) => a - b);
  if (et.type === 'hyperband') return [below(hyperbandBands(et))];
  const out: number[][] = [];
  for (let s = 0; s < et.brackets; s++) {
    const rungs: number[] = [];
    for (let r = et.grace_period * et.reduction_factor ** s; r < Math.min(et.max_t, epochs); r *= et.reduction_factor) rungs.push(Math.round(r));
    out.push(below(rungs));
  }
  return out;
}

function hyperbandBands(et: Extract<EarlyTerminate, { type: 'hyperband' }>): number[] {
  const bands: number[] = [];
  if (et.max_iter !== undefined) {
    let band = et.max_iter;
    for (let i = 0; i < (et.s ?? 0); i++) {
      band /= et.eta;
      if (band < 1) break;
      bands.push(Math.trunc(band));
    }
    return bands;
  }
  let band = et.min_iter ?? 1;
  for (let i = 0; i < MAX_BANDS && band <= EPOCH_BOUND.max; i++) {
    bands.push(Math.trunc(band));
    band *= et.eta;
  }
  return bands;
}

/** `rungs at epochs 1, 3, 9 (stop)`, for dry runs and reports. */
export function describeRungs(et: EarlyTerminate, epochs: number): string {
  const brackets = rungsOf(et, epochs);
  const list = (rungs: number[]) => (rungs.length === 0 ? 'none' : rungs.join(', '));
  return brackets.length === 1 ? `epochs ${list(brackets[0] ?? [])}` : brackets.map((r, s) => `bracket ${s}: epochs ${list(r)}`).join('; ');
}

/**
 * Ray's bracket weights: bracket s with n_s rungs has weight e^(n_s - max n); `u` in [0, 1)
 * picks one (callers derive it from the trial id, so the choice is the same on every worker).
 */
function bracketFor(et: EarlyTerminate, epochs: number, u: number): number {
  const sizes = rungsOf(et, epochs).map((r) => r.length);
  const largest = Math.max(...sizes);
  const weights = sizes.map((n) => Math.exp(n - largest));
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let s = 0; s < weights.length; s++) {
    acc += (weights[s] ?? 0) / total;
    if (u < acc) return s;
  }
  return weights.length - 1;
}

/**
 * The bracket a trial belongs to and that bracket's rungs below its epochs. The bracket is
 * drawn from the trial id, so every worker places the trial in the same one.
 */
export function trialRungs(et: EarlyTerminate, trialId: string, epochs: number): { bracket: number; rungs: number[] } {
  const u = Number.parseInt(trialId.slice(0, 8), 16) / 2 ** 32;
  const bracket = Number.isFinite(u) ? bracketFor(et, epochs, u) : 0;
  return { bracket, rungs: rungsOf(et, epochs)[bracket] ?? [] };
}

/**
 * How many of `trials` trials are sure to reach the end of a strict asha bracket with `rungs`
 * rungs (none failing): a rung passes at least floor(n / reduction_factor) of the n that reach
 * it, exactly that many when they arrive best first, more when a later arrival ranks higher.
 */
export function strictFinishers(et: EarlyTerminate, trials: number, rungs: number): number {
  if (et.type !== 'asha') return trials;
  let n = trials;
  for (let k = 0; k < rungs; k++) n = Math.floor(n / et.reduction_factor);
  return n;
}

/** numpy's percentile with linear interpolation, q in [0, 1], over ascending values. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

/**
 * Whether a trial whose loss at a rung is `loss` (lower is better) goes on, given `others`:
 * the losses every other trial recorded at that rung. The same rule decides a trial arriving
 * at the rung and the promotion of one paused there.
 */
export function passesRung(et: EarlyTerminate, loss: number, others: readonly number[]): boolean {
  const sorted = [...others].sort((a, b) => a - b);
  if (et.type === 'asha') {
    if (et.strict) return 1 + sorted.filter((v) => v < loss).length <= Math.floor((sorted.length + 1) / et.reduction_factor);
    if (sorted.length === 0) return true;
    return loss <= quantile(sorted, 1 / et.reduction_factor);
  }
  const all = [...sorted, loss].sort((a, b) => a - b);
  const n = all.length;
  const index = et.strict ? Math.max(0, Math.ceil(n / et.eta) - 1) : Math.floor(n / et.eta);
  return loss <= (all[Math.min(index, n - 1)] ?? loss);
}
