import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { unregisterFastCpuKernels } from './register.js';
import { expectSameOnBothTiers, rand, registerTier, TEST_TIERS } from './testing/compare.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  unregisterFastCpuKernels();
});

describe.each(TEST_TIERS)('%s tier', (tier) => {
  beforeAll(() => registerTier(tier));

  const OPS = [tf.add, tf.sub, tf.mul, tf.div] as const;

  describe('Add, Sub, Multiply, RealDiv', () => {
    const pairs: [number[], number[]][] = [
      [[2, 28, 28, 32], [2, 28, 28, 32]], [[2, 7, 7, 128], [128]], [[128], [2, 7, 7, 128]], [[2, 4, 4, 3], []],
      [[], [2, 4, 4, 3]], [[2, 3, 4], [1, 3, 4]], [[2, 3, 4], [1, 1, 4]], [[1], [5]],
      // broadcasts the fast kernels leave to stock
      [[2, 3, 4], [2, 1, 4]], [[2, 1, 4], [1, 3, 1]], [[3, 1], [1, 4]],
    ];
    it.each(pairs)('%j with %j match stock', (aShape, bShape) => {
      for (const op of OPS) {
        expectSameOnBothTiers(() => op(rand(aShape, 1), rand(bShape, 2).add(3)), 1e-7);
      }
    });

    it('falls back to stock for int32 and mixed dtypes', () => {
      const i = () => tf.tensor1d([1, 2, 3], 'int32');
      expectSameOnBothTiers(() => tf.add(i(), i()).cast('float32'), 0);
      expectSameOnBothTiers(() => tf.mul(i(), tf.tensor1d([0.5, 1, 2])), 0);
    });
  });

  describe('Sqrt, Square, SquaredDifference, Sigmoid (the optimizer\'s and the loss\'s elementwise work)', () => {
    it('match stock, NaN and negative inputs included', () => {
      const x = () => tf.concat([rand([2, 28, 28, 32], 6).flatten(), tf.tensor1d([NaN, 0, -0, -4, Infinity])]);
      expectSameOnBothTiers(() => tf.sqrt(tf.abs(x())), 0);
      expectSameOnBothTiers(() => tf.sqrt(x()), 0);
      expectSameOnBothTiers(() => tf.square(x()), 0);
      expectSameOnBothTiers(() => tf.sigmoid(x()), 1e-7);
      expectSameOnBothTiers(() => tf.squaredDifference(rand([2, 28, 28, 1], 7), rand([2, 28, 28, 1], 8)), 1e-6);
      expectSameOnBothTiers(() => tf.squaredDifference(rand([2, 7, 7, 128], 9), rand([128], 10)), 1e-6);
    });
  });

  describe('Relu, Step, Sum', () => {
    it('Relu and its gradient match stock, NaN included', () => {
      const x = () => tf.concat([rand([2, 14, 14, 64], 3).flatten(), tf.tensor1d([NaN, 0, -0])]);
      expectSameOnBothTiers(() => tf.relu(x()), 0);
      expectSameOnBothTiers(() => tf.grad((t: tf.Tensor) => tf.relu(t).mul(rand([2 * 14 * 14 * 64 + 3], 4)).sum())(x()), 0);
      expectSameOnBothTiers(() => tf.step(x(), 0.3), 0);
    });

    it('Sum over leading, trailing, middle, all axes, keepDims, matches stock', () => {
      const x = () => rand([4, 7, 7, 32], 5);
      for (const axis of [[0, 1, 2], [0], [3], [2, 3], [1, 2], [1], undefined, [-1], [0, 1, 2, 3]]) {
        for (const keepDims of [false, true]) expectSameOnBothTiers(() => tf.sum(x(), axis, keepDims), 1e-6);
      }
      expectSameOnBothTiers(() => tf.sum(tf.tensor1d([1, 2, 3], 'int32')).cast('float32'), 0);
    });
  });
});
