/**
 * Registration of the fast kernels over the stock ones of tfjs's `cpu` backend, and the way
 * back. The stock kernel of each name is captured before it is replaced: the fast kernel
 * falls back to it for attribute combinations it does not handle, and
 * {@link unregisterFastCpuKernels} puts it back.
 */
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { allFastKernels } from './all-kernels.js';
import { setConvThreads, stopConvThreads } from './conv-parallel.js';
import { releaseScratch } from './scratch-buffers.js';

const BACKEND = 'cpu';

/** Names of every kernel this package can replace on the `cpu` backend. */
export const fastCpuKernelNames: readonly string[] = Object.freeze(allFastKernels.map((k) => k.kernelName));

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
   * @defaultValue 1
   */
  threads?: number;
}

/** Stock configs of the kernels currently replaced, by name. */
const replaced = new Map<string, KernelConfig>();

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
  if (options.threads !== undefined) setConvThreads(options.threads);
  const unknown = wanted.filter((name) => !fastCpuKernelNames.includes(name));
  if (unknown.length > 0) {
    throw new RangeError(
      `Unknown kernel name(s) ${unknown.join(', ')}: registerFastCpuKernels accepts only names of fastCpuKernelNames`,
    );
  }
  for (const spec of allFastKernels) {
    if (!wanted.includes(spec.kernelName) || replaced.has(spec.kernelName)) continue;
    const stock = getKernel(spec.kernelName, BACKEND);
    if (stock === undefined) continue;
    unregisterKernel(spec.kernelName, BACKEND);
    const config: KernelConfig = { ...stock, kernelFunc: spec.create(stock.kernelFunc) };
    registerKernel(config);
    replaced.set(spec.kernelName, stock);
  }
  return registeredFastCpuKernels();
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
  stopConvThreads();
  setConvThreads(1);
  releaseScratch();
  return restored.sort();
}

/** Names of the kernels currently served by this package (sorted). */
export function registeredFastCpuKernels(): string[] {
  return [...replaced.keys()].sort();
}
