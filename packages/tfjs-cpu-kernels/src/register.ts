/**
 * Registration of the fast kernels over the stock ones of tfjs's `cpu` backend, and the way
 * back. The stock kernel of each name is captured before it is replaced: the fast kernel
 * falls back to it for attribute combinations it does not handle, and
 * {@link unregisterFastCpuKernels} puts it back.
 */
import { availableParallelism } from 'node:os';
import { findBackend, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { allFastKernels } from './all-kernels.js';
import { unwatchBackends, watchBackend } from './buffer-pool.js';
import { convThreads, setConvThreads, stopConvThreads } from './conv-parallel.js';
import type { FastKernelSpec } from './cpu-backend.js';
import { loadNativeAddon, type AdamStep, type DnnlAddon, type ImageQualityPass } from './native-addon.js';
import { nativeKernelNames, nativeKernels, RELU_BIAS_GRAD_KERNEL, reluBiasGradKernel } from './native-kernels.js';
import { releaseScratch } from './scratch-buffers.js';

const BACKEND = 'cpu';

/** Names of every kernel this package can replace on the `cpu` backend (either tier). */
export const fastCpuKernelNames: readonly string[] = Object.freeze(
  [...new Set([...allFastKernels.map((k) => k.kernelName), ...nativeKernelNames])],
);

/**
 * Which kernels serve the `cpu` backend: `native` (oneDNN convolutions and C++ loops, with
 * the TypeScript kernels behind them for cases they do not take), `typescript`, or `none`
 * (stock tfjs).
 */
export type FastCpuKernelTier = 'native' | 'typescript' | 'none';

/** Options of {@link registerFastCpuKernels}. */
export interface RegisterFastCpuKernelsOptions {
  /**
   * Replace only these kernels (names from {@link fastCpuKernelNames}); unknown names throw.
   * @defaultValue every kernel of {@link fastCpuKernelNames}
   */
  kernels?: readonly string[];
  /**
   * Threads the convolutions use, the caller's included. Above 1, large convolutions are
   * split across `worker_threads` helpers sharing memory through SharedArrayBuffers (the
   * calling thread blocks until they finish, since kernels are synchronous). Worth it when
   * the process has that many otherwise idle cores; helpers start on the first large
   * convolution and stop with {@link unregisterFastCpuKernels}.
   * In the native tier, the OpenMP threads of oneDNN and of the loops.
   * @defaultValue 1 for the TypeScript tier; every core of the machine for the native tier
   */
  threads?: number;
  /**
   * Whether to use the native tier: `auto` uses it when the addon loads (see
   * {@link nativeKernelStatus} for why it may not), `off` never does, `required` throws
   * when it cannot load.
   * @defaultValue 'auto'
   */
  native?: 'auto' | 'off' | 'required';
  /**
   * Most bytes of freed output arrays kept for reuse (see `buffer-pool.ts`); 0 keeps none.
   * @defaultValue 1 GiB
   */
  poolBytes?: number;
}

const DEFAULT_POOL_BYTES = 1 << 30;

/** Stock configs of the kernels currently replaced, by name. */
const replaced = new Map<string, KernelConfig>();
let tier: FastCpuKernelTier = 'none';
let nativeAddon: DnnlAddon | undefined;

/**
 * Replaces the `cpu` backend's kernels by this package's fast ones. Call it after importing
 * `@tensorflow/tfjs` (or `@tensorflow/tfjs-backend-cpu`), which registers the stock kernels.
 * Other backends are untouched. Idempotent: a kernel already replaced stays as it is.
 *
 * @returns the names of all kernels now served by this package (sorted), including those
 *   replaced by an earlier call; a name whose stock kernel is not registered is skipped.
 */
export function registerFastCpuKernels(options: RegisterFastCpuKernelsOptions = {}): string[] {
  const wanted = options.kernels ?? fastCpuKernelNames;
  const unknown = wanted.filter((name) => !fastCpuKernelNames.includes(name));
  if (unknown.length > 0) {
    throw new RangeError(
      `Unknown kernel name(s) ${unknown.join(', ')}: registerFastCpuKernels accepts only names of fastCpuKernelNames`,
    );
  }
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw new RangeError(`threads must be a positive integer, got ${options.threads}`);
  }
  const native = options.native ?? 'auto';
  const { addon, status } = native === 'off' ? { addon: undefined, status: undefined } : loadNativeAddon();
  if (native === 'required' && addon === undefined) {
    throw new Error(`the native oneDNN kernels are not available: ${status?.reason ?? 'unknown reason'}`);
  }
  // A tier switch starts from the stock kernels again.
  const nextTier: FastCpuKernelTier = addon === undefined ? 'typescript' : 'native';
  if (tier !== 'none' && tier !== nextTier) unregisterFastCpuKernels();

  if (addon === undefined) {
    if (options.threads !== undefined) setConvThreads(options.threads);
  } else {
    const threads = options.threads ?? availableParallelism();
    if (addon.getThreads() !== threads) {
      addon.setThreads(threads);
      // oneDNN splits a primitive's work for the thread count it was created with: cached
      // primitives of another count would run on the wrong number of threads.
      addon.releaseCaches();
    }
    nativeAddon = addon;
  }
  const layers: FastKernelSpec[][] = [[...allFastKernels], addon === undefined ? [] : nativeKernels(addon)];
  for (const name of wanted) {
    if (replaced.has(name)) continue;
    const stock = getKernel(name, BACKEND);
    if (stock === undefined) continue;
    let kernelFunc: KernelFunc = stock.kernelFunc;
    let served = false;
    for (const layer of layers) {
      const spec = layer.find((k) => k.kernelName === name);
      if (spec === undefined) continue;
      kernelFunc = spec.create(kernelFunc);
      served = true;
    }
    if (!served) continue;
    unregisterKernel(name, BACKEND);
    registerKernel({ ...stock, kernelFunc });
    replaced.set(name, stock);
  }
  // The native tier's own kernel, which tfjs has no stock one of.
  if (getKernel(RELU_BIAS_GRAD_KERNEL, BACKEND) !== undefined) unregisterKernel(RELU_BIAS_GRAD_KERNEL, BACKEND);
  if (addon !== undefined) registerKernel({ kernelName: RELU_BIAS_GRAD_KERNEL, backendName: BACKEND, kernelFunc: reluBiasGradKernel(addon) });
  tier = replaced.size > 0 ? nextTier : 'none';
  const backend = findBackend(BACKEND);
  if (tier !== 'none' && backend !== undefined && backend !== null) watchBackend(backend, options.poolBytes ?? DEFAULT_POOL_BYTES);
  return registeredFastCpuKernels();
}

/** Which kernels serve the `cpu` backend now. */
export function fastCpuKernelTier(): FastCpuKernelTier {
  return tier;
}

/** Threads the registered tier computes with (1 when nothing is registered). */
export function fastCpuKernelThreads(): number {
  return tier === 'native' && nativeAddon !== undefined ? nativeAddon.getThreads() : convThreads();
}

/**
 * The machine's fp32 peak as a loop of fused multiply-adds on the widest vectors the CPU has
 * measures it, on the native tier's threads (about `seconds` long): what training throughput is
 * put in proportion to. Undefined unless the native tier is registered.
 */
export function measureFmaPeak(seconds = 1): { gflops: number; threads: number; isa: string } | undefined {
  return tier === 'native' && nativeAddon !== undefined ? nativeAddon.fmaPeak(seconds) : undefined;
}

/**
 * The native tier's Adam update (one pass per variable, the float32 roundings of the tfjs ops
 * m = m*b1 + g*(1-b1), v = v*b2 + g*g*(1-b2), w -= (m/c1) / (sqrt(v/c2) + eps) * lr, in that
 * order), or undefined unless the native tier is registered. scalars: [b1, 1-b1, b2, 1-b2, c1,
 * c2, eps, lr] as float32.
 */
export function nativeAdamStep(): AdamStep | undefined {
  const addon = tier === 'native' ? nativeAddon : undefined;
  return addon === undefined ? undefined : (...args: Parameters<AdamStep>) => addon.adamStep(...args);
}

/**
 * The native tier's per-image squared error and SSIM on its threads (see ImageQualityPass),
 * or undefined unless the native tier is registered.
 */
export function nativeImageQuality(): ImageQualityPass | undefined {
  const addon = tier === 'native' ? nativeAddon : undefined;
  return addon === undefined ? undefined : (...args: Parameters<ImageQualityPass>) => addon.imageQuality(...args);
}

/**
 * Restores the stock `cpu` kernels replaced by {@link registerFastCpuKernels}, stops helper
 * threads and frees the scratch memory. Safe to call when nothing is registered.
 *
 * @returns the names of the kernels restored (sorted).
 */
export function unregisterFastCpuKernels(): string[] {
  const restored: string[] = [];
  for (const [name, stock] of replaced) {
    if (getKernel(name, BACKEND) !== undefined) unregisterKernel(name, BACKEND);
    registerKernel(stock);
    restored.push(name);
  }
  replaced.clear();
  if (getKernel(RELU_BIAS_GRAD_KERNEL, BACKEND) !== undefined) unregisterKernel(RELU_BIAS_GRAD_KERNEL, BACKEND);
  unwatchBackends();
  tier = 'none';
  nativeAddon?.releaseCaches();
  nativeAddon = undefined;
  stopConvThreads();
  setConvThreads(1);
  releaseScratch();
  return restored.sort();
}

/** Names of the kernels currently served by this package (sorted). */
export function registeredFastCpuKernels(): string[] {
  return [...replaced.keys()].sort();
}
