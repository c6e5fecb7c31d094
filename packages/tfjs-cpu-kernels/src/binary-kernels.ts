/**
 * Add, Sub, Multiply and RealDiv for float32 operands when one operand is the full result
 * and the other is either the same shape, a scalar, or broadcast along leading axes only
 * (`[C]` against `[N,H,W,C]`, a bias). Other broadcasts and dtypes run the stock kernel,
 * whose generic path converts every index to coordinates and back.
 */
import { backend_util } from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateOutput } from './buffer-pool.js';
import { float32Values, output, type FastKernelSpec, type KernelArgs } from './cpu-backend.js';

const enum Op {
  Add,
  Sub,
  Mul,
  Div,
}

/** True when `shape`, once leading 1s are dropped, equals the trailing axes of `full`. */
function isTrailingBroadcast(shape: readonly number[], full: readonly number[]): boolean {
  let start = 0;
  while (start < shape.length && shape[start] === 1) start++;
  const tail = shape.length - start;
  if (tail > full.length) return false;
  for (let i = 0; i < tail; i++) {
    if (shape[start + i] !== full[full.length - tail + i]) return false;
  }
  return true;
}

/** `out[i] = a[i] op b[i % bn]`: b repeats along leading axes (bn = 1: scalar). */
function fullWithRow(op: Op, a: Float32Array, b: Float32Array, out: Float32Array): void {
  const n = out.length;
  const bn = b.length;
  if (bn === 1) {
    const s = b[0]!;
    switch (op) {
      case Op.Add: for (let i = 0; i < n; i++) out[i] = a[i]! + s; return;
      case Op.Sub: for (let i = 0; i < n; i++) out[i] = a[i]! - s; return;
      case Op.Mul: for (let i = 0; i < n; i++) out[i] = a[i]! * s; return;
      case Op.Div: for (let i = 0; i < n; i++) out[i] = a[i]! / s; return;
    }
  }
  for (let base = 0; base < n; base += bn) {
    switch (op) {
      case Op.Add: for (let j = 0; j < bn; j++) out[base + j] = a[base + j]! + b[j]!; break;
      case Op.Sub: for (let j = 0; j < bn; j++) out[base + j] = a[base + j]! - b[j]!; break;
      case Op.Mul: for (let j = 0; j < bn; j++) out[base + j] = a[base + j]! * b[j]!; break;
      case Op.Div: for (let j = 0; j < bn; j++) out[base + j] = a[base + j]! / b[j]!; break;
    }
  }
}

/** `out[i] = a[i % an] op b[i]`: a repeats along leading axes. */
function rowWithFull(op: Op, a: Float32Array, b: Float32Array, out: Float32Array): void {
  if (op === Op.Add || op === Op.Mul) {
    fullWithRow(op, b, a, out);
    return;
  }
  const n = out.length;
  const an = a.length;
  for (let base = 0; base < n; base += an) {
    if (op === Op.Sub) {
      for (let j = 0; j < an; j++) out[base + j] = a[j]! - b[base + j]!;
    } else {
      for (let j = 0; j < an; j++) out[base + j] = a[j]! / b[base + j]!;
    }
  }
}

/**
 * How a fast binary kernel lays out `a op b`: the broadcast result shape, and which operand
 * is the full-size one (the other is a scalar or repeats along leading axes); undefined when
 * the broadcast needs the stock kernel.
 */
export interface BinaryPlan {
  shape: number[];
  size: number;
  /** True when `a` is the repeating operand (`out[i] = a[i % an] op b[i]`). */
  rowFirst: boolean;
}

function binaryPlan(a: TensorInfo, av: Float32Array, b: TensorInfo, bv: Float32Array): BinaryPlan | undefined {
  const shape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const size = shape.reduce((x, y) => x * y, 1);
  if (size === 0) return undefined;
  if (av.length === size && a.shape.length === shape.length && isTrailingBroadcast(b.shape, shape)) {
    return { shape, size, rowFirst: false };
  }
  if (bv.length === size && b.shape.length === shape.length && isTrailingBroadcast(a.shape, shape)) {
    return { shape, size, rowFirst: true };
  }
  return undefined;
}

/** Float32 operands of a binary kernel and their plan; undefined for the stock kernel. */
export function binaryInputs(args: KernelArgs): { av: Float32Array; bv: Float32Array; plan: BinaryPlan } | undefined {
  const { a, b } = args.inputs;
  const av = float32Values(args, a);
  const bv = float32Values(args, b);
  if (a === undefined || b === undefined || av === undefined || bv === undefined) return undefined;
  const plan = binaryPlan(a, av, b, bv);
  return plan === undefined ? undefined : { av, bv, plan };
}

function binaryKernel(kernelName: string, op: Op): FastKernelSpec {
  return {
    kernelName,
    create: (stock: KernelFunc): KernelFunc => (args) => {
      const inputs = binaryInputs(args);
      if (inputs === undefined) return stock(args);
      const { av, bv, plan } = inputs;
      const out = allocateOutput(plan.size, false);
      if (plan.rowFirst) rowWithFull(op, av, bv, out);
      else fullWithRow(op, av, bv, out);
      return output(args, plan.shape, out);
    },
  };
}

/** The binary arithmetic kernels of this package. */
export const binaryKernels: readonly FastKernelSpec[] = [
  binaryKernel('Add', Op.Add),
  binaryKernel('Sub', Op.Sub),
  binaryKernel('Multiply', Op.Mul),
  binaryKernel('RealDiv', Op.Div),
];
