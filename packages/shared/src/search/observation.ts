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
  /**
   * completed: finished, or cut early at a rung (stopped or paused; its loss is its value
   * there); pending: queued or running, with the loss of the last rung it passed, if any;
   * failed: crashed or diverged.
   */
  state: 'completed' | 'pending' | 'failed';
  /**
   * The epoch the loss comes from when that is not the trial's last: the rung where it was cut
   * (completed), or the last rung it passed and trains on from (pending). Such a loss comes
   * from fewer epochs than a finished trial's, so TPE ranks it after every finished one, longer
   * survivors first (Optuna's pruned trials); bayes takes a cut trial's loss as it is and
   * fills in a pending one with its own prediction (W&B).
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
  /**
   * What random search tries at this position of the same sweep (same id and search_seed).
   * A sampler's random draws take it first when it is not taken, so bayes and tpe begin with
   * random search's trials: a comparison between methods on one seed starts from the same
   * points, as Optuna's samplers with one seed do. A function, since finding it replays random
   * search's stream up to this position and most suggestions never need it.
   */
  startup?: () => TrialParams | undefined;
}

/** Suggests the next configuration; undefined only when every configuration of the space is taken. */
export type Sampler = (ctx: SuggestContext) => TrialParams | undefined;

/** A completed observation's loss when it is a usable number, else undefined. */
export function completedLoss(observation: Observation): number | undefined {
  const { state, loss } = observation;
  return state === 'completed' && loss !== undefined && Number.isFinite(loss) ? loss : undefined;
}

/** A pending observation's loss at the last rung it passed, when it has one, else undefined. */
export function rungLoss(observation: Observation): number | undefined {
  const { state, loss, prunedAt } = observation;
  return state === 'pending' && prunedAt !== undefined && loss !== undefined && Number.isFinite(loss) ? loss : undefined;
}
