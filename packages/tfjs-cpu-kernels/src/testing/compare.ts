/**
 * Test helpers: run the same computation on the stock and the fast kernels, compare with a
 * tolerance that allows for float32 summation-order differences.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { nativeKernelStatus } from '../native-addon.js';
import { fastCpuKernelThreads, fastCpuKernelTier, registerFastCpuKernels, unregisterFastCpuKernels } from '../register.js';

/** A tier of fast kernels the kernel tests run on. */
export type TestTier = 'typescript' | 'native';

/**
 * The tiers to test here: the native one only where its addon was built. The build is
 * required, not skipped silently, when DENOISE_SWEEP_EXPECT_NATIVE=1 (see native-addon.test.ts).
 */
export const TEST_TIERS: readonly TestTier[] = nativeKernelStatus().available ? ['typescript', 'native'] : ['typescript'];

/** Registers the fast kernels of `tier` alone (the native tier sits on the TypeScript one). */
export function registerTier(tier: TestTier, threads?: number): void {
  unregisterFastCpuKernels();
  registerFastCpuKernels({ native: tier === 'native' ? 'required' : 'off', ...(threads === undefined ? {} : { threads }) });
}

/** Runs `fn` with the stock cpu kernels, then restores the fast ones (same tier and threads). */
export function withStock<T>(fn: () => T): T {
  const tier = fastCpuKernelTier();
  const threads = fastCpuKernelThreads();
  unregisterFastCpuKernels();
  try {
    return fn();
  } finally {
    if (tier !== 'none') registerTier(tier, threads);
  }
}

/** Values of the tensors `fn` returns, computed inside a tidy so nothing leaks. */
export function values(fn: () => tf.Tensor | tf.Tensor[]): Float32Array[] {
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const data = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose(list);
  return data;
}

/** Computes `fn` on both tiers and expects equal shapes and close values. */
export function expectSameOnBothTiers(fn: () => tf.Tensor | tf.Tensor[], rtol = 2e-5): void {
  const fast = values(fn);
  const stock = withStock(() => values(fn));
  expect(fast.length).toBe(stock.length);
  fast.forEach((f, i) => expectClose(f, stock[i]!, rtol));
}

/**
 * Expects `|a - e| <= rtol * max(|e|) + 1e-6` element-wise: relative to the tensor's scale,
 * since sums reordered in float32 differ by a few ulps of their largest terms.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 2e-5): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(expected[i]!);
    if (Number.isFinite(e)) scale = Math.max(scale, e);
  }
  const tol = rtol * scale + 1e-6;
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    // NaN must stay NaN and infinities must match exactly.
    const d = Number.isFinite(e) ? Math.abs(a - e) : Object.is(a, e) || (a === e) ? 0 : Number.POSITIVE_INFINITY;
    if (!(d <= worst)) {
      worst = d;
      worstAt = i;
    }
  }
  if (worstAt >= 0 && !(worst <= tol)) {
    expect.fail(`element ${worstAt}: ${actual[worstAt]} vs ${expected[worstAt]} (|diff| ${worst} > tol ${tol})`);
  }
}

/** A deterministic random tensor in [-1, 1). */
export function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}
