/**
 * Hyperparameter samplers for adaptive sweeps: pure functions from what is known (search
 * space, observations, a seeded rng, the configurations already taken) to the next trial.
 */
export { configKey, searchSpaceOf } from './search-space.js';
export type { Observation, Sampler } from './observation.js';
export { suggestTpe } from './tpe-sampler.js';
export { suggestBayes } from './gp-bayes-sampler.js';
