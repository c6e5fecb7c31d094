import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../seeded-random.js';
import { drawFromPrior, suggestRandom } from './random-sampler.js';
import { configKey, fromUnit, paramsOf, type Dimension, type SearchSpace } from './search-space.js';

const FIXED = { noise_factor: 0.5, filters: [32, 64, 128], batch_size: 256, seed: 0 };
const lr: Dimension = { name: 'learning_rate', kind: 'real', min: 1e-5, max: 1e-1, log: true };
const epochs: Dimension = { name: 'epochs', kind: 'integer', min: 1, max: 6, step: 1 };

describe('suggestRandom', () => {
  it('draws each dimension from its prior with one uniform per dimension, in order', () => {
    const space: SearchSpace = { dimensions: [epochs, lr], fixed: FIXED };
    const expected = new SeededRandom('r');
    const want = paramsOf(space, [fromUnit(epochs, expected.nextFloat()), fromUnit(lr, expected.nextFloat())]);
    expect(suggestRandom({ space, observations: [], rng: new SeededRandom('r'), taken: new Set() })).toEqual(want);
    expect(drawFromPrior(space, new SeededRandom('r'))).toEqual([want.epochs, want.learning_rate]);
  });

  it('finds the one untaken configuration of a small space by listing it', () => {
    const space: SearchSpace = { dimensions: [epochs], fixed: { ...FIXED, learning_rate: 0.001 } };
    const taken = new Set([1, 2, 3, 5, 6].map((e) => configKey(paramsOf(space, [e]))));
    for (const seed of ['a', 'b', 'c']) {
      expect(suggestRandom({ space, observations: [], rng: new SeededRandom(seed), taken })?.epochs).toBe(4);
    }
    taken.add(configKey(paramsOf(space, [4])));
    expect(suggestRandom({ space, observations: [], rng: new SeededRandom('a'), taken })).toBeUndefined();
  });

  it('ignores taken keys from outside the space', () => {
    const space: SearchSpace = { dimensions: [epochs], fixed: { ...FIXED, learning_rate: 0.001 } };
    const taken = new Set(['{"not":"in the space"}', ...[1, 2, 3, 4, 5].map((e) => configKey(paramsOf(space, [e])))]);
    expect(suggestRandom({ space, observations: [], rng: new SeededRandom('x'), taken })?.epochs).toBe(6);
  });

  it('answers undefined once a real range whose rounded settings are all taken stays exhausted', () => {
    // 4 significant digits leave [1, 1.001] two settings, though spaceSize counts it as infinite.
    const narrow: Dimension = { name: 'noise_factor', kind: 'real', min: 1, max: 1.001, log: false };
    const space: SearchSpace = { dimensions: [narrow], fixed: { ...FIXED, epochs: 5, learning_rate: 0.001 } };
    const taken = new Set([configKey(paramsOf(space, [1]))]);
    expect(suggestRandom({ space, observations: [], rng: new SeededRandom('n'), taken })?.noise_factor).toBe(1.001);
    taken.add(configKey(paramsOf(space, [1.001])));
    expect(suggestRandom({ space, observations: [], rng: new SeededRandom('n'), taken })).toBeUndefined();
  });
});
