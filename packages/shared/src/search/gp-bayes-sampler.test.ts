import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../seeded-random.js';
import type { TrialParams } from '../trial.js';
import { bayesNeedsContinuous, expectedImprovement, suggestBayes } from './gp-bayes-sampler.js';
import { BAYES_MAX_POINTS, gaussianProcessOf, standardize } from './gp-training-set.js';
import { predict } from './gaussian-process.js';
import type { Observation } from './observation.js';
import { suggestRandom } from './random-sampler.js';
import { configKey, toUnit, type Dimension, type SearchSpace } from './search-space.js';

const noise: Dimension = { name: 'noise_factor', kind: 'real', min: 0, max: 1, log: false };
const lr: Dimension = { name: 'learning_rate', kind: 'real', min: 1e-5, max: 1e-1, log: true };
const BASE = { noise_factor: 0.5, filters: [32, 64, 128], epochs: 5, batch_size: 256, learning_rate: 0.001, seed: 0 };
const noiseSpace: SearchSpace = { dimensions: [noise], fixed: { filters: BASE.filters, epochs: 5, batch_size: 256, learning_rate: 0.001, seed: 0 } };
const lrSpace: SearchSpace = { dimensions: [lr], fixed: { noise_factor: 0.5, filters: BASE.filters, epochs: 5, batch_size: 256, seed: 0 } };
const at = (noise_factor: number, loss: number | undefined, state: Observation['state'] = 'completed'): Observation =>
  (loss === undefined ? { params: { ...BASE, noise_factor }, state } : { params: { ...BASE, noise_factor }, loss, state });
const keys = (obs: readonly Observation[]): Set<string> => new Set(obs.map((o) => configKey(o.params)));

describe('bayesNeedsContinuous', () => {
  it('is true only when no dimension is real or integer', () => {
    const cat: Dimension = { name: 'seed', kind: 'categorical', choices: [1, 2] };
    const int: Dimension = { name: 'epochs', kind: 'integer', min: 1, max: 9, step: 1 };
    expect(bayesNeedsContinuous({ dimensions: [cat], fixed: {} })).toBe(true);
    expect(bayesNeedsContinuous({ dimensions: [], fixed: {} })).toBe(true);
    expect(bayesNeedsContinuous({ dimensions: [cat, int], fixed: {} })).toBe(false);
    expect(bayesNeedsContinuous({ dimensions: [noise], fixed: {} })).toBe(false);
  });
});

describe('expected improvement', () => {
  it('is sigma * phi(0) at the incumbent and grows with a lower mean', () => {
    expect(expectedImprovement(0, 1, 0)).toBeCloseTo(0.3989423, 6);
    expect(expectedImprovement(-1, 0, 0)).toBeCloseTo(1, 5);
    expect(expectedImprovement(1, 0, 0)).toBeCloseTo(0, 6);
    expect(expectedImprovement(-0.5, 0.5, 0)).toBeGreaterThan(expectedImprovement(0, 0.5, 0));
  });
});

describe('training set', () => {
  it('standardizes losses, scale 1 when they are all equal', () => {
    expect(standardize([1, 3])).toEqual([-1, 1]);
    expect(standardize([2, 2])).toEqual([0, 0]);
  });

  it('imputes failed trials with the worst completed loss', () => {
    const training = gaussianProcessOf(noiseSpace, [at(0.1, 1), at(0.5, 3), at(0.9, undefined, 'failed')]);
    const { mean } = predict(training!.gp, [[0.9], [0.5]]);
    expect(mean[0]).toBeCloseTo(mean[1] as number, 3);
    expect(training!.yStar).toBeCloseTo(-Math.SQRT2, 6);
  });

  it('keeps the most recent 100 points and adds pending ones with believed losses', () => {
    const many = Array.from({ length: 150 }, (_, i) => at(Math.round((i / 150) * 1000) / 1000, i % 7));
    const training = gaussianProcessOf(noiseSpace, [...many, at(0.9999, undefined, 'pending')]);
    expect(training!.gp.x).toHaveLength(BAYES_MAX_POINTS + 1);
    expect(training!.gp.x[0]).toEqual([toUnit(noise, many[50]!.params.noise_factor)]);
    expect(training!.gp.x.at(-1)).toEqual([0.9999]);
  });
});

describe('suggestBayes', () => {
  it('searches at random until two trials have a loss (a failed one counts once a completed one gives it a loss)', () => {
    const failedFirst = [at(0.4, undefined, 'failed'), at(0.6, undefined, 'pending')];
    const none = { space: noiseSpace, observations: failedFirst, rng: new SeededRandom('x'), taken: keys(failedFirst) };
    expect(suggestBayes(none)).toEqual(suggestRandom({ ...none, rng: new SeededRandom('x') }));
    const obs = [at(0.2, 1), at(0.6, undefined, 'pending')];
    const ctx = { space: noiseSpace, observations: obs, rng: new SeededRandom('x'), taken: keys(obs) };
    expect(suggestBayes(ctx)).toEqual(suggestRandom({ ...ctx, rng: new SeededRandom('x') }));
    const two = [...obs, at(0.8, 2)];
    expect(suggestBayes({ ...ctx, observations: two, rng: new SeededRandom('x') }))
      .not.toEqual(suggestRandom({ ...ctx, observations: two, rng: new SeededRandom('x') }));
  });

  it('suggests between two bad points around a good one (expected improvement)', () => {
    const obs = [at(0.1, 1), at(0.5, 0), at(0.9, 1)];
    for (const seed of ['a', 'b', 'c']) {
      const p = suggestBayes({ space: noiseSpace, observations: obs, rng: new SeededRandom(seed), taken: keys(obs) });
      expect(p?.noise_factor).toBeGreaterThan(0.2);
      expect(p?.noise_factor).toBeLessThan(0.8);
    }
  });

  it('moves away from a pending trial (kriging believer)', () => {
    for (let seed = 0; seed < 5; seed++) {
      const observations: Observation[] = [];
      const taken = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const params = suggestRandom({ space: lrSpace, observations, rng: new SeededRandom(`kb/${seed}/${i}`), taken }) as TrialParams;
        taken.add(configKey(params));
        observations.push({ params, loss: (Math.log10(params.learning_rate) + 3) ** 2, state: 'completed' });
      }
      const rng = () => new SeededRandom(`kb/${seed}/next`);
      const first = suggestBayes({ space: lrSpace, observations, rng: rng(), taken }) as TrialParams;
      const takenToo = new Set([...taken, configKey(first)]);
      const plain = suggestBayes({ space: lrSpace, observations, rng: rng(), taken: takenToo }) as TrialParams;
      const believer = suggestBayes({ space: lrSpace, observations: [...observations, { params: first, state: 'pending' }], rng: rng(), taken: takenToo }) as TrialParams;
      const gap = (p: TrialParams): number => Math.abs(toUnit(lr, p.learning_rate) - toUnit(lr, first.learning_rate));
      expect(gap(believer)).toBeGreaterThan(gap(plain));
    }
  });
});
