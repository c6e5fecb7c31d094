import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFastCpuKernels, unregisterFastCpuKernels } from './register.js';
import { trainLosses } from './testing/autoencoder.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  unregisterFastCpuKernels();
});

/** Losses with stock kernels, except the fixed ResizeNearestNeighborGrad (stock is wrong). */
function referenceLosses(run: () => number[]): number[] {
  unregisterFastCpuKernels();
  registerFastCpuKernels({ kernels: ['ResizeNearestNeighborGrad'] });
  try {
    return run();
  } finally {
    unregisterFastCpuKernels();
  }
}

function fastLosses(run: () => number[]): number[] {
  registerFastCpuKernels();
  try {
    return run();
  } finally {
    unregisterFastCpuKernels();
  }
}

describe('training a small autoencoder', () => {
  const cases: [string, readonly number[], () => tf.Optimizer][] = [
    ['SGD, filters [4, 8]', [4, 8], () => tf.train.sgd(0.5)],
    ['Adam, filters [4, 8]', [4, 8], () => tf.train.adam(0.01)],
    ['Adam, filters [2, 3, 4, 5, 6] (maps down to 1x1)', [2, 3, 4, 5, 6], () => tf.train.adam(0.01)],
  ];
  it.each(cases)('%s: same loss trajectory with stock and fast kernels', (_name, filters, optimizer) => {
    const run = () => trainLosses(filters, optimizer, 4, 3);
    const stock = referenceLosses(run);
    const fast = fastLosses(run);
    expect(fast).toHaveLength(stock.length);
    fast.forEach((loss, i) => expect(loss).toBeCloseTo(stock[i]!, 5));
    expect(stock[stock.length - 1]).toBeLessThan(stock[0]!);
  });

  it('leaks no tensors over training steps with the fast kernels', () => {
    registerFastCpuKernels();
    try {
      trainLosses([4, 8], () => tf.train.adam(0.01), 1, 2);
      const before = tf.memory().numTensors;
      trainLosses([4, 8], () => tf.train.adam(0.01), 3, 2);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      unregisterFastCpuKernels();
    }
  });
});
