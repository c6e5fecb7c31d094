import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../seeded-random.js';
import type { TrialParams } from '../trial.js';
import { suggestBayes } from './gp-bayes-sampler.js';
import type { Observation, Sampler } from './observation.js';
import { suggestRandom } from './random-sampler.js';
import { configKey, type SearchSpace } from './search-space.js';
import { suggestTpe } from './tpe-sampler.js';

/** The contract every sampler keeps: deterministic, never a taken configuration, undefined only when the space is full. */

const FIXED = { noise_factor: 0.5, batch_size: 256, learning_rate: 0.001, seed: 0 } as const;

/** filters (2 choices) x epochs (int_uniform 1..epochsMax). */
const smallSpace = (epochsMax: number): SearchSpace => ({
  dimensions: [
    { name: 'filters', kind: 'categorical', choices: [[16, 32, 64], [32, 64, 128]] },
    { name: 'epochs', kind: 'integer', min: 1, max: epochsMax, step: 1 },
  ],
  fixed: { ...FIXED },
});

/** Continuous: log learning rate, linear noise. */
const realSpace: SearchSpace = {
  dimensions: [
    { name: 'learning_rate', kind: 'real', min: 1e-5, max: 1e-1, log: true },
    { name: 'noise_factor', kind: 'real', min: 0, max: 1, log: false },
  ],
  fixed: { filters: [32, 64, 128], epochs: 5, batch_size: 256, seed: 0 },
};

/** Only listed values: 3 x 4 = 12 configurations. */
const categoricalSpace: SearchSpace = {
  dimensions: [
    { name: 'filters', kind: 'categorical', choices: [[8], [16, 32], [32, 64, 128]] },
    { name: 'seed', kind: 'categorical', choices: [1, 2, 3, 4] },
  ],
  fixed: { noise_factor: 0.5, epochs: 5, batch_size: 256, learning_rate: 0.001 },
};

const lossOf = (p: TrialParams): number => (Math.log10(p.learning_rate) + 3) ** 2 + (p.noise_factor - 0.3) ** 2
  + p.epochs / 10 + p.filters.length / 7 + p.seed / 11;

/** Suggests until the sampler answers undefined (or `limit` suggestions), completing each one. */
function fill(sampler: Sampler, space: SearchSpace, limit: number): (TrialParams | undefined)[] {
  const observations: Observation[] = [];
  const taken = new Set<string>();
  const out: (TrialParams | undefined)[] = [];
  for (let i = 0; i < limit; i++) {
    const params = sampler({ space, observations, rng: new SeededRandom(`fill/${i}`), taken });
    out.push(params);
    if (params === undefined) break;
    expect(taken.has(configKey(params))).toBe(false);
    taken.add(configKey(params));
    observations.push({ params, loss: lossOf(params), state: 'completed' });
  }
  return out;
}

const history = (space: SearchSpace, n: number): Observation[] => {
  const taken = new Set<string>();
  return Array.from({ length: n }, (_, i) => {
    const params = suggestRandom({ space, observations: [], rng: new SeededRandom(`history/${i}`), taken }) as TrialParams;
    taken.add(configKey(params));
    return { params, loss: lossOf(params), state: i % 5 === 4 ? 'failed' : 'completed' } satisfies Observation;
  });
};

const SAMPLERS: [string, Sampler][] = [['random', suggestRandom], ['tpe', suggestTpe], ['bayes', suggestBayes]];

describe.each(SAMPLERS)('%s sampler contract', (_name, sampler) => {
  it('is deterministic: the same context and seed give the same params, another seed other params', () => {
    const observations = [...history(realSpace, 14), { params: { ...FIXED, filters: [32, 64, 128], epochs: 5, learning_rate: 0.002, noise_factor: 0.4 }, state: 'pending' as const }];
    const taken = new Set(observations.map((o) => configKey(o.params)));
    const suggest = (seed: string): TrialParams | undefined => sampler({ space: realSpace, observations, rng: new SeededRandom(seed), taken });
    const first = suggest('s1');
    expect(first).toBeDefined();
    expect(suggest('s1')).toEqual(first);
    expect(suggest('s2')).not.toEqual(first);
  });

  it('fills a 6-configuration space with 6 distinct suggestions, then answers undefined', () => {
    const out = fill(sampler, smallSpace(3), 10);
    expect(out).toHaveLength(7);
    expect(out[6]).toBeUndefined();
    expect(new Set(out.slice(0, 6).map((p) => configKey(p as TrialParams))).size).toBe(6);
  });

  it('fills a 14-configuration space past the model start-up, then answers undefined', () => {
    const out = fill(sampler, smallSpace(7), 20);
    expect(out).toHaveLength(15);
    expect(out[14]).toBeUndefined();
    expect(new Set(out.slice(0, 14).map((p) => configKey(p as TrialParams))).size).toBe(14);
  });

  it('works on a categorical-only space', () => {
    const out = fill(sampler, categoricalSpace, 20);
    expect(out.filter((p) => p !== undefined)).toHaveLength(12);
    expect(out.at(-1)).toBeUndefined();
  });
});
