/**
 * MaxPool and MaxPoolGrad for NHWC float32, any window, stride and padding (dilation 1).
 *
 * Ties and NaN behave like the stock kernels: the first strictly greater value in row-major
 * window order wins, NaN never wins, and a window with no finite winner (all -Infinity, or
 * only padding) passes no gradient.
 */
import { backend_util } from '@tensorflow/tfjs-core';
import type { KernelFunc } from '@tensorflow/tfjs-core';
import { allocateOutput } from './buffer-pool.js';
import { float32Values, output, type FastKernelSpec, type KernelArgs } from './cpu-backend.js';

export type PoolInfo = ReturnType<typeof backend_util.computePool2DInfo>;
type PadAttr = Parameters<typeof backend_util.computePool2DInfo>[4];
type RoundingAttr = Parameters<typeof backend_util.computePool2DInfo>[5];

/** Pooling geometry from the attributes, or undefined when dilated. */
function poolInfo(shape: number[], attrs: KernelArgs['attrs']): PoolInfo | undefined {
  if (attrs === undefined || shape.length !== 4) return undefined;
  const info = backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    attrs['filterSize'] as [number, number] | number,
    attrs['strides'] as [number, number] | number,
    1,
    attrs['pad'] as PadAttr,
    attrs['dimRoundingMode'] as RoundingAttr,
  );
  return info.dilationHeight === 1 && info.dilationWidth === 1 ? info : undefined;
}

/**
 * Visits every output pixel with its window clipped to the input; `visit(outBase, rows, cols)`
 * gets the flat offset of the output pixel and the window's input row and column ranges.
 */
function forEachWindow(
  info: PoolInfo,
  visit: (b: number, outBase: number, r0: number, r1: number, c0: number, c1: number) => void,
): void {
  const { batchSize, outHeight, outWidth, inHeight, inWidth, inChannels } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const rc = oy * strideHeight - top;
      const r0 = Math.max(0, rc);
      const r1 = Math.min(inHeight, rc + filterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const cc = ox * strideWidth - left;
        visit(b, ((b * outHeight + oy) * outWidth + ox) * inChannels, r0, r1, Math.max(0, cc), Math.min(inWidth, cc + filterWidth));
      }
    }
  }
}

/** Per-channel running maximum and its flat input index over one window. */
function windowArgMax(
  x: Float32Array,
  info: PoolInfo,
  b: number,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
  best: Float32Array,
  where: Int32Array,
): void {
  const { inHeight, inWidth, inChannels: C } = info;
  best.fill(Number.NEGATIVE_INFINITY);
  where.fill(-1);
  for (let r = r0; r < r1; r++) {
    for (let c = c0; c < c1; c++) {
      const base = ((b * inHeight + r) * inWidth + c) * C;
      for (let ch = 0; ch < C; ch++) {
        const v = x[base + ch]!;
        if (v > best[ch]!) {
          best[ch] = v;
          where[ch] = base + ch;
        }
      }
    }
  }
}

/** MaxPool operands and geometry; undefined for the stock kernel. */
export function maxPoolInputs(args: KernelArgs): { xv: Float32Array; info: PoolInfo } | undefined {
  const x = args.inputs['x'];
  const xv = float32Values(args, x);
  const info = x === undefined ? undefined : poolInfo(x.shape, args.attrs);
  return xv === undefined || info === undefined || info.outHeight <= 0 || info.outWidth <= 0 ? undefined : { xv, info };
}

/** MaxPoolGrad operands (`dy`, `input`) and geometry; undefined for the stock kernel. */
export function maxPoolGradInputs(args: KernelArgs): { xv: Float32Array; dyv: Float32Array; info: PoolInfo; shape: number[] } | undefined {
  const { dy, input } = args.inputs;
  const xv = float32Values(args, input);
  const dyv = float32Values(args, dy);
  const info = input === undefined ? undefined : poolInfo(input.shape, args.attrs);
  if (xv === undefined || dyv === undefined || info === undefined || info.outHeight <= 0 || info.outWidth <= 0) return undefined;
  if (dyv.length !== info.outShape.reduce((a, b) => a * b, 1)) return undefined;
  return { xv, dyv, info, shape: input!.shape.slice() };
}

/** MaxPool: `x [N,H,W,C]` -> `[N,Ho,Wo,C]`. */
const maxPoolKernel: FastKernelSpec = {
  kernelName: 'MaxPool',
  create: (stock: KernelFunc): KernelFunc => (args) => {
    const p = maxPoolInputs(args);
    if (p === undefined) return stock(args);
    const { xv, info } = p;
    const C = info.inChannels;
    const y = allocateOutput(info.batchSize * info.outHeight * info.outWidth * C, false);
    const best = new Float32Array(C);
    const where = new Int32Array(C);
    forEachWindow(info, (b, o, r0, r1, c0, c1) => {
      windowArgMax(xv, info, b, r0, r1, c0, c1, best, where);
      y.set(best, o);
    });
    return output(args, [info.batchSize, info.outHeight, info.outWidth, C], y);
  },
};

/** MaxPoolGrad: `dy`, `input` (x), `output` (y) -> dx: each dy goes to its window's argmax. */
const maxPoolGradKernel: FastKernelSpec = {
  kernelName: 'MaxPoolGrad',
  create: (stock: KernelFunc): KernelFunc => (args) => {
    const p = maxPoolGradInputs(args);
    if (p === undefined) return stock(args);
    const { xv, dyv, info } = p;
    const C = info.inChannels;
    const dx = allocateOutput(xv.length, true);
    const best = new Float32Array(C);
    const where = new Int32Array(C);
    forEachWindow(info, (b, o, r0, r1, c0, c1) => {
      windowArgMax(xv, info, b, r0, r1, c0, c1, best, where);
      for (let ch = 0; ch < C; ch++) {
        const i = where[ch]!;
        if (i >= 0) dx[i] = dx[i]! + dyv[o + ch]!;
      }
    });
    return output(args, p.shape, dx);
  },
};

/** The pooling kernels of this package. */
export const poolKernels: readonly FastKernelSpec[] = [maxPoolKernel, maxPoolGradKernel];
