import * as tf from '@tensorflow/tfjs';
import { RELU_BIAS_GRAD_KERNEL } from './native-kernels.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  fastCpuKernelNames,
  fastCpuKernelTier,
  registerFastCpuKernels,
  registeredFastCpuKernels,
  unregisterFastCpuKernels,
} from './index.js';
import { TEST_TIERS } from './testing/compare.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  unregisterFastCpuKernels();
});

describe('registerFastCpuKernels', () => {
  it.each(TEST_TIERS)('%s tier: replaces every kernel it has, idempotently, and unregister restores the stock ones', (tier) => {
    const native = tier === 'native' ? 'required' : 'off';
    // These have a native kernel only; every other name has a TypeScript one.
    const nativeOnly = ['Sigmoid', 'Sqrt', 'Square', 'SquaredDifference'];
    const served = fastCpuKernelNames.filter((n) => tier === 'native' || !nativeOnly.includes(n));
    const stock = new Map(fastCpuKernelNames.map((n) => [n, tf.getKernel(n, 'cpu')?.kernelFunc]));
    expect([...stock.values()].every((f) => typeof f === 'function')).toBe(true);

    const first = registerFastCpuKernels({ native });
    expect(first).toEqual([...served].sort());
    expect(fastCpuKernelTier()).toBe(tier);
    const fast = new Map(fastCpuKernelNames.map((n) => [n, tf.getKernel(n, 'cpu')?.kernelFunc]));
    for (const name of served) expect(fast.get(name)).not.toBe(stock.get(name));

    expect(registerFastCpuKernels({ native })).toEqual(first);
    for (const name of fastCpuKernelNames) expect(tf.getKernel(name, 'cpu')?.kernelFunc).toBe(fast.get(name));
    // The native tier's kernel without a stock counterpart is there with that tier only.
    expect(tf.getKernel(RELU_BIAS_GRAD_KERNEL, 'cpu') !== undefined).toBe(tier === 'native');

    expect(unregisterFastCpuKernels()).toEqual(first);
    expect(tf.getKernel(RELU_BIAS_GRAD_KERNEL, 'cpu')).toBeUndefined();
    for (const name of fastCpuKernelNames) expect(tf.getKernel(name, 'cpu')?.kernelFunc).toBe(stock.get(name));
    expect(registeredFastCpuKernels()).toEqual([]);
    expect(unregisterFastCpuKernels()).toEqual([]);
    expect(fastCpuKernelTier()).toBe('none');
  });

  it('switching tiers starts again from the stock kernels', () => {
    registerFastCpuKernels({ native: 'off', kernels: ['Conv2D'] });
    expect(fastCpuKernelTier()).toBe('typescript');
    const ts = tf.getKernel('Conv2D', 'cpu')?.kernelFunc;
    registerFastCpuKernels({ native: 'off', kernels: ['Conv2D'] });
    expect(tf.getKernel('Conv2D', 'cpu')?.kernelFunc).toBe(ts);
    if (!TEST_TIERS.includes('native')) return;
    registerFastCpuKernels({ native: 'required', kernels: ['Conv2D'] });
    expect(fastCpuKernelTier()).toBe('native');
    expect(tf.getKernel('Conv2D', 'cpu')?.kernelFunc).not.toBe(ts);
    expect(registeredFastCpuKernels()).toEqual(['Conv2D']);
  });

  it('rejects a thread count that is not a positive integer', () => {
    expect(() => registerFastCpuKernels({ threads: 0 })).toThrow(/threads must be a positive integer, got 0/);
    expect(() => registerFastCpuKernels({ threads: 1.5 })).toThrow(/threads must be a positive integer/);
    expect(registeredFastCpuKernels()).toEqual([]);
  });

  it('can replace a subset, and rejects unknown names', () => {
    expect(registerFastCpuKernels({ kernels: ['Conv2D', 'Slice'], native: 'off' })).toEqual(['Conv2D', 'Slice']);
    expect(registerFastCpuKernels({ kernels: ['MaxPool'], native: 'off' })).toEqual(['Conv2D', 'MaxPool', 'Slice']);
    expect(() => registerFastCpuKernels({ kernels: ['Conv3D'] })).toThrow(/Unknown kernel name\(s\) Conv3D/);
  });

  it('leaves other backends alone', () => {
    const webgl = fastCpuKernelNames.map((n) => tf.getKernel(n, 'webgl')?.kernelFunc);
    registerFastCpuKernels();
    expect(fastCpuKernelNames.map((n) => tf.getKernel(n, 'webgl')?.kernelFunc)).toEqual(webgl);
  });

  it.each(TEST_TIERS)('%s tier: kernels create no tensors beyond their outputs', (tier) => {
    registerFastCpuKernels({ native: tier === 'native' ? 'required' : 'off' });
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
