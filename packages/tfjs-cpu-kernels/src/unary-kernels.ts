/**
 * Relu and Step (the relu gradient is `dy * step(x)`) for float32, as plain loops with the
 * stock formulas; the stock kernels call a closure per element.
 */
import type { KernelFunc } from '@tensorflow/tfjs-core';
import { allocateOutput } from './buffer-pool.js';
import { float32Values, output, type FastKernelSpec } from './cpu-backend.js';

/** Relu: `max(0, x)` (NaN stays NaN). */
const reluKernel: FastKernelSpec = {
  kernelName: 'Relu',
  create: (stock: KernelFunc): KernelFunc => (args) => {
    const x = args.inputs['x'];
    const xv = float32Values(args, x);
    if (x === undefined || xv === undefined) return stock(args);
    const y = allocateOutput(xv.length, false);
    for (let i = 0; i < xv.length; i++) y[i] = Math.max(0, xv[i]!);
    return output(args, x.shape.slice(), y);
  },
};

/** Step: `x > 0 ? 1 : alpha`, NaN stays NaN. */
const stepKernel: FastKernelSpec = {
  kernelName: 'Step',
  create: (stock: KernelFunc): KernelFunc => (args) => {
    const x = args.inputs['x'];
    const xv = float32Values(args, x);
    const alpha = args.attrs?.['alpha'];
    if (x === undefined || xv === undefined || typeof alpha !== 'number') return stock(args);
    const y = allocateOutput(xv.length, false);
    for (let i = 0; i < xv.length; i++) {
      const v = xv[i]!;
      y[i] = v > 0 ? 1 : v !== v ? NaN : alpha;
    }
    return output(args, x.shape.slice(), y);
  },
};

/** The unary kernels of this package. */
export const unaryKernels: readonly FastKernelSpec[] = [reluKernel, stepKernel];
