import { UsageError } from '@denoise-sweep/shared';
import { describe, expect, it } from 'vitest';
import { faultPlan } from './fault-injection.js';
import { failureKindOf, TrainingDivergedError } from './training-failure.js';

const batch = { epoch: 1, batch: 1, batches: 4, loss: 0.1, size: 8, seconds: 0.01 };

describe('faultPlan', () => {
  it('injects nothing when the variable is empty', async () => {
    expect(faultPlan('').afterBatch('abc', batch)).toBeUndefined();
    expect(faultPlan(undefined).afterBatch('abc', batch)).toBeUndefined();
  });

  it('makes only the named trial diverge, as an unrecoverable failure', () => {
    const plan = faultPlan('nan-loss:0123456789ab');
    expect(plan.afterBatch('ba9876543210', batch)).toBeUndefined();
    let thrown: unknown;
    try {
      void plan.afterBatch('0123456789ab', batch);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TrainingDivergedError);
    expect(failureKindOf(thrown)).toBe('unrecoverable');
  });

  it('delays every batch by the largest batch-delay given', async () => {
    const plan = faultPlan('batch-delay:5, batch-delay:30');
    const started = performance.now();
    await plan.afterBatch('abc', batch);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('rejects an unknown fault with a usage error that lists the known ones', () => {
    expect(() => faultPlan('nan-loss:abc,slow')).toThrow(UsageError);
    expect(() => faultPlan('slow')).toThrow(/unknown fault 'slow' \(known: nan-loss:<trial id>, batch-delay:<ms>\)/);
  });
});

describe('failureKindOf', () => {
  it('retries anything that is not an invalid config or a diverged loss', () => {
    expect(failureKindOf(new Error('connect ECONNREFUSED'))).toBe('retryable');
    expect(failureKindOf(new Error('training diverged: but only in words'))).toBe('retryable');
    expect(failureKindOf(new TrainingDivergedError('loss is NaN'))).toBe('unrecoverable');
  });
});
