/**
 * Per-kernel wall-clock timing for a backend, by wrapping every registered kernel function.
 * Meant for benchmarks and profiling: start it after {@link registerFastCpuKernels} (or
 * after restoring the stock kernels) and stop it before changing registrations again.
 */
import { getKernelsForBackend, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';

/** Time spent in one kernel since the timer started or was last reset. */
export interface KernelTiming {
  kernelName: string;
  calls: number;
  totalMs: number;
}

/** Wraps a backend's kernels with timers; {@link KernelTimer.stop} puts the originals back. */
export class KernelTimer {
  private readonly originals = new Map<string, KernelConfig>();
  private readonly wrappers = new Map<string, KernelFunc>();
  private readonly totals = new Map<string, KernelTiming>();

  /** @param backendName - the backend whose kernels are timed. @defaultValue 'cpu' */
  constructor(readonly backendName = 'cpu') {}

  /** Wraps every kernel currently registered for the backend. Calling it twice is a no-op. */
  start(): void {
    if (this.originals.size > 0) return;
    for (const config of getKernelsForBackend(this.backendName)) {
      const inner = config.kernelFunc;
      const timing: KernelTiming = this.totals.get(config.kernelName) ?? { kernelName: config.kernelName, calls: 0, totalMs: 0 };
      this.totals.set(config.kernelName, timing);
      const wrapper: KernelFunc = (args) => {
        const t0 = performance.now();
        try {
          return inner(args);
        } finally {
          timing.totalMs += performance.now() - t0;
          timing.calls++;
        }
      };
      unregisterKernel(config.kernelName, this.backendName);
      registerKernel({ ...config, kernelFunc: wrapper });
      this.originals.set(config.kernelName, config);
      this.wrappers.set(config.kernelName, wrapper);
    }
  }

  /** Restores the unwrapped kernels (those still wrapped by this timer). */
  stop(): void {
    const current = new Map(getKernelsForBackend(this.backendName).map((c) => [c.kernelName, c.kernelFunc]));
    for (const [name, config] of this.originals) {
      if (current.get(name) !== this.wrappers.get(name)) continue;
      unregisterKernel(name, this.backendName);
      registerKernel(config);
    }
    this.originals.clear();
    this.wrappers.clear();
  }

  /** Zeroes the counters. */
  reset(): void {
    for (const t of this.totals.values()) {
      t.calls = 0;
      t.totalMs = 0;
    }
  }

  /** Kernels called since the last reset, slowest first. */
  timings(): KernelTiming[] {
    return [...this.totals.values()].filter((t) => t.calls > 0).map((t) => ({ ...t })).sort((a, b) => b.totalMs - a.totalMs);
  }
}
