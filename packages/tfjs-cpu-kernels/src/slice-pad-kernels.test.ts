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

  describe('Slice and its PadV2 gradient', () => {
    it('crop 32 -> 28 (2 px a side) of the net, forward and gradient, match stock', () => {
      const crop = tf.layers.cropping2D({ cropping: [[2, 2], [2, 2]] });
      expectSameOnBothTiers(() => crop.apply(rand([2, 32, 32, 32], 1)) as tf.Tensor, 0);
      expectSameOnBothTiers(() => tf.grad((t: tf.Tensor) => (crop.apply(t) as tf.Tensor).mul(rand([2, 28, 28, 32], 2)).sum())(rand([2, 32, 32, 32], 1)), 0);
    });

    it('odd crops and ranks 1..5 match stock', () => {
      expectSameOnBothTiers(() => tf.slice(rand([3, 8, 7, 5], 3), [1, 1, 2, 0], [2, 6, 4, 5]), 0);
      expectSameOnBothTiers(() => tf.slice(rand([3, 8, 7, 5], 3), [0, 0, 0, 1], [-1, -1, -1, 3]), 0);
      expectSameOnBothTiers(() => tf.slice(rand([10], 4), [3], [5]), 0);
      expectSameOnBothTiers(() => tf.slice(rand([4, 6], 5), [1, 2], [2, 3]), 0);
      expectSameOnBothTiers(() => tf.slice(rand([2, 3, 4, 5, 6], 6), [1, 0, 1, 2, 3], [1, 3, 2, 2, 3]), 0);
      expectSameOnBothTiers(() => tf.slice(rand([2, 40, 3], 7), [0, 1, 0], [2, 38, 3]), 0);
    });

    it('PadV2 with constant values and zero paddings matches stock', () => {
      expectSameOnBothTiers(() => tf.pad(rand([2, 5, 4, 3], 8), [[0, 0], [1, 2], [3, 0], [0, 0]], 1.5), 0);
      expectSameOnBothTiers(() => tf.pad(rand([7], 9), [[2, 5]]), 0);
      expectSameOnBothTiers(() => tf.pad(rand([2, 3], 10), [[0, 0], [0, 0]]), 0);
      expectSameOnBothTiers(() => tf.pad(rand([2, 3, 4, 5, 6], 11), [[1, 0], [0, 1], [2, 2], [0, 0], [1, 1]], -2), 0);
      // The crop's gradient, and an empty input (all fill).
      expectSameOnBothTiers(() => tf.pad(rand([4, 28, 28, 8], 12), [[0, 0], [2, 2], [2, 2], [0, 0]]), 0);
      expectSameOnBothTiers(() => tf.pad(tf.zeros([2, 0, 3]), [[0, 0], [1, 1], [0, 0]], 4), 0);
    });

    it('falls back to stock for int32', () => {
      expectSameOnBothTiers(() => tf.slice(tf.range(0, 24, 1, 'int32').reshape([2, 3, 4]), [0, 1, 1], [2, 2, 2]).cast('float32'), 0);
      expectSameOnBothTiers(() => tf.pad(tf.range(0, 6, 1, 'int32').reshape([2, 3]), [[1, 1], [0, 2]], 7).cast('float32'), 0);
    });
  });
});
