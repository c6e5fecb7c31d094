import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { KernelTimer } from './kernel-timer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('KernelTimer', () => {
  it('counts kernel calls and restores the kernels on stop', () => {
    const conv = tf.getKernel('Conv2D', 'cpu')?.kernelFunc;
    const timer = new KernelTimer();
    timer.start();
    expect(tf.getKernel('Conv2D', 'cpu')?.kernelFunc).not.toBe(conv);
    tf.tidy(() => tf.conv2d(tf.ones([1, 4, 4, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 2]) as tf.Tensor4D, 1, 'same'));
    const conv2d = timer.timings().find((t) => t.kernelName === 'Conv2D');
    expect(conv2d?.calls).toBe(1);
    expect(conv2d?.totalMs).toBeGreaterThanOrEqual(0);
    timer.reset();
    expect(timer.timings()).toEqual([]);
    timer.stop();
    expect(tf.getKernel('Conv2D', 'cpu')?.kernelFunc).toBe(conv);
  });
});
