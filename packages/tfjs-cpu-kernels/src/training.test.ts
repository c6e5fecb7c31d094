import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFastCpuKernels, unregisterFastCpuKernels } from './register.js';
import { buildTestAutoencoder, trainLosses } from './testing/autoencoder.js';
import { expectClose, registerTier, TEST_TIERS, type TestTier } from './testing/compare.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  unregisterFastCpuKernels();
});

/** Losses with stock kernels, except the fixed ResizeNearestNeighborGrad (stock is wrong). */
function withReferenceKernels<T>(run: () => T): T {
  unregisterFastCpuKernels();
  registerFastCpuKernels({ kernels: ['ResizeNearestNeighborGrad'], native: 'off' });
  try {
    return run();
  } finally {
    unregisterFastCpuKernels();
  }
}

function withFastKernels<T>(tier: TestTier, run: () => T): T {
  registerTier(tier);
  try {
    return run();
  } finally {
    unregisterFastCpuKernels();
  }
}

describe.each(TEST_TIERS)('%s tier', (tier) => {
  describe('the default net [32, 64, 128] at batch 2', () => {
    it('has the same loss and weight gradients with stock and fast kernels (every kernel, every shape)', () => {
      const gradients = (): Float32Array[] => {
        const model = buildTestAutoencoder([32, 64, 128], 3);
        const clean = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 21);
        const noisy = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 22);
        const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
        const { value, grads } = tf.variableGrads(
          () => tf.losses.meanSquaredError(clean, model.apply(noisy, { training: true }) as tf.Tensor) as tf.Scalar,
          variables,
        );
        const names = variables.map((v) => v.name);
        const out = [value.dataSync() as Float32Array, ...names.map((n) => grads[n]!.dataSync() as Float32Array)];
        tf.dispose([value, clean, noisy, ...Object.values(grads)]);
        model.dispose();
        return out;
      };
      const stock = withReferenceKernels(gradients);
      const fast = withFastKernels(tier, gradients);
      expect(fast).toHaveLength(stock.length);
      fast.forEach((g, i) => expectClose(g, stock[i]!, 1e-4));
    });
  });

  describe('training a small autoencoder', () => {
    const cases: [string, readonly number[], () => tf.Optimizer][] = [
      ['SGD, filters [4, 8]', [4, 8], () => tf.train.sgd(0.5)],
      ['Adam, filters [4, 8]', [4, 8], () => tf.train.adam(0.01)],
      ['Adam, filters [2, 3, 4, 5, 6] (maps down to 1x1)', [2, 3, 4, 5, 6], () => tf.train.adam(0.01)],
    ];
    it.each(cases)('%s: same loss trajectory with stock and fast kernels', (_name, filters, optimizer) => {
      const run = () => trainLosses(filters, optimizer, 4, 3);
      const stock = withReferenceKernels(run);
      const fast = withFastKernels(tier, run);
      expect(fast).toHaveLength(stock.length);
      fast.forEach((loss, i) => expect(loss).toBeCloseTo(stock[i]!, 5));
      expect(stock[stock.length - 1]).toBeLessThan(stock[0]!);
    });

    it('leaks no tensors over training steps with the fast kernels', () => {
      registerTier(tier);
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
});

describe.runIf(TEST_TIERS.includes('native'))('native tier against the TypeScript tier', () => {
  it('five Adam steps of the default net [32, 64, 128] at batch 16 give the same loss trajectory', () => {
    const run = (tier: TestTier) => withFastKernels(tier, () => {
      const losses = trainLosses([32, 64, 128], () => tf.train.adam(1e-3), 5, 16);
      return losses;
    });
    const typescript = run('typescript');
    const native = run('native');
    expect(native).toHaveLength(5);
    native.forEach((loss, i) => expect(Math.abs(loss - typescript[i]!) / typescript[i]!).toBeLessThan(1e-4));
    expect(native[4]).toBeLessThan(native[0]!);
  });
});
