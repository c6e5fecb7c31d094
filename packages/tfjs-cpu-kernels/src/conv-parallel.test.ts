// Helper threads load dist/conv-worker.js: run `npx tsc -b` before these tests.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convThreads } from './conv-parallel.js';
import { registerFastCpuKernels, unregisterFastCpuKernels } from './register.js';
import { trainLosses } from './testing/autoencoder.js';
import { expectSameOnBothTiers, rand, withStock } from './testing/compare.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerFastCpuKernels({ threads: 2, native: 'off' });
});
afterAll(() => {
  unregisterFastCpuKernels();
});

/** [batch, size, inC, outC]: large enough to be split across threads, odd pixel counts. */
const SHAPES: [number, number, number, number][] = [[3, 14, 32, 64], [3, 7, 64, 128], [2, 16, 64, 32], [5, 9, 17, 12]];

describe.each(SHAPES)('with 2 threads: batch %i, %i px, %i -> %i channels', (batch, size, inC, outC) => {
  it('Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter match stock', () => {
    expect(convThreads()).toBe(2);
    const x = () => rand([batch, size, size, inC], size + inC);
    const w = () => rand([3, 3, inC, outC], outC);
    const dy = () => rand([batch, size, size, outC], 3);
    expectSameOnBothTiers(() => tf.conv2d(x() as tf.Tensor4D, w() as tf.Tensor4D, 1, 'same'));
    expectSameOnBothTiers(() => {
      const upstream = dy();
      return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same').mul(upstream).sum())([x(), w()]);
    });
  });
});

describe('training with 2 threads', () => {
  it('gives the loss trajectory of the stock kernels (with the fixed resize gradient)', () => {
    // Big enough that the 8x8 and 4x4 convolutions are split across the threads.
    const run = () => trainLosses([32, 64], () => tf.train.adam(0.01), 3, 8, 16);
    const fast = run();
    const stock = withStock(() => {
      registerFastCpuKernels({ kernels: ['ResizeNearestNeighborGrad'], native: 'off' });
      return run();
    });
    expect(convThreads()).toBe(2);
    fast.forEach((loss, i) => expect(loss).toBeCloseTo(stock[i]!, 5));
  });
});

describe('a helper thread that dies', () => {
  it('fails the job after the timeout instead of blocking the caller forever; a new pool works', async () => {
    const { ConvThreadPool } = await import('./conv-thread-pool.js');
    const { convForward } = await import('./conv-core.js');
    const g = { batch: 2, inH: 8, inW: 8, inC: 4, outH: 8, outW: 8, outC: 8, fh: 3, fw: 3, padTop: 1, padLeft: 1 };
    const x = Float32Array.from({ length: 2 * 8 * 8 * 4 }, (_, i) => Math.sin(i));
    const w = Float32Array.from({ length: 3 * 3 * 4 * 8 }, (_, i) => Math.cos(i));
    const expected = new Float32Array(2 * 8 * 8 * 8);
    convForward(x, w, g, expected);
    const jobs = (p: InstanceType<typeof ConvThreadPool>) => {
      const a = p.share('a', x);
      const b = p.share('b', w);
      const out = p.sharedArray('out', expected.length);
      return { out, jobs: [{ op: 'forward' as const, g, a, b, out, mStart: 0, mEnd: 64 }, { op: 'forward' as const, g, a, b, out, mStart: 64, mEnd: 128 }] };
    };
    const pool = new ConvThreadPool(2);
    pool.jobTimeoutMs = 500;
    await pool.killHelperForTest(0);
    expect(() => pool.run(jobs(pool).jobs)).toThrow(/did not finish within 500 ms: it may have died/);
    expect(pool.broken).toBe(true);
    expect(() => pool.run(jobs(pool).jobs)).toThrow(/broken/);
    await pool.terminate();

    const fresh = new ConvThreadPool(2);
    const run = jobs(fresh);
    fresh.run(run.jobs);
    expect(Array.from(run.out)).toEqual(Array.from(expected));
    await fresh.terminate();
  });
});
