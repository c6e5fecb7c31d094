import { describe, expect, it } from 'vitest';
import { SweepSpecError } from './errors.js';
import { expandSweep, searchSpaceSize } from './sweep-expand.js';
import { parseSweepText } from './sweep-parse.js';
import type { SweepSpec } from './sweep-spec.js';
import type { Trial } from './trial.js';
import { trialId } from './trial-id.js';

const parse = (text: string): SweepSpec => parseSweepText(text, 'test.yaml');
const grid = (params: string, extra = ''): Trial[] => expandSweep(parse(`name: g\nmethod: grid\n${extra}parameters:\n${params}`));
const random = (name: string, runCap: number, params: string): Trial[] =>
  expandSweep(parse(`name: ${name}\nmethod: random\nrun_cap: ${runCap}\nparameters:\n${params}`));

describe('expandSweep: grid', () => {
  it('nests parameters in canonical order (noise_factor slowest, seed fastest), values in file order', () => {
    const trials = grid('  seed: {values: [2, 1]}\n  noise_factor: {values: [0.6, 0.3]}\n  filters: {values: [[8], 4]}\n');
    expect(trials.map((t) => [t.params.noise_factor, t.params.filters, t.params.seed])).toEqual([
      [0.6, [8], 2], [0.6, [8], 1], [0.6, [4, 8, 16], 2], [0.6, [4, 8, 16], 1],
      [0.3, [8], 2], [0.3, [8], 1], [0.3, [4, 8, 16], 2], [0.3, [4, 8, 16], 1],
    ]);
  });

  it('gives every trial all six params, the dataset limits and its content id', () => {
    const [trial] = grid('  epochs: {value: 3}\n', 'dataset: {train_limit: 500}\n');
    expect(trial).toEqual({
      id: trialId(
        { noise_factor: 0.5, filters: [32, 64, 128], epochs: 3, batch_size: 256, learning_rate: 0.001, seed: 0 },
        { train_limit: 500, test_limit: 10_000 },
      ),
      params: { noise_factor: 0.5, filters: [32, 64, 128], epochs: 3, batch_size: 256, learning_rate: 0.001, seed: 0 },
      dataset: { train_limit: 500, test_limit: 10_000 },
    });
  });

  it('collapses identical settings, so identical trials appear once', () => {
    const trials = grid('  epochs: {values: [1, 1.0, 2, 1]}\n  filters: {values: [16, [16, 32, 64], [8]]}\n');
    expect(trials.map((t) => [t.params.filters, t.params.epochs])).toEqual([
      [[16, 32, 64], 1], [[16, 32, 64], 2], [[8], 1], [[8], 2],
    ]);
    expect(new Set(trials.map((t) => t.id)).size).toBe(4);
  });

  it('is stable: the same file gives the same ids; adding a value only adds trials', () => {
    const before = grid('  noise_factor: {values: [0.1, 0.2]}\n');
    const after = grid('  noise_factor: {values: [0.1, 0.2, 0.3]}\n');
    expect(grid('  noise_factor: {values: [0.1, 0.2]}\n')).toEqual(before);
    expect(after.slice(0, 2)).toEqual(before);
    expect(after).toHaveLength(3);
  });

  it('with run_cap takes the first run_cap trials in order, even from a huge grid', () => {
    const values = `{values: [${Array.from({ length: 200 }, (_, i) => i + 1).join(', ')}]}`;
    const big = `  epochs: ${values}\n  batch_size: ${values}\n  seed: ${values}\n`;
    const trials = grid(big, 'run_cap: 5\n');
    expect(searchSpaceSize(parse(`name: g\nmethod: grid\nrun_cap: 5\nparameters:\n${big}`))).toBe(8_000_000);
    expect(trials.map((t) => [t.params.epochs, t.params.batch_size, t.params.seed])).toEqual([
      [1, 1, 1], [1, 1, 2], [1, 1, 3], [1, 1, 4], [1, 1, 5],
    ]);
    expect(grid('  seed: {values: [1, 2]}\n', 'run_cap: 100\n')).toHaveLength(2);
  });

  it('refuses more than 10,000 trials without run_cap, also for a hand-built spec', () => {
    const spec = parse('name: g\nmethod: grid\nparameters:\n  seed: {values: [1, 2]}\n');
    const many = Array.from({ length: 10_001 }, (_, i) => i);
    const huge: SweepSpec = { ...spec, parameters: { ...spec.parameters, seed: { kind: 'values', values: many } } };
    expect(() => expandSweep(huge)).toThrow(SweepSpecError);
    expect(() => expandSweep(huge)).toThrow(/parameters: make a grid of 10,001 trials \(seed 10,001\).*add run_cap/);
    expect(expandSweep({ ...huge, run_cap: 10_000 })).toHaveLength(10_000);
  });
});

describe('expandSweep: random', () => {
  const space = '  noise_factor: {distribution: uniform, min: 0, max: 2}\n'
    + '  learning_rate: {distribution: log_uniform_values, min: 0.00001, max: 0.1}\n'
    + '  epochs: {distribution: int_uniform, min: 1, max: 20}\n'
    + '  batch_size: {distribution: q_uniform, min: 16, max: 512, q: 16}\n'
    + '  filters: {values: [8, [16, 32], 16]}\n'
    + '  seed: {values: [1, 2, 3]}\n';

  it('is deterministic: the same name and space give the same trials', () => {
    const a = random('rand', 50, space);
    expect(random('rand', 50, space)).toEqual(a);
    expect(random('Rand!', 50, space)).toEqual(a); // same sweep id, same sampling
    expect(random('other', 50, space)).not.toEqual(a);
  });

  it('samples exactly run_cap distinct trials; a bigger run_cap extends the same sequence', () => {
    const trials = random('rand', 200, space);
    expect(trials).toHaveLength(200);
    expect(new Set(trials.map((t) => t.id)).size).toBe(200);
    expect(random('rand', 20, space)).toEqual(trials.slice(0, 20));
  });

  it('keeps every draw inside its distribution', () => {
    const trials = random('bounds', 500, space);
    for (const { params } of trials) {
      expect(params.noise_factor).toBeGreaterThanOrEqual(0);
      expect(params.noise_factor).toBeLessThanOrEqual(2);
      expect(Number(params.noise_factor.toPrecision(4))).toBe(params.noise_factor);
      expect(params.learning_rate).toBeGreaterThanOrEqual(0.00001);
      expect(params.learning_rate).toBeLessThanOrEqual(0.1);
      expect(Number(params.learning_rate.toPrecision(4))).toBe(params.learning_rate);
      expect(Number.isInteger(params.epochs)).toBe(true);
      expect(params.epochs).toBeGreaterThanOrEqual(1);
      expect(params.epochs).toBeLessThanOrEqual(20);
      expect(params.batch_size % 16).toBe(0);
      expect(params.batch_size).toBeGreaterThanOrEqual(16);
      expect(params.batch_size).toBeLessThanOrEqual(512);
      expect([[8, 16, 32], [16, 32], [16, 32, 64]]).toContainEqual(params.filters);
      expect([1, 2, 3]).toContain(params.seed);
    }
    // int_uniform reaches both ends; log_uniform_values spreads over every decade.
    const epochs = new Set(trials.map((t) => t.params.epochs));
    expect(epochs.has(1) && epochs.has(20)).toBe(true);
    const decades = trials.map((t) => Math.floor(Math.log10(t.params.learning_rate)));
    for (const decade of [-5, -4, -3, -2]) {
      const share = decades.filter((d) => d === decade).length / trials.length;
      expect(share).toBeGreaterThan(0.15);
      expect(share).toBeLessThan(0.35);
    }
  });

  it('q_uniform gives clean multiples of a fractional q', () => {
    const trials = random('q', 11, '  noise_factor: {distribution: q_uniform, min: 0, max: 1, q: 0.1}\n');
    const values = trials.map((t) => t.params.noise_factor).sort((a, b) => a - b);
    expect(values).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  });

  it('can take the whole of a finite space', () => {
    const trials = random('all', 60, '  epochs: {distribution: int_uniform, min: 1, max: 20}\n  seed: {values: [1, 2, 3, 3]}\n');
    expect(new Set(trials.map((t) => `${t.params.epochs}/${t.params.seed}`)).size).toBe(60);
  });

  it('fails clearly when rounding leaves too few distinct values', () => {
    expect(() => random('narrow', 50, '  noise_factor: {distribution: uniform, min: 0.1, max: 0.1002}\n'))
      .toThrow(/run_cap: asks for 50 distinct trials but only 3 were found/);
  });

  it('requires run_cap on a hand-built spec', () => {
    const spec = parse('name: r\nmethod: random\nrun_cap: 1\nparameters: {}\n');
    const { run_cap: _cap, ...noCap } = spec;
    expect(() => expandSweep(noCap)).toThrow(/run_cap: is required with method: random/);
  });
});
