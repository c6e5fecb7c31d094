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

  /** [size, channels]: the net's pooled maps (28, 14, 7 -> 4), then deep-net and odd ones. */
  const SHAPES: [number, number][] = [[28, 32], [14, 64], [7, 128], [4, 128], [2, 256], [1, 8], [5, 1], [9, 3]];

  describe.each(SHAPES)('max pool 2x2 same on %i px, %i channels', (size, channels) => {
    const x = () => rand([2, size, size, channels], size * 31 + channels);

    it('MaxPool and MaxPoolGrad match stock', () => {
      expectSameOnBothTiers(() => tf.maxPool(x() as tf.Tensor4D, 2, 2, 'same'), 0);
      expectSameOnBothTiers(() => tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'same').mul(rand([2, Math.ceil(size / 2), Math.ceil(size / 2), channels], 5)).sum())(x()), 0);
    });

    it('ties (relu zeros) send the gradient to the same element as stock', () => {
      const relu = () => tf.relu(tf.round(x().mul(2)));
      expectSameOnBothTiers(() => tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'same').sum())(relu()), 0);
    });
  });

  describe('other windows', () => {
    it('3x3 stride 2 valid, 3x3 stride 1 same, 2x3 stride [1,2], 2x2 stride 2 valid (a row and a column left out), 3x3 stride 3 same, -Infinity windows match stock', () => {
      const x = () => rand([2, 9, 8, 3], 77) as tf.Tensor4D;
      const cases: [[number, number] | number, [number, number] | number, 'same' | 'valid'][] = [
        [3, 2, 'valid'], [3, 1, 'same'], [[2, 3], [1, 2], 'same'], [2, 2, 'valid'], [3, 3, 'same'], [[3, 2], [3, 2], 'valid'],
      ];
      for (const [f, s, pad] of cases) {
        expectSameOnBothTiers(() => tf.maxPool(x(), f, s, pad), 0);
        // Overlapping windows add several dy into one dx, in another order than stock.
        expectSameOnBothTiers(() => tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, f, s, pad).square().sum())(x()), 1e-6);
      }
      const inf = () => tf.fill([1, 4, 4, 2], Number.NEGATIVE_INFINITY) as tf.Tensor4D;
      expectSameOnBothTiers(() => tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'same').sum())(inf()), 0);
    });
  });
});
