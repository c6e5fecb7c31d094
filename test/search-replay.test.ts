/**
 * The search benchmark's replay (bench/search-replay.ts) on a small synthetic table whose
 * best configuration is known: the simulation keeps run_cap, never trains a trial past its
 * epochs or after it was stopped, counts a promoted trial's epochs once, and early stopping
 * finds an obvious best configuration with fewer epochs than random search.
 */
import { describe, expect, it } from 'vitest';
import {
  REPLAY_METHODS, epochsToReach, replay, type ConfigCurve, type ReplayMethod, type ReplayRun, type ReplayTable, type SearchSpaceDef,
} from '../bench/search-replay.js';

const EPOCHS = 9;
const space: SearchSpaceDef = {
  noise_factor: 0.5,
  learning_rate: [0.001, 0.002, 0.003, 0.004],
  batch_size: [32, 64, 128],
  filters: [[4, 8]],
  epochs: EPOCHS,
  dataset: { train_limit: 256, test_limit: 32 },
};
// Distinct qualities; parallel curves, so the ranking at epoch 1 is the final ranking.
const LR_SCORE = [0, 2, 5, 1];
const BS_SCORE = [0.3, 0.6, 0];
const rows: ConfigCurve[] = space.learning_rate.flatMap((learning_rate, i) => space.batch_size.map((batch_size, j) => ({
  params: { learning_rate, batch_size, filters: [4, 8] },
  psnr: Array.from({ length: EPOCHS }, (_, e) => 15 + LR_SCORE[i]! + BS_SCORE[j]! + 0.2 * (e + 1)),
})));
const table: ReplayTable = { space, rows };
/** lr 0.003, batch 64, at its last epoch. */
const BEST = 15 + 5 + 0.6 + 0.2 * EPOCHS;
const SEEDS = [0, 1, 2, 3, 4];
const run = (method: ReplayMethod, seed: number, runCap = 8, workers = 4) => replay(table, { method, seed, runCap, workers });

function checkAccounting(r: ReplayRun, runCap: number): void {
  expect(r.trials).toBeLessThanOrEqual(runCap);
  expect(r.trialLog).toHaveLength(r.trials);
  expect(new Set(r.trialLog.map((t) => t.id)).size).toBe(r.trials);
  let sum = 0;
  for (const t of r.trialLog) {
    expect(t.epochsTrained).toBeGreaterThanOrEqual(1);
    expect(t.epochsTrained).toBeLessThanOrEqual(EPOCHS);
    // Segments are contiguous: each picks up where the last one ended, one after the other in time.
    let at = 0;
    let free = 0;
    for (const s of t.segments) {
      expect(s.from).toBe(at);
      expect(s.to).toBeGreaterThan(s.from);
      expect(s.start).toBeGreaterThanOrEqual(free);
      at = s.to;
      free = s.start + (s.to - s.from);
    }
    expect(at).toBe(t.epochsTrained);
    sum += t.epochsTrained;
    if (t.state === 'done') expect(t.epochsTrained).toBe(EPOCHS);
    else expect(t.epochsTrained).toBe(t.cutAt);
  }
  expect(r.epochs).toBe(sum);
  // No worker trains two trials at once: at most `workers` epochs per unit of time.
  expect(r.makespan * 4).toBeGreaterThanOrEqual(r.epochs);
}

describe('search replay', () => {
  it('never starts more than run_cap trials nor trains one past its epochs, with every method', () => {
    // 9: the fewest with which strict asha (factor 3, rungs 1 and 3) is sure to finish a trial.
    for (const method of REPLAY_METHODS) {
      for (const seed of [0, 1]) {
        const r = run(method, seed, 9);
        expect(r.trials, `${method} seed ${seed}`).toBe(9);
        checkAccounting(r, 9);
        expect(r.best).toBeLessThanOrEqual(BEST + 1e-9);
      }
    }
  });

  it('random search trains exactly run_cap * epochs epochs, every trial to the end, 4 at a time', () => {
    for (const seed of SEEDS) {
      const r = run('random', seed);
      expect(r.epochs).toBe(8 * EPOCHS);
      expect(r.counts).toEqual({ done: 8, stopped: 0, paused: 0, promoted: 0 });
      expect(r.makespan).toBe(2 * EPOCHS);
    }
  });

  it('a stopped trial trains no more after the rung that stopped it', () => {
    let stopped = 0;
    for (const method of ['random+hyperband', 'tpe+asha (stop)'] as const) {
      for (const seed of SEEDS) {
        const r = run(method, seed);
        for (const t of r.trialLog.filter((x) => x.state === 'stopped')) {
          stopped += 1;
          expect([1, 3]).toContain(t.cutAt);
          expect(t.epochsTrained).toBe(t.cutAt);
          expect(Math.max(...t.segments.map((s) => s.to))).toBe(t.cutAt);
          expect(t.promoted).toBe(false);
        }
        expect(r.counts.paused).toBe(0);
      }
    }
    expect(stopped).toBeGreaterThan(10);
  });

  it('in pause mode a promoted trial resumes from its rung on a free worker, its epochs counted once', () => {
    let promoted = 0;
    for (const seed of SEEDS) {
      const r = run('tpe+asha (pause)', seed, 12);
      checkAccounting(r, 12);
      for (const t of r.trialLog.filter((x) => x.promoted)) {
        promoted += 1;
        const [first, second] = t.segments;
        expect(t.segments.length).toBeGreaterThanOrEqual(2);
        // Paused at a rung (1 or 3), resumed later from that same epoch, not from 0.
        expect([1, 3]).toContain(first!.to);
        expect(second!.from).toBe(first!.to);
        expect(second!.start).toBeGreaterThanOrEqual(first!.start + first!.to);
      }
      for (const t of r.trialLog.filter((x) => x.state === 'paused')) expect(t.epochsTrained).toBe(t.cutAt);
      expect(r.counts.stopped).toBe(0);
    }
    expect(promoted).toBeGreaterThan(0);
  });

  it('strict pause trains no trial past a rung before three trials reached it, and trains fewer epochs than plain pause', () => {
    let fewer = 0;
    for (const seed of SEEDS) {
      const r = run('tpe+asha (pause, strict)', seed, 12);
      checkAccounting(r, 12);
      // The first stretch of training past epoch 1 began after at least 3 trials had ended epoch 1.
      const reachedRung1 = r.trialLog.map((t) => t.segments[0]!.start + 1).sort((a, b) => a - b);
      const firstPast1 = Math.min(...r.trialLog.flatMap((t) => t.segments.filter((g) => g.to > 1).map((g) => (g.from >= 1 ? g.start : g.start + 1))));
      expect(firstPast1).toBeGreaterThanOrEqual(reachedRung1[2]!);
      // At least floor(floor(12 / 3) / 3) = 1 finishes; a late arrival that ranks first passes too.
      expect(r.counts.done).toBeGreaterThanOrEqual(1);
      if (r.epochs < run('tpe+asha (pause)', seed, 12).epochs) fewer += 1;
    }
    expect(fewer).toBe(SEEDS.length);
  });

  it('hyperband reaches the obvious best configuration with fewer epochs than random search', () => {
    let random = 0;
    let hyperband = 0;
    for (const seed of SEEDS) {
      // run_cap 12: both try every configuration, in the same order (same sweep, same seed).
      const r = run('random', seed, 12);
      const h = run('random+hyperband', seed, 12);
      expect(h.trialLog.map((t) => t.id)).toEqual(r.trialLog.map((t) => t.id));
      expect(r.best).toBeCloseTo(BEST, 9);
      expect(h.best).toBeCloseTo(BEST, 9);
      const re = epochsToReach(r, BEST)!;
      const he = epochsToReach(h, BEST)!;
      expect(he).toBeLessThanOrEqual(re);
      expect(h.epochs).toBeLessThan(r.epochs);
      random += re;
      hyperband += he;
    }
    expect(hyperband).toBeLessThan(random);
  });

  it('is deterministic, and reports "never" for a PSNR it did not reach', () => {
    const a = run('tpe+asha (pause)', 3);
    expect(run('tpe+asha (pause)', 3)).toEqual(a);
    expect(run('bayes', 2)).toEqual(run('bayes', 2));
    expect(epochsToReach(a, BEST + 1)).toBeNull();
  });
});
