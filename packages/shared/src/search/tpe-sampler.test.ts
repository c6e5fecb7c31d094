import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../seeded-random.js';
import type { TrialParams } from '../trial.js';
import type { Observation } from './observation.js';
import { suggestRandom } from './random-sampler.js';
import { configKey, toUnit, type Dimension, type SearchSpace } from './search-space.js';
import { pointsOf, split, suggestTpe, tpeGamma } from './tpe-sampler.js';

const lr: Dimension = { name: 'learning_rate', kind: 'real', min: 1e-5, max: 1e-1, log: true };
const space: SearchSpace = { dimensions: [lr], fixed: { noise_factor: 0.5, filters: [32, 64, 128], epochs: 5, batch_size: 256, seed: 0 } };
const lossOf = (p: TrialParams): number => (Math.log10(p.learning_rate) + 3) ** 2;
const unit = (p: TrialParams | undefined): number => toUnit(lr, (p as TrialParams).learning_rate);

/** n random trials, completed, and the set of their keys. */
function randomHistory(seed: string, n: number): { observations: Observation[]; taken: Set<string> } {
  const observations: Observation[] = [];
  const taken = new Set<string>();
  for (let i = 0; i < n; i++) {
    const params = suggestRandom({ space, observations, rng: new SeededRandom(`${seed}/${i}`), taken }) as TrialParams;
    taken.add(configKey(params));
    observations.push({ params, loss: lossOf(params), state: 'completed' });
  }
  return { observations, taken };
}

describe('suggestTpe', () => {
  it('ranks trials cut early after every finished one, those that got further first (Optuna\'s pruned trials)', () => {
    const { observations } = randomHistory('pruned', 12);
    // The best loss of all, but cut at epoch 1: it must not lead the "below" group.
    const cut: Observation[] = observations.map((o, i) => (i < 2 ? { ...o, loss: -1 - i, prunedAt: 1 + i } : o));
    const { completed, pending } = pointsOf(space, cut);
    const { below, above } = split(completed, pending);
    expect(below).toHaveLength(tpeGamma(12));
    expect(below.every((p) => p.prunedAt === undefined)).toBe(true);
    expect(above.filter((p) => p.prunedAt !== undefined).map((p) => p.index)).toEqual([0, 1]);
    // With every trial cut, the one that got further ranks first whatever its loss.
    const allCut = observations.map((o, i) => ({ ...o, prunedAt: i === 5 ? 3 : 1 }));
    const ranked = split(pointsOf(space, allCut).completed, []);
    expect(ranked.below.map((p) => p.index)).toContain(5);
  });

  it('counts a running trial past a rung with its value there, like one paused at that rung; one short of its first rung stays a liar', () => {
    const { observations } = randomHistory('running', 12);
    const asRunning: Observation[] = observations.map((o, i) => (i === 3 ? { ...o, state: 'pending', prunedAt: 2 } : i === 4 ? { params: o.params, state: 'pending' } : o));
    const asPaused: Observation[] = observations.map((o, i) => (i === 3 ? { ...o, prunedAt: 2 } : i === 4 ? { params: o.params, state: 'pending' } : o));
    const running = pointsOf(space, asRunning);
    expect(running).toEqual(pointsOf(space, asPaused));
    expect(running.completed.find((p) => p.index === 3)).toMatchObject({ loss: observations[3]!.loss, prunedAt: 2 });
    expect(running.pending.map((p) => p.index)).toEqual([4]);
    expect(running.pending[0]!.loss).toBe(Infinity);
    // Without the rung (a value but no epoch, or no value) a pending trial is a liar, as in Optuna.
    const noRung = pointsOf(space, observations.map((o, i) => (i === 3 ? { ...o, state: 'pending' } : o)));
    expect(noRung.pending.map((p) => p.index)).toEqual([3]);
  });

  it('splits off the best ceil(10%) of trials, at most 25', () => {
    expect([10, 11, 20, 21, 250, 251, 1000].map(tpeGamma)).toEqual([1, 2, 2, 3, 25, 25, 25]);
  });

  it('searches at random until 10 trials have completed (failed and pending ones do not count)', () => {
    const { observations, taken } = randomHistory('startup', 9);
    const extra: Observation[] = [
      { params: { ...observations[0]!.params, learning_rate: 0.05 }, state: 'failed' },
      { params: { ...observations[0]!.params, learning_rate: 0.06 }, state: 'pending' },
    ];
    const ctx = (obs: Observation[]) => ({ space, observations: obs, rng: new SeededRandom('next'), taken });
    const random = suggestRandom(ctx(observations));
    expect(suggestTpe(ctx([...observations, ...extra]))).toEqual(random);
    const ten = randomHistory('startup', 10);
    expect(suggestTpe({ ...ctx(ten.observations), taken: ten.taken })).not.toEqual(suggestRandom({ ...ctx(ten.observations), taken: ten.taken }));
  });

  it('ignores failed trials once the model runs', () => {
    const { observations, taken } = randomHistory('failed', 12);
    const failed: Observation = { params: { ...observations[0]!.params, learning_rate: 0.0011 }, state: 'failed' };
    const ctx = (obs: Observation[]) => ({ space, observations: obs, rng: new SeededRandom('next'), taken });
    expect(suggestTpe(ctx([...observations, failed]))).toEqual(suggestTpe(ctx(observations)));
  });

  it('moves away from a pending trial (constant liar), never towards it', () => {
    const moved: number[] = [];
    for (let seed = 0; seed < 5; seed++) {
      const { observations, taken } = randomHistory(`liar/${seed}`, 12);
      const rng = () => new SeededRandom(`liar/${seed}/next`);
      const first = suggestTpe({ space, observations, rng: rng(), taken }) as TrialParams;
      const takenToo = new Set([...taken, configKey(first)]);
      const plain = suggestTpe({ space, observations, rng: rng(), taken: takenToo });
      const liar = suggestTpe({ space, observations: [...observations, { params: first, state: 'pending' }], rng: rng(), taken: takenToo });
      const plainGap = Math.abs(unit(plain) - unit(first));
      const liarGap = Math.abs(unit(liar) - unit(first));
      expect(liarGap).toBeGreaterThanOrEqual(plainGap);
      moved.push(liarGap - plainGap);
    }
    expect(moved.filter((d) => d > 0).length).toBeGreaterThanOrEqual(2);
  });

  it('prefers the categories of the best trials on a categorical-only space', () => {
    const cats: SearchSpace = {
      dimensions: [{ name: 'seed', kind: 'categorical', choices: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }, { name: 'epochs', kind: 'categorical', choices: [1, 2] }],
      fixed: { noise_factor: 0.5, filters: [8], batch_size: 256, learning_rate: 0.001 },
    };
    const observations: Observation[] = [];
    const taken = new Set<string>();
    // Seeds 0..9 with one epoch each: seed 3 is by far the best.
    for (let s = 0; s < 10; s++) {
      const params = { noise_factor: 0.5, filters: [8], batch_size: 256, learning_rate: 0.001, seed: s, epochs: 1 };
      taken.add(configKey(params));
      observations.push({ params, loss: s === 3 ? 0 : 10 + s, state: 'completed' });
    }
    const picks = ['a', 'b', 'c', 'd', 'e'].map((seed) => suggestTpe({ space: cats, observations, rng: new SeededRandom(seed), taken }));
    expect(picks.filter((p) => p?.seed === 3).length).toBeGreaterThanOrEqual(4);
  });
});
