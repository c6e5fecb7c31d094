/**
 * Slice and PadV2 for float32 tensors of any rank, as block copies of contiguous runs
 * (the stock kernels convert every element's index to coordinates and back). Cropping2D is a
 * Slice; its gradient is a PadV2.
 */
import { slice_util } from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateOutput } from './buffer-pool.js';
import { float32Values, output, type FastKernelSpec, type KernelArgs } from './cpu-backend.js';

/** Run shorter than this are copied element by element rather than with `set`. */
const SHORT_RUN = 16;

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}

/**
 * Copies the box of extent `size` at `srcBegin` in `src` (shape `srcShape`) to `dstBegin`
 * in `dst` (shape `dstShape`). Trailing axes that are whole in both are merged into one run.
 */
function copyBox(
  src: Float32Array,
  srcShape: readonly number[],
  srcBegin: readonly number[],
  dst: Float32Array,
  dstShape: readonly number[],
  dstBegin: readonly number[],
  size: readonly number[],
): void {
  const rank = size.length;
  if (size.some((n) => n === 0)) return;
  if (rank === 0) {
    dst[0] = src[0]!;
    return;
  }
  let inner = rank - 1;
  let run = size[inner]!;
  while (inner > 0 && size[inner] === srcShape[inner] && size[inner] === dstShape[inner]) {
    inner--;
    run *= size[inner]!;
  }
  const ss = strides(srcShape);
  const ds = strides(dstShape);
  let srcBase = 0;
  let dstBase = 0;
  for (let d = 0; d < rank; d++) {
    srcBase += srcBegin[d]! * ss[d]!;
    dstBase += dstBegin[d]! * ds[d]!;
  }
  // Odometer over the axes before `inner`; each step copies one run.
  const counter = new Array<number>(inner).fill(0);
  let outer = 1;
  for (let d = 0; d < inner; d++) outer *= size[d]!;
  let so = srcBase;
  let dOff = dstBase;
  for (let i = 0; i < outer; i++) {
    if (run >= SHORT_RUN) {
      dst.set(src.subarray(so, so + run), dOff);
    } else {
      for (let j = 0; j < run; j++) dst[dOff + j] = src[so + j]!;
    }
    for (let d = inner - 1; d >= 0; d--) {
      counter[d]!++;
      so += ss[d]!;
      dOff += ds[d]!;
      if (counter[d]! < size[d]!) break;
      so -= size[d]! * ss[d]!;
      dOff -= size[d]! * ds[d]!;
      counter[d] = 0;
    }
  }
}

/** Slice operands; undefined for the stock kernel (contiguous slices keep the stock view). */
export function sliceInputs(args: KernelArgs): { x: TensorInfo; xv: Float32Array; begin: number[]; size: number[] } | undefined {
  const x = args.inputs['x'];
  const xv = float32Values(args, x);
  if (x === undefined || xv === undefined) return undefined;
  const [begin, size] = slice_util.parseSliceParams(
    x,
    args.attrs?.['begin'] as number | number[],
    args.attrs?.['size'] as number | number[] | undefined,
  );
  if (begin === undefined || size === undefined || slice_util.isSliceContinous(x.shape, begin, size)) return undefined;
  if (size.some((n, d) => n < 0 || begin[d]! < 0 || begin[d]! + n > x.shape[d]!)) return undefined;
  return { x, xv, begin, size };
}

/** PadV2 operands; undefined for the stock kernel. */
export function padInputs(args: KernelArgs): { x: TensorInfo; xv: Float32Array; before: number[]; outShape: number[]; fill: number } | undefined {
  const x = args.inputs['x'];
  const xv = float32Values(args, x);
  const paddings = args.attrs?.['paddings'] as [number, number][] | undefined;
  const constantValue = args.attrs?.['constantValue'];
  if (x === undefined || xv === undefined || !Array.isArray(paddings) || paddings.length !== x.shape.length) return undefined;
  if (paddings.some((p) => !(p[0] >= 0 && p[1] >= 0))) return undefined;
  return {
    x,
    xv,
    before: paddings.map((p) => p[0]),
    outShape: x.shape.map((n, d) => paddings[d]![0] + n + paddings[d]![1]),
    fill: typeof constantValue === 'number' ? constantValue : 0,
  };
}

/** Slice: `x`, attrs `begin`, `size` (-1 = to the end). Contiguous slices keep the stock view. */
const sliceKernel: FastKernelSpec = {
  kernelName: 'Slice',
  create: (stock: KernelFunc): KernelFunc => (args) => {
    const p = sliceInputs(args);
    if (p === undefined) return stock(args);
    const { x, xv, begin, size } = p;
    const y = allocateOutput(size.reduce((a, b) => a * b, 1), false);
    copyBox(xv, x.shape, begin, y, size, new Array<number>(size.length).fill(0), size);
    return output(args, size, y);
  },
};

/** PadV2: `x`, attrs `paddings` (`[before, after]` per axis) and `constantValue`. */
const padV2Kernel: FastKernelSpec = {
  kernelName: 'PadV2',
  create: (stock: KernelFunc): KernelFunc => (args) => {
    const p = padInputs(args);
    if (p === undefined) return stock(args);
    const { x, xv, outShape, fill } = p;
    const y = allocateOutput(outShape.reduce((a, b) => a * b, 1), fill === 0);
    if (fill !== 0) y.fill(fill);
    copyBox(xv, x.shape, new Array<number>(x.shape.length).fill(0), y, outShape, p.before, x.shape);
    return output(args, outShape, y);
  },
};

/** The slice and pad kernels of this package. */
export const slicePadKernels: readonly FastKernelSpec[] = [sliceKernel, padV2Kernel];
