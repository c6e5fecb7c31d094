import { describe, expect, it } from 'vitest';
import { bestCheckpoint, bestEpoch } from './checkpoint-retention.js';
import type { EpochRecord } from '@denoise-sweep/shared';

const epoch = (n: number, valLoss: number, psnr: number, ssim: number): EpochRecord => ({
  epoch: n, train_loss: valLoss, val_loss: valLoss, psnr, ssim, noisy_psnr: 10, train_seconds: 1, eval_seconds: 1, images_per_sec: 1,
});

const history = [
  epoch(1, 0.05, 18, 0.5),
  epoch(2, 0.03, 21, 0.7),
  epoch(3, 0.04, 22, 0.6),
  epoch(4, 0.035, 20, 0.7),
];

describe('bestEpoch', () => {
  it('reads each sweep metric from its EpochRecord field and follows the goal', () => {
    expect(bestEpoch(history, { name: 'val_loss', goal: 'minimize' })).toBe(2);
    expect(bestEpoch(history, { name: 'val_loss', goal: 'maximize' })).toBe(1);
    expect(bestEpoch(history, { name: 'psnr', goal: 'maximize' })).toBe(3);
    expect(bestEpoch(history, { name: 'psnr', goal: 'minimize' })).toBe(1);
    expect(bestEpoch(history, { name: 'ssim', goal: 'maximize' })).toBe(2);
  });

  it('gives a tie to the earlier epoch', () => {
    expect(bestEpoch([epoch(1, 0.2, 1, 1), epoch(2, 0.1, 1, 1), epoch(3, 0.1, 1, 1)], { name: 'val_loss', goal: 'minimize' })).toBe(2);
    expect(bestEpoch(history, { name: 'ssim', goal: 'maximize' })).toBe(2); // epochs 2 and 4 both 0.7
  });

  it('never picks NaN, and has no best without a number', () => {
    expect(bestEpoch([epoch(1, Number.NaN, 1, 1), epoch(2, 0.3, 1, 1)], { name: 'val_loss', goal: 'minimize' })).toBe(2);
    expect(bestEpoch([epoch(1, 0.3, 1, 1), epoch(2, Number.NaN, 1, 1)], { name: 'val_loss', goal: 'maximize' })).toBe(1);
    expect(bestEpoch([epoch(1, Number.NaN, 1, 1)], { name: 'val_loss', goal: 'minimize' })).toBeUndefined();
    expect(bestEpoch([], { name: 'psnr', goal: 'maximize' })).toBeUndefined();
  });

  it('names the epoch checkpoint', () => {
    expect(bestCheckpoint(history, { name: 'psnr', goal: 'maximize' })).toBe('epoch-0003');
    expect(bestCheckpoint([], { name: 'psnr', goal: 'maximize' })).toBeUndefined();
  });
});
