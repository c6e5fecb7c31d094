import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unregisterFastCpuKernels } from './register.js';
import { nearestSourceIndex } from './resize-kernels.js';
import { expectClose, expectSameOnBothTiers, rand, registerTier, TEST_TIERS, values } from './testing/compare.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  unregisterFastCpuKernels();
});

/** Gradient of `sum(resize(x) * weights)` wrt x, i.e. ResizeNearestNeighborGrad(weights). */
function resizeGradient(x: tf.Tensor4D, size: [number, number], weights: tf.Tensor, alignCorners: boolean, halfPixelCenters: boolean) {
  return tf.grad((t: tf.Tensor) => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, size, alignCorners, halfPixelCenters).mul(weights).sum())(x);
}

/** Brute force: the gradient is the forward's adjoint, so push each dy pixel to its source. */
function referenceGradient(shape: number[], size: [number, number], dy: Float32Array, alignCorners: boolean, halfPixelCenters: boolean) {
  const [n, h, w, c] = shape as [number, number, number, number];
  const dx = new Float64Array(n * h * w * c);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < size[0]; r++) {
      for (let col = 0; col < size[1]; col++) {
        // Forward formula written out independently of nearestSourceIndex.
        const eh = alignCorners && size[0] > 1 ? (h - 1) / (size[0] - 1) : h / size[0];
        const ew = alignCorners && size[1] > 1 ? (w - 1) / (size[1] - 1) : w / size[1];
        const fr = halfPixelCenters ? eh * (r + 0.5) : eh * r;
        const fc = halfPixelCenters ? ew * (col + 0.5) : ew * col;
        const sr = Math.max(0, Math.min(h - 1, alignCorners ? Math.round(fr) : Math.floor(fr)));
        const sc = Math.max(0, Math.min(w - 1, alignCorners ? Math.round(fc) : Math.floor(fc)));
        for (let ch = 0; ch < c; ch++) {
          dx[((b * h + sr) * w + sc) * c + ch]! += dy[((b * size[0] + r) * size[1] + col) * c + ch]!;
        }
      }
    }
  }
  return dx;
}

describe.each(TEST_TIERS)('%s tier', (tier) => {
  beforeAll(() => registerTier(tier));

  describe('ResizeNearestNeighborGrad', () => {
    it('gives the true gradient for batch 2 (stock tfjs 4.22 reads the wrong batch offset)', () => {
      const run = () => values(() => {
        const x = tf.zeros([2, 2, 2, 1]) as tf.Tensor4D;
        const weights = tf.range(0, 32).reshape([2, 4, 4, 1]);
        return resizeGradient(x, [4, 4], weights, false, false);
      })[0]!;
      expect(Array.from(run())).toEqual([10, 18, 42, 50, 74, 82, 106, 114]);
      unregisterFastCpuKernels();
      try {
        expect(Array.from(run())).toEqual([10, 18, 42, 50, 26, 34, 58, 66]);
      } finally {
        registerTier(tier);
      }
    });

    it('also through the UpSampling2D layer', () => {
      const layer = tf.layers.upSampling2d({ size: [2, 2] });
      const g = values(() => tf.grad((t: tf.Tensor) => (layer.apply(t) as tf.Tensor).mul(tf.range(0, 32).reshape([2, 4, 4, 1])).sum())(tf.zeros([2, 2, 2, 1])))[0]!;
      expect(Array.from(g)).toEqual([10, 18, 42, 50, 74, 82, 106, 114]);
    });

    const cases: [[number, number, number, number], [number, number], boolean, boolean][] = [
      [[3, 4, 4, 32], [8, 8], false, false],
      [[2, 7, 7, 64], [14, 14], false, false],
      [[2, 1, 1, 3], [2, 2], false, false],
      [[2, 5, 3, 2], [7, 11], false, false],
      [[3, 6, 5, 1], [4, 3], false, false],
      [[2, 5, 3, 2], [7, 11], true, false],
      [[2, 5, 3, 2], [7, 11], false, true],
      [[2, 6, 5, 3], [3, 2], true, false],
      [[2, 1, 4, 2], [1, 9], true, false],
    ];
    it.each(cases)('matches the brute-force adjoint for %j -> %j (alignCorners %s, halfPixelCenters %s)', (shape, size, ac, hpc) => {
      const seed = shape.reduce((a, b) => a * 7 + b, 0) + size[0] * 3 + size[1];
      const dy = values(() => rand([shape[0]!, size[0], size[1], shape[3]!], seed))[0]!;
      const got = values(() => resizeGradient(tf.zeros(shape) as tf.Tensor4D, size, tf.tensor(dy, [shape[0]!, size[0], size[1], shape[3]!]), ac, hpc))[0]!;
      expectClose(got, referenceGradient(shape, size, dy, ac, hpc), 1e-6);
    });

    it('matches stock where stock is right (batch 1, no halfPixelCenters)', () => {
      expectSameOnBothTiers(() => resizeGradient(tf.zeros([1, 5, 6, 3]) as tf.Tensor4D, [10, 12], rand([1, 10, 12, 3], 3), false, false));
      expectSameOnBothTiers(() => resizeGradient(tf.zeros([1, 5, 6, 3]) as tf.Tensor4D, [9, 4], rand([1, 9, 4, 3], 4), true, false));
    });
  });

  describe('ResizeNearestNeighbor', () => {
    const cases: [[number, number, number, number], [number, number], boolean, boolean][] = [
      [[2, 4, 4, 128], [8, 8], false, false], [[2, 14, 14, 32], [28, 28], false, false], [[3, 1, 1, 2], [2, 2], false, false],
      [[2, 5, 3, 2], [7, 11], true, false], [[2, 5, 3, 2], [7, 11], false, true], [[2, 6, 5, 3], [3, 2], false, true],
    ];
    it.each(cases)('matches stock for %j -> %j (alignCorners %s, halfPixelCenters %s)', (shape, size, ac, hpc) => {
      expectSameOnBothTiers(() => tf.image.resizeNearestNeighbor(rand(shape, 9) as tf.Tensor4D, size, ac, hpc), 0);
    });

    it('falls back to stock for int32 images', () => {
      expectSameOnBothTiers(() => tf.image.resizeNearestNeighbor(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1], 'int32'), [3, 3]), 0);
    });

    it('source index table follows the forward formula', () => {
      expect(Array.from(nearestSourceIndex(2, 4, false, false))).toEqual([0, 0, 1, 1]);
      expect(Array.from(nearestSourceIndex(3, 5, true, false))).toEqual([0, 1, 1, 2, 2]);
    });
  });
});
