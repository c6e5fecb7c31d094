import type { SeededRandom } from '../seeded-random.js';
import type { TrialParams } from '../trial.js';
import type { SearchSpace } from './search-space.js';

/**
 * What an adaptive sampler knows about one trial. Samplers see losses only (lower is better),
 * so one model serves every metric: callers negate the ones they maximize.
 */
export interface Observation {
  params: TrialParams;
  /** The trial's metric oriented so that lower is better (callers negate maximized metrics); undefined while it has none yet. */
  loss?: number;
  /** completed: finished or stopped early (its loss is its best value so far); pending: queued, running or paused; failed: crashed or diverged. */
  state: 'completed' | 'pending' | 'failed';
  /**
   * For a completed trial cut early (stopped, or paused at a rung): the epoch it reached. Its
   * loss comes from fewer epochs than a finished trial's, so TPE ranks it after every finished
   * one, longer survivors first (Optuna's pruned trials); bayes takes the loss as it is (W&B).
   */
  prunedAt?: number;
}

/**
 * Everything a sampler may use. Suggestions are pure functions of this context, so a sweep
 * that replays the same observations with the same seeds suggests the same trials again.
 */
export interface SuggestContext {
  space: SearchSpace;
  /** Everything known when the suggestion is made, in suggestion order. */
  observations: readonly Observation[];
  /** Seeded per suggestion by the caller; the only source of randomness. */
  rng: SeededRandom;
  /** configKey of every configuration already suggested in this sweep: never suggest one of these. */
  taken: ReadonlySet<string>;
}

/** Suggests the next configuration; undefined only when every configuration of the space is taken. */
export type Sampler = (ctx: SuggestContext) => TrialParams | undefined;

/** A completed observation's loss when it is a usable number, else undefined. */
export function completedLoss(observation: Observation): number | undefined {
  const { state, loss } = observation;
  return state === 'completed' && loss !== undefined && Number.isFinite(loss) ? loss : undefined;
}
