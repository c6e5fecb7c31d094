import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../seeded-random.js';
import { defaultWeights, fitParzen, parzenLogDensity, sampleParzen } from './parzen-estimator.js';
import type { Dimension } from './search-space.js';

const real: Dimension = { name: 'noise_factor', kind: 'real', min: 0, max: 1, log: false };
const cat: Dimension = { name: 'seed', kind: 'categorical', choices: [1, 2, 3, 4] };

describe('defaultWeights', () => {
  it('weighs fewer than 25 points equally, else ramps the older ones from 1/n up to 1', () => {
    expect(defaultWeights(3)).toEqual([1, 1, 1]);
    const w = defaultWeights(30);
    expect(w).toHaveLength(30);
    expect(w[0]).toBeCloseTo(1 / 30, 12);
    expect(w[4]).toBeCloseTo(1, 12);
    expect(w.slice(5)).toEqual(new Array(25).fill(1));
    expect(defaultWeights(26)).toEqual([1 / 26, ...new Array(25).fill(1)]);
  });
});

describe('fitParzen', () => {
  it('sets bandwidths from neighbour gaps (inner gap at the ends), clipped, plus a broad prior', () => {
    const est = fitParzen(real, [0.7, 0.2, 0.3], [1, 1, 1]);
    expect(est).toEqual({
      kind: 'numerical',
      mus: [0.7, 0.2, 0.3, 0.5],
      sigmas: [expect.closeTo(0.4, 12), 0.2, expect.closeTo(0.4, 12), 1],
      weights: [0.25, 0.25, 0.25, 0.25],
    });
  });

  it('gives categories their weighted counts plus a prior share', () => {
    const est = fitParzen(cat, [0.125, 0.125, 0.625], [1, 0.5, 1]);
    // masses 0.25 + [1.5, 0, 1, 0] = [1.75, 0.25, 1.25, 0.25], total 3.5
    expect(est).toEqual({ kind: 'categorical', probabilities: [0.5, 0.25 / 3.5, 1.25 / 3.5, 0.25 / 3.5] });
    expect(parzenLogDensity(est, 0.125)).toBeCloseTo(Math.log(0.5), 12);
  });

  it('is a density on [0, 1]: it integrates to 1 and peaks at the points', () => {
    const est = fitParzen(real, [0.05, 0.4, 0.45], [1, 1, 1]);
    const n = 20_000;
    let integral = 0;
    for (let i = 0; i < n; i++) integral += Math.exp(parzenLogDensity(est, (i + 0.5) / n)) / n;
    expect(integral).toBeCloseTo(1, 4);
    expect(parzenLogDensity(est, 0.42)).toBeGreaterThan(parzenLogDensity(est, 0.8));
  });

  it('samples inside [0, 1], mostly near the points', () => {
    const est = fitParzen(real, [0.9, 0.92, 0.95, 0.97], [1, 1, 1, 1]);
    const rng = new SeededRandom('p');
    const draws = Array.from({ length: 2000 }, () => sampleParzen(est, rng));
    expect(draws.every((u) => u >= 0 && u <= 1)).toBe(true);
    expect(draws.filter((u) => u > 0.7).length / draws.length).toBeGreaterThan(0.6);
  });
});
