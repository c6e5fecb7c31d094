import type { TrialResult } from '@denoise-sweep/shared';
import { describe, expect, it } from 'vitest';
import { trialsToExport } from './sweep-exporter.js';
import type { TrialStatus } from './sweep-state.js';

const done = (id: string, psnr: number, val_loss: number): TrialStatus =>
  ({ id, state: 'done', attempts: 0, result: { trial: id, final: { train_loss: 0, val_loss, psnr, ssim: 0.5, noisy_psnr: 10 } } as TrialResult });
const running = (id: string): TrialStatus => ({ id, state: 'running', attempts: 0 });

describe('trialsToExport', () => {
  const trials = [done('a', 15, 0.03), running('b'), done('c', Number.NaN, Number.NaN), done('d', 17, 0.02), done('e', 17, 0.04), done('f', 12, 0.01)];

  it('keeps the best N finished trials by the sweep metric and goal, ties in sweep order, values that are not numbers last', () => {
    expect(trialsToExport(trials, { name: 'psnr', goal: 'maximize' }, 3).map((t) => t.id)).toEqual(['d', 'e', 'a']);
    expect(trialsToExport(trials, { name: 'val_loss', goal: 'minimize' }, 2).map((t) => t.id)).toEqual(['f', 'd']);
    expect(trialsToExport(trials, { name: 'psnr', goal: 'maximize' }, 100).map((t) => t.id)).toEqual(['d', 'e', 'a', 'f', 'c']);
    expect(trialsToExport(trials, { name: 'psnr', goal: 'maximize' }, 0)).toEqual([]);
  });
});
