import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  fastCpuKernelNames,
  registerFastCpuKernels,
  registeredFastCpuKernels,
  unregisterFastCpuKernels,
} from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  unregisterFastCpuKernels();
});

describe('registerFastCpuKernels', () => {
  it('replaces every listed cpu kernel, idempotently, and unregister restores the stock ones', () => {
    const stock = new Map(fastCpuKernelNames.map((n) => [n, tf.getKernel(n, 'cpu')?.kernelFunc]));
    expect([...stock.values()].every((f) => typeof f === 'function')).toBe(true);

    const first = registerFastCpuKernels();
    expect(first).toEqual([...fastCpuKernelNames].sort());
    const fast = new Map(fastCpuKernelNames.map((n) => [n, tf.getKernel(n, 'cpu')?.kernelFunc]));
    for (const name of fastCpuKernelNames) expect(fast.get(name)).not.toBe(stock.get(name));

    expect(registerFastCpuKernels()).toEqual(first);
    for (const name of fastCpuKernelNames) expect(tf.getKernel(name, 'cpu')?.kernelFunc).toBe(fast.get(name));

    expect(unregisterFastCpuKernels()).toEqual(first);
    for (const name of fastCpuKernelNames) expect(tf.getKernel(name, 'cpu')?.kernelFunc).toBe(stock.get(name));
    expect(registeredFastCpuKernels()).toEqual([]);
    expect(unregisterFastCpuKernels()).toEqual([]);
  });

  it('can replace a subset, and rejects unknown names', () => {
    expect(registerFastCpuKernels({ kernels: ['Conv2D', 'Slice'] })).toEqual(['Conv2D', 'Slice']);
    expect(registerFastCpuKernels({ kernels: ['MaxPool'] })).toEqual(['Conv2D', 'MaxPool', 'Slice']);
    expect(() => registerFastCpuKernels({ kernels: ['Conv3D'] })).toThrow(/Unknown kernel name\(s\) Conv3D/);
  });

  it('leaves other backends alone', () => {
    const webgl = fastCpuKernelNames.map((n) => tf.getKernel(n, 'webgl')?.kernelFunc);
    registerFastCpuKernels();
    expect(fastCpuKernelNames.map((n) => tf.getKernel(n, 'webgl')?.kernelFunc)).toEqual(webgl);
  });

  it('kernels create no tensors beyond their outputs', () => {
    registerFastCpuKernels();
    const x = tf.randomUniform([2, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.randomUniform([3, 3, 3, 4]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.image.resizeNearestNeighbor(tf.maxPool(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')), 2, 2, 'same'), [8, 8])
        .slice([0, 1, 1, 0], [2, 6, 6, 4]).sum())([x, w]);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([...grads, x, w]);
  });
});
