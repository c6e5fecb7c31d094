/**
 * Sum of a float32 tensor over leading axes (bias gradients: `[N,H,W,C]` -> `[C]`) or
 * trailing axes, without the transpose the stock kernel does first. Partial sums are kept
 * in float64. Other axis sets and dtypes run the stock kernel.
 */
import { util } from '@tensorflow/tfjs-core';
import type { KernelFunc } from '@tensorflow/tfjs-core';
import { float32Values, output, type FastKernelSpec, type KernelArgs } from './cpu-backend.js';

/** Sums `rows` rows of length `cols` column-wise. */
function sumLeading(x: Float32Array, rows: number, cols: number): Float32Array {
  const acc = new Float64Array(cols);
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    for (let j = 0; j < cols; j++) acc[j] = acc[j]! + x[base + j]!;
  }
  return Float32Array.from(acc);
}

/** Sums each of `rows` rows of length `cols`. */
function sumTrailing(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[base + j]!;
    out[r] = s;
  }
  return out;
}

/** How a fast Sum reduces: `rows` rows of `cols` summed column-wise (leading) or row-wise. */
export interface SumPlan {
  leading: boolean;
  rows: number;
  cols: number;
  outShape: number[];
}

/** The plan of a Sum over leading or trailing axes, or undefined for other axis sets. */
function sumPlan(shape: number[], size: number, attrs: KernelArgs['attrs']): SumPlan | undefined {
  const axes = [...new Set(util.parseAxisParam(attrs?.['axis'] as number | number[], shape))].sort((p, q) => p - q);
  const k = axes.length;
  const leading = axes.every((a, i) => a === i);
  const trailing = axes.every((a, i) => a === shape.length - k + i);
  if (!leading && !trailing) return undefined;
  const reduced = axes.reduce((p, a) => p * shape[a]!, 1);
  const kept = size / reduced;
  const keepDims = attrs?.['keepDims'] === true;
  const outShape = keepDims ? shape.map((n, d) => (axes.includes(d) ? 1 : n)) : shape.filter((_, d) => !axes.includes(d));
  return leading ? { leading, rows: reduced, cols: kept, outShape } : { leading, rows: kept, cols: reduced, outShape };
}

/** A Sum's float32 input and plan; undefined for the stock kernel. */
export function sumInputs(args: KernelArgs): { xv: Float32Array; plan: SumPlan } | undefined {
  const x = args.inputs['x'];
  const xv = float32Values(args, x);
  if (x === undefined || xv === undefined || xv.length === 0) return undefined;
  const plan = sumPlan(x.shape, xv.length, args.attrs);
  return plan === undefined ? undefined : { xv, plan };
}

/** Sums `values` over the plan's rows (leading axes) or columns (trailing axes). */
function sumByPlan(values: Float32Array, plan: SumPlan): Float32Array {
  return plan.leading ? sumLeading(values, plan.rows, plan.cols) : sumTrailing(values, plan.rows, plan.cols);
}

/** Sum: attrs `axis` (number or list, negative allowed) and `keepDims`. */
export const sumKernel: FastKernelSpec = {
  kernelName: 'Sum',
  create: (stock: KernelFunc): KernelFunc => (args) => {
    const inputs = sumInputs(args);
    if (inputs === undefined) return stock(args);
    const { xv, plan } = inputs;
    return output(args, plan.outShape, sumByPlan(xv, plan));
  },
};

/**
 * Mean over leading or trailing axes, as the stock kernel computes it (each value divided by
 * the count and rounded to float32, then summed in float64) without its broadcasting divide
 * and temporary tensors: for the loss, a fifth of the step's non-convolution time went there.
 */
export const meanKernel: FastKernelSpec = {
  kernelName: 'Mean',
  create: (stock: KernelFunc): KernelFunc => (args) => {
    const inputs = sumInputs(args);
    if (inputs === undefined) return stock(args);
    const { xv, plan } = inputs;
    const count = Math.fround(xv.length / (plan.leading ? plan.cols : plan.rows));
    const quotients = new Float32Array(xv.length);
    for (let i = 0; i < xv.length; i++) quotients[i] = xv[i]! / count;
    return output(args, plan.outShape, sumByPlan(quotients, plan));
  },
};
