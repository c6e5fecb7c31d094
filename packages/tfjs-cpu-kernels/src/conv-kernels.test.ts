import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unregisterFastCpuKernels } from './register.js';
import { expectSameOnBothTiers, rand, registerTier, TEST_TIERS, values } from './testing/compare.js';

/**
 * [size, inC, outC]: every conv of the default net, then odd ones (deep nets, width 1, odd
 * sizes), and convolutions to one channel over the widths the native tier has its own loops for.
 */
const SHAPES: [number, number, number][] = [
  [28, 1, 32], [14, 32, 64], [7, 64, 128], [4, 128, 128], [8, 128, 64], [16, 64, 32], [28, 32, 1],
  [1, 16, 8], [2, 8, 16], [1, 1, 1], [5, 1, 1], [7, 3, 5], [3, 5, 7], [32, 2, 3],
  [9, 16, 1], [2, 32, 1], [6, 64, 1], [5, 8, 1], [7, 40, 1],
];
const BATCH = 2;

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  unregisterFastCpuKernels();
});

describe.each(TEST_TIERS)('%s tier', (tier) => {
  beforeAll(() => registerTier(tier));

  describe.each(SHAPES)('conv %i px, %i -> %i channels', (size, inC, outC) => {
    const seed = size * 1000 + inC * 10 + outC;
    const x = () => rand([BATCH, size, size, inC], seed);
    const w = () => rand([3, 3, inC, outC], seed + 1);

    it('Conv2D matches stock', () => {
      expectSameOnBothTiers(() => tf.conv2d(x() as tf.Tensor4D, w() as tf.Tensor4D, 1, 'same'));
    });

    it('FusedConv2D with bias and relu / sigmoid / linear matches stock', () => {
      const b = () => rand([outC], seed + 2) as tf.Tensor1D;
      for (const activation of ['relu', 'sigmoid', 'linear', 'elu', 'relu6', 'leakyrelu'] as const) {
        expectSameOnBothTiers(() =>
          tf.fused.conv2d({ x: x() as tf.Tensor4D, filter: w() as tf.Tensor4D, strides: 1, pad: 'same', bias: b(), activation, leakyreluAlpha: 0.1 }),
        );
      }
    });

    it('Conv2DBackpropInput and Conv2DBackpropFilter match stock', () => {
      const dy = () => rand([BATCH, size, size, outC], seed + 3);
      expectSameOnBothTiers(() => {
        const upstream = dy();
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same').mul(upstream).sum();
        return tf.grads(f)([x(), w()]);
      });
    });
  });

  describe('convolutions beyond 3x3 same', () => {
    it.each([4, 32])('valid padding, 5x5 and 2x2 filters, explicit padding match stock (%i input channels)', (inC) => {
      const x = () => rand([3, 9, 8, inC], 7) as tf.Tensor4D;
      const cases: [number, number, 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]]][] = [
        [3, 3, 'valid'], [5, 5, 'same'], [2, 2, 'same'], [1, 1, 'same'], [3, 2, [[0, 0], [2, 0], [1, 3], [0, 0]]],
      ];
      // 6 output channels take the GEMM path, 2 the direct one; on the native tier one output
      // channel takes the addon's own loops (vector loops for 16 and 32 input channels).
      for (const outC of [6, 2, 1]) {
        for (const [fh, fw, pad] of cases) {
          const w = () => rand([fh, fw, inC, outC], fh * 10 + fw) as tf.Tensor4D;
          expectSameOnBothTiers(() => tf.conv2d(x(), w(), 1, pad));
          expectSameOnBothTiers(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad).square().sum())([x(), w()]));
        }
      }
    });

    it('falls back to stock for strides, dilations, NCHW, prelu', () => {
      const x = () => rand([2, 8, 8, 3], 11) as tf.Tensor4D;
      const w = () => rand([3, 3, 3, 4], 12) as tf.Tensor4D;
      expectSameOnBothTiers(() => tf.conv2d(x(), w(), 2, 'same'));
      expectSameOnBothTiers(() => tf.conv2d(x(), w(), 1, 'same', 'NHWC', 2));
      expectSameOnBothTiers(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [2, 1], 'valid').sum())([x(), w()]));
      expectSameOnBothTiers(() =>
        tf.fused.conv2d({ x: x(), filter: w(), strides: 1, pad: 'same', activation: 'prelu', preluActivationWeights: rand([4], 13) }),
      );
      // Bias of another shape, leakyrelu without alpha (stock: NaN).
      expectSameOnBothTiers(() => tf.fused.conv2d({ x: x(), filter: w(), strides: 1, pad: 'same', bias: rand([8, 8, 4], 14) }));
      expectSameOnBothTiers(() => tf.fused.conv2d({ x: x(), filter: w(), strides: 1, pad: 'same', activation: 'leakyrelu' }));
      const nchw = tf.tidy(() => tf.conv2d(x().transpose([0, 3, 1, 2]) as tf.Tensor4D, w(), 1, 'same', 'NCHW').shape);
      expect(nchw).toEqual([2, 4, 8, 8]);
    });
  });
});

describe.runIf(TEST_TIERS.includes('native'))('native tier only', () => {
  it('gives the same bits on 1 and 2 threads for convolutions to one channel', () => {
    const run = (threads: number, inC: number, outC: number) => {
      const x = () => rand([5, 11, 11, inC], 21) as tf.Tensor4D;
      const w = () => rand([3, 3, inC, outC], 22) as tf.Tensor4D;
      registerTier('native', threads);
      return values(() => [
        tf.fused.conv2d({ x: x(), filter: w(), strides: 1, pad: 'same', bias: rand([outC], 23) as tf.Tensor1D, activation: 'relu' }),
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same').square().sum())([x(), w()]),
      ]);
    };
    for (const [inC, outC] of [[32, 1], [16, 1], [40, 1]] as const) {
      const [one, two] = [run(1, inC, outC), run(2, inC, outC)];
      expect(two).toEqual(one);
    }
  });
});
