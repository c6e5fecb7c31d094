import type { TrialResult } from '@denoise-sweep/shared';
import { describe, expect, it } from 'vitest';
import { bestResult } from './model-export.js';

const result = (trial: string, val_loss: number, psnr: number) => ({ trial, final: { train_loss: 0, val_loss, psnr, ssim: 0.5, noisy_psnr: 10 } }) as TrialResult;

describe('bestResult', () => {
  const results = [result('a', 0.03, 15), result('b', 0.02, 14), result('c', Number.NaN, 20), result('d', 0.02, 16)];

  it('follows the sweep metric and goal, skips values that are not numbers, and keeps the first of a tie', () => {
    expect(bestResult(results, { name: 'val_loss', goal: 'minimize' })?.trial).toBe('b');
    expect(bestResult(results, { name: 'psnr', goal: 'maximize' })?.trial).toBe('c');
    expect(bestResult([results[2]!], { name: 'val_loss', goal: 'minimize' })).toBeUndefined();
    expect(bestResult([], { name: 'psnr', goal: 'maximize' })).toBeUndefined();
  });
});
