import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../seeded-random.js';
import type { TrialParams } from '../trial.js';
import { suggestBayes } from './gp-bayes-sampler.js';
import type { Observation, Sampler } from './observation.js';
import { suggestRandom } from './random-sampler.js';
import { configKey, type SearchSpace } from './search-space.js';
import { suggestTpe } from './tpe-sampler.js';

/**
 * Model-driven search must beat random search on an easy problem: a learning rate on a log
 * scale whose loss is (log10(lr) + 3)^2. Every method starts from the same 10 random trials
 * (same seeds), then spends 15 more suggestions; the seeds are fixed, so this never flakes.
 */
const space: SearchSpace = {
  dimensions: [{ name: 'learning_rate', kind: 'real', min: 1e-5, max: 1e-1, log: true }],
  fixed: { noise_factor: 0.5, filters: [32, 64, 128], epochs: 5, batch_size: 256, seed: 0 },
};
const lossOf = (p: TrialParams): number => (Math.log10(p.learning_rate) + 3) ** 2;

function bestLoss(model: Sampler, seed: number): number {
  const observations: Observation[] = [];
  const taken = new Set<string>();
  for (let i = 0; i < 25; i++) {
    const sampler = i < 10 ? suggestRandom : model;
    const params = sampler({ space, observations, rng: new SeededRandom(`quality/${seed}/${i}`), taken }) as TrialParams;
    taken.add(configKey(params));
    observations.push({ params, loss: lossOf(params), state: 'completed' });
  }
  return Math.min(...observations.map((o) => o.loss as number));
}

describe('sampler quality on a 1-D log learning rate', () => {
  const seeds = Array.from({ length: 10 }, (_, i) => i);
  const random = seeds.map((seed) => bestLoss(suggestRandom, seed));

  it.each([['tpe', suggestTpe], ['bayes', suggestBayes]] as [string, Sampler][])('%s beats random search on at least 8 of 10 seeds', (_name, model) => {
    const wins = seeds.filter((seed) => bestLoss(model, seed) < (random[seed] as number)).length;
    expect(wins).toBeGreaterThanOrEqual(8);
  });
});
