import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELU_BIAS_GRAD_KERNEL } from './native-kernels.js';
import { unregisterFastCpuKernels } from './register.js';
import { expectSameOnBothTiers, rand, registerTier, TEST_TIERS, values, withStock } from './testing/compare.js';

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

  describe('Relu, Step, Sum, Mean', () => {
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

    it('Mean over leading, trailing, middle, all axes, keepDims, matches stock bit for bit (the loss)', () => {
      const x = () => rand([4, 7, 7, 32], 11);
      for (const axis of [undefined, [0, 1, 2], [3], [2, 3], [1, 2], [-1]]) {
        for (const keepDims of [false, true]) expectSameOnBothTiers(() => tf.mean(x(), axis, keepDims), 0);
      }
      // The loss's mean, bit for bit.
      const loss = () => tf.mean(tf.squaredDifference(rand([16, 28, 28, 1], 12), rand([16, 28, 28, 1], 13)));
      expect(Array.from(values(loss)[0]!)).toEqual(Array.from(withStock(() => values(loss))[0]!));
      for (const axis of [[0, 1, 2], [3]]) {
        const m = () => tf.mean(rand([4, 7, 7, 32], 14), axis);
        expect(Array.from(values(m)[0]!)).toEqual(Array.from(withStock(() => values(m))[0]!));
      }
      expectSameOnBothTiers(() => tf.mean(tf.tensor1d([1, 2, 4], 'int32')), 0);
    });
  });
});

describe.runIf(TEST_TIERS.includes('native'))('native tier only', () => {
  beforeAll(() => registerTier('native'));

  it('the relu-and-bias gradient kernel equals Step, Multiply and Sum bit for bit, NaN and -0 included', () => {
    for (const shape of [[4, 7, 7, 32], [3, 5, 3], [1000, 3], [2, 1]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const y = () => tf.concat([tf.tensor1d([NaN, 0, -0, 1e-30]), rand([n], 21).sub(0.5).flatten()]).slice([0], [n]).reshape(shape);
      const dy = () => rand(shape, 22).sub(0.5);
      const [fusedPre, fusedBias] = values(() => tf.engine().runKernel(RELU_BIAS_GRAD_KERNEL, { dy: dy(), y: y() }, {}) as unknown as tf.Tensor[]);
      const [opsPre, opsBias] = values(() => {
        const pre = tf.mul(dy(), tf.step(y()));
        return [pre, tf.sum(pre, shape.slice(0, -1).map((_, i) => i))];
      });
      expect(Array.from(fusedPre!)).toEqual(Array.from(opsPre!));
      expect(Array.from(fusedBias!)).toEqual(Array.from(opsBias!));
    }
  });
});
