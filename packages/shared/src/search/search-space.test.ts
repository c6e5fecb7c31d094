import { describe, expect, it } from 'vitest';
import type { NumericDomain, SweepParameters } from '../sweep-spec.js';
import { DEFAULT_TRIAL_PARAMS, type NumericParamName } from '../trial.js';
import {
  configKey, fromUnit, paramsOf, searchSpaceOf, spaceSize, toUnit, unitPointOf, type Dimension,
} from './search-space.js';

/** Default one-value parameters, with the given domains replacing some. */
function parameters(over: Partial<Record<NumericParamName, NumericDomain>> & { filters?: (number[])[] } = {}): SweepParameters {
  const { filters, ...numeric } = over;
  const one = (v: number): NumericDomain => ({ kind: 'values', values: [v] });
  return {
    noise_factor: one(DEFAULT_TRIAL_PARAMS.noise_factor),
    filters: { kind: 'values', values: filters ?? [[...DEFAULT_TRIAL_PARAMS.filters]] },
    epochs: one(DEFAULT_TRIAL_PARAMS.epochs),
    batch_size: one(DEFAULT_TRIAL_PARAMS.batch_size),
    learning_rate: one(DEFAULT_TRIAL_PARAMS.learning_rate),
    seed: one(DEFAULT_TRIAL_PARAMS.seed),
    ...numeric,
  };
}

const logLr: Dimension = { name: 'learning_rate', kind: 'real', min: 1e-5, max: 1e-1, log: true };
const noise: Dimension = { name: 'noise_factor', kind: 'real', min: 0, max: 2, log: false };
const epochs: Dimension = { name: 'epochs', kind: 'integer', min: 3, max: 7, step: 1 };
const tenths: Dimension = { name: 'noise_factor', kind: 'integer', min: 0.05, max: 0.95, step: 0.1 };
const filters: Dimension = { name: 'filters', kind: 'categorical', choices: [[16, 32, 64], [32, 64, 128], [8]] };

describe('searchSpaceOf', () => {
  it('turns values lists and distributions into dimensions in PARAM_NAMES order, one-setting params into fixed', () => {
    const space = searchSpaceOf(parameters({
      seed: { kind: 'values', values: [1, 2] },
      learning_rate: { kind: 'distribution', distribution: 'log_uniform_values', min: 1e-5, max: 1e-1 },
      noise_factor: { kind: 'distribution', distribution: 'q_uniform', min: 0.05, max: 0.95, q: 0.1 },
      epochs: { kind: 'distribution', distribution: 'int_uniform', min: 3, max: 7 },
      batch_size: { kind: 'values', values: [64, 64.0, 64] },
      filters: [[16, 32, 64], [32, 64, 128], [16, 32, 64]],
    }));
    expect(space.dimensions).toEqual([
      { name: 'noise_factor', kind: 'integer', min: 0.05, max: 0.95, step: 0.1 },
      { name: 'filters', kind: 'categorical', choices: [[16, 32, 64], [32, 64, 128]] },
      { name: 'epochs', kind: 'integer', min: 3, max: 7, step: 1 },
      { name: 'learning_rate', kind: 'real', min: 1e-5, max: 1e-1, log: true },
      { name: 'seed', kind: 'categorical', choices: [1, 2] },
    ]);
    expect(space.fixed).toEqual({ batch_size: 64 });
  });

  it('fixes a distribution that holds one setting (a single multiple of q)', () => {
    const space = searchSpaceOf(parameters({ noise_factor: { kind: 'distribution', distribution: 'q_uniform', min: 0.25, max: 0.35, q: 0.1 } }));
    expect(space.dimensions).toEqual([]);
    expect(space.fixed.noise_factor).toBe(0.3);
  });
});

describe('toUnit / fromUnit', () => {
  it('maps log reals through the log CDF and rounds back to 4 significant digits', () => {
    expect(toUnit(logLr, 1e-3)).toBeCloseTo(0.5, 12);
    expect(fromUnit(logLr, 0.5)).toBe(0.001);
    const drawn = fromUnit(logLr, 0.123456) as number;
    expect(drawn).toBe(Number(drawn.toPrecision(4)));
    expect(drawn).not.toBe(Math.exp(Math.log(1e-5) + 0.123456 * Math.log(1e4)));
    for (const u of [0, 0.1, 0.37, 0.999, 1]) {
      const v = fromUnit(logLr, u);
      expect(fromUnit(logLr, toUnit(logLr, v))).toBe(v);
    }
    expect([fromUnit(logLr, 0), fromUnit(logLr, 1)]).toEqual([1e-5, 1e-1]);
  });

  it('maps linear reals linearly and clamps out-of-range input', () => {
    expect(toUnit(noise, 0.5)).toBe(0.25);
    expect(fromUnit(noise, 0.33333333)).toBe(0.6667);
    expect([toUnit(noise, -1), toUnit(noise, 5), fromUnit(noise, 2)]).toEqual([0, 1, 2]);
  });

  it('puts integers at their cell centres and round-trips every one', () => {
    expect([3, 4, 5, 6, 7].map((k) => toUnit(epochs, k))).toEqual([0.1, 0.3, 0.5, 0.7, 0.9]);
    expect([0, 0.19, 0.2, 0.99, 1].map((u) => fromUnit(epochs, u))).toEqual([3, 3, 4, 7, 7]);
    for (const k of [3, 4, 5, 6, 7]) expect(fromUnit(epochs, toUnit(epochs, k))).toBe(k);
  });

  it('yields q_uniform multiples rounded to 12 significant digits (0.3, not 0.30000000000000004)', () => {
    const settings = Array.from({ length: 9 }, (_, i) => fromUnit(tenths, (i + 0.5) / 9));
    expect(settings).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(toUnit(tenths, 0.3)).toBeCloseTo(2.5 / 9, 12);
    for (const v of settings) expect(fromUnit(tenths, toUnit(tenths, v))).toBe(v);
  });

  it('maps categorical choices, filters lists included, to (index + 0.5) / n and back as copies', () => {
    expect(toUnit(filters, [32, 64, 128])).toBeCloseTo(0.5, 12);
    const back = fromUnit(filters, toUnit(filters, [32, 64, 128]));
    expect(back).toEqual([32, 64, 128]);
    expect(back).not.toBe((filters as { choices: unknown[] }).choices[1]);
    expect(() => toUnit(filters, [1, 2])).toThrow(RangeError);
  });
});

describe('paramsOf, configKey, spaceSize, unitPointOf', () => {
  const space = searchSpaceOf(parameters({
    filters: [[16, 32, 64], [32, 64, 128]],
    epochs: { kind: 'distribution', distribution: 'int_uniform', min: 1, max: 3 },
  }));

  it('fills settings into full trial params with the fixed ones, copying arrays', () => {
    const chosen = [32, 64, 128];
    const params = paramsOf(space, [chosen, 2]);
    expect(params).toEqual({ ...DEFAULT_TRIAL_PARAMS, filters: [32, 64, 128], epochs: 2 });
    expect(params.filters).not.toBe(chosen);
    expect(() => paramsOf(space, [chosen])).toThrow(/2 dimensions/);
  });

  it('keys configurations by content, whatever the key order', () => {
    const a = paramsOf(space, [[8], 1]);
    const b = { seed: a.seed, epochs: 1, filters: [8], noise_factor: a.noise_factor, learning_rate: a.learning_rate, batch_size: a.batch_size };
    expect(configKey(b)).toBe(configKey(a));
    expect(configKey(paramsOf(space, [[8], 2]))).not.toBe(configKey(a));
  });

  it('counts configurations, Infinity with a real dimension', () => {
    expect(spaceSize(space)).toBe(6);
    expect(spaceSize({ dimensions: [epochs, tenths], fixed: {} })).toBe(45);
    expect(spaceSize({ dimensions: [epochs, noise], fixed: {} })).toBe(Infinity);
    expect(spaceSize({ dimensions: [{ name: 'seed', kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, step: 1 }], fixed: {} }))
      .toBe(Number.MAX_SAFE_INTEGER + 1);
  });

  it('places params in the unit cube, or nowhere when a setting lies outside the space', () => {
    expect(unitPointOf(space, paramsOf(space, [[16, 32, 64], 3]))).toEqual([0.25, 5 / 6]);
    expect(unitPointOf(space, { ...paramsOf(space, [[16, 32, 64], 3]), epochs: 4 })).toBeUndefined();
    expect(unitPointOf(space, { ...paramsOf(space, [[16, 32, 64], 3]), filters: [4] })).toBeUndefined();
  });
});
