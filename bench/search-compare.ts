/**
 * Side-by-side figures of replayed search methods (medians over seeds, min and max), each
 * measured against random search on the same seed, and the three targets.
 */
import { REPLAY_METHODS, epochsToReach, type ReplayMethod, type ReplayRun } from './search-replay.js';
import { round } from './stats.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

interface SeedFigures {
  seed: number;
  best: number;
  epochs: number;
  trials: number;
  makespan: number;
  counts: ReplayRun['counts'];
  /** Epochs trained when it first reached random search's best of the same seed; null: never. */
  epochsToRandomBest: number | null;
  /** epochsToRandomBest over random's epochs trained; null: never. */
  fractionOfRandomEpochs: number | null;
}

export interface MethodSummary {
  method: ReplayMethod;
  bestPsnr: Spread;
  epochs: Spread;
  trials: Spread;
  makespan: Spread;
  /** Median over seeds, "never" counted as infinite; null when the median is never. */
  epochsToRandomBest: number | null;
  fractionOfRandomEpochs: number | null;
  /** Seeds on which it reached random's best at all. */
  reachedRandomBestSeeds: number;
  seeds: SeedFigures[];
}

export interface SearchTargets {
  /** (a) hyperband and ASHA (on random search, and both modes on tpe) reach random's best with at most 1/3 of random's epochs (median over seeds). */
  earlyStopping: { met: boolean; limit: number; fractions: Record<string, number | null> };
  /** (b) bayes and tpe beat random's best PSNR, at equal trial count, on most seeds. */
  adaptiveBeatsRandom: { met: boolean; seeds: number; beats: Record<string, number>; ties: Record<string, number> };
  /** (c) pause-and-promote is never worse than stop (best PSNR per seed). */
  pauseNotWorseThanStop: { met: boolean; seeds: number; violations: number; violatingSeeds: number[] };
  /** Not a target: strict promotion's fraction of random's epochs, and the seeds on which its best PSNR is below stop's. */
  strictPause: { fraction: number | null; seeds: number; worseThanStop: number };
}

const EARLY_STOPPING: ReplayMethod[] = ['random+hyperband', 'random+asha (pause)', 'tpe+asha (stop)', 'tpe+asha (pause)'];
const ADAPTIVE: ReplayMethod[] = ['bayes', 'tpe'];

function spread(values: readonly number[], digits: number): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: round(medianOf(sorted)!, digits), min: round(sorted[0]!, digits), max: round(sorted.at(-1)!, digits) };
}

/** The median of ascending values, Infinity allowed; null when it is not finite. */
function medianOf(sorted: readonly number[]): number | null {
  const mid = sorted.length >> 1;
  const m = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return Number.isFinite(m) ? m : null;
}

const finiteOr = (x: number | null) => x ?? Number.POSITIVE_INFINITY;

/** Summaries of every method, from runs of every method on the same seeds. */
export function summarize(runs: readonly ReplayRun[]): MethodSummary[] {
  const randomBySeed = new Map(runs.filter((r) => r.method === 'random').map((r) => [r.seed, r]));
  return REPLAY_METHODS.filter((m) => runs.some((r) => r.method === m)).map((method) => {
    const mine = runs.filter((r) => r.method === method).sort((a, b) => a.seed - b.seed);
    const seeds: SeedFigures[] = mine.map((r) => {
      const random = randomBySeed.get(r.seed);
      const reach = random ? epochsToReach(r, random.best) : null;
      return {
        seed: r.seed,
        best: r.best,
        epochs: r.epochs,
        trials: r.trials,
        makespan: r.makespan,
        counts: r.counts,
        epochsToRandomBest: reach,
        fractionOfRandomEpochs: reach === null || !random ? null : round(reach / random.epochs, 3),
      };
    });
    const reach = seeds.map((s) => finiteOr(s.epochsToRandomBest)).sort((a, b) => a - b);
    const fraction = seeds.map((s) => finiteOr(s.fractionOfRandomEpochs)).sort((a, b) => a - b);
    const fractionMedian = medianOf(fraction);
    return {
      method,
      bestPsnr: spread(mine.map((r) => r.best), 3),
      epochs: spread(mine.map((r) => r.epochs), 1),
      trials: spread(mine.map((r) => r.trials), 1),
      makespan: spread(mine.map((r) => r.makespan), 1),
      epochsToRandomBest: medianOf(reach),
      fractionOfRandomEpochs: fractionMedian === null ? null : round(fractionMedian, 3),
      reachedRandomBestSeeds: seeds.filter((s) => s.epochsToRandomBest !== null).length,
      seeds,
    };
  });
}

export function searchTargets(summaries: readonly MethodSummary[]): SearchTargets {
  const of = (m: ReplayMethod) => summaries.find((s) => s.method === m);
  const random = of('random');
  const limit = round(1 / 3, 4);
  const fractions = Object.fromEntries(EARLY_STOPPING.map((m) => [m, of(m)?.fractionOfRandomEpochs ?? null]));
  const earlyStopping = { met: Object.values(fractions).every((f) => f !== null && f <= 1 / 3 + 1e-9), limit, fractions };

  const seeds = random?.seeds.length ?? 0;
  const beats: Record<string, number> = {};
  const ties: Record<string, number> = {};
  for (const m of ADAPTIVE) {
    const pairs = (of(m)?.seeds ?? []).map((s) => [s.best, random?.seeds.find((r) => r.seed === s.seed)?.best ?? Number.NaN] as const);
    beats[m] = pairs.filter(([a, b]) => a > b + 1e-9).length;
    ties[m] = pairs.filter(([a, b]) => Math.abs(a - b) <= 1e-9).length;
  }
  const adaptiveBeatsRandom = { met: ADAPTIVE.every((m) => (beats[m] ?? 0) > seeds / 2), seeds, beats, ties };

  const stop = of('tpe+asha (stop)')?.seeds ?? [];
  /** Seeds on which `mine` ended with a lower best PSNR than stop. */
  const worseThanStop = (mine: readonly SeedFigures[]) => mine.filter((p) => {
    const s = stop.find((x) => x.seed === p.seed);
    return s !== undefined && p.best < s.best - 1e-9;
  }).map((p) => p.seed);
  const pause = of('tpe+asha (pause)')?.seeds ?? [];
  const violatingSeeds = worseThanStop(pause);
  const pauseNotWorseThanStop = { met: violatingSeeds.length === 0 && pause.length > 0, seeds: pause.length, violations: violatingSeeds.length, violatingSeeds };
  const strict = of('tpe+asha (pause, strict)');
  const strictPause = { fraction: strict?.fractionOfRandomEpochs ?? null, seeds: strict?.seeds.length ?? 0, worseThanStop: worseThanStop(strict?.seeds ?? []).length };
  return { earlyStopping, adaptiveBeatsRandom, pauseNotWorseThanStop, strictPause };
}
