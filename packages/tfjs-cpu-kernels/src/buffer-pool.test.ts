import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferPoolStats, POOL_MIN_LENGTH } from './buffer-pool.js';
import { unregisterFastCpuKernels } from './register.js';
import { registerTier, TEST_TIERS } from './testing/compare.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  unregisterFastCpuKernels();
});

/** A large input (pooled sizes) with known values. */
const SHAPE = [4, 32, 32, 16];
const big = (seed: number) => tf.randomUniform(SHAPE, -1, 1, 'float32', seed);

describe.each(TEST_TIERS)('%s tier: output arrays are reused only when nothing else can see them', (tier) => {
  beforeAll(() => registerTier(tier));

  it('a freed output comes back for the next output of its length', () => {
    expect(SHAPE.reduce((a, b) => a * b)).toBeGreaterThanOrEqual(POOL_MIN_LENGTH);
    const x = big(1);
    tf.dispose(tf.relu(x));
    const before = bufferPoolStats();
    for (let i = 0; i < 5; i++) tf.dispose(tf.relu(x));
    const after = bufferPoolStats();
    expect(after.reused - before.reused).toBe(5);
    expect(after.recycled - before.recycled).toBe(5);
    expect(after.allocated).toBe(before.allocated);
    x.dispose();
  });

  it('values read out with dataSync or data() are never overwritten', async () => {
    const x = big(2);
    const y = tf.relu(x);
    const read = y.dataSync();
    const copy = Float32Array.from(read);
    const z = tf.neg(x);
    const asyncRead = await z.data();
    const asyncCopy = Float32Array.from(asyncRead as Float32Array);
    tf.dispose([y, z]);
    for (let i = 0; i < 4; i++) tf.dispose(tf.relu(tf.mul(x, i + 3)));
    expect(read).toEqual(copy);
    expect(asyncRead).toEqual(asyncCopy);
    x.dispose();
  });

  it('a stock view into an output (contiguous slice) outlives the output it came from', () => {
    const x = big(3);
    const y = tf.relu(x);
    // Contiguous along the batch axis: the stock Slice returns a subarray of y's values.
    const view = tf.slice(y, [1, 0, 0, 0], [2, 32, 32, 16]);
    const expected = tf.tidy(() => tf.relu(tf.slice(x, [1, 0, 0, 0], [2, 32, 32, 16])).dataSync().slice());
    y.dispose();
    for (let i = 0; i < 4; i++) tf.dispose(tf.relu(tf.mul(x, -1 - i)));
    expect(view.dataSync()).toEqual(expected);
    tf.dispose([view, x]);
  });

  it('reused arrays start from zero where a kernel accumulates (gradients of pooling and upsampling)', () => {
    const x = big(4) as tf.Tensor4D;
    const grad = () => tf.tidy(() =>
      tf.grad((t: tf.Tensor) => tf.image.resizeNearestNeighbor(tf.maxPool(t as tf.Tensor4D, 2, 2, 'same'), [32, 32]).mul(t).sum())(x).dataSync().slice(),
    );
    const first = grad();
    const reusedBefore = bufferPoolStats().reused;
    const again = grad();
    expect(bufferPoolStats().reused).toBeGreaterThan(reusedBefore);
    expect(again).toEqual(first);
    x.dispose();
  });
});
