/**
 * ResizeNearestNeighbor and its gradient for NHWC float32.
 *
 * Both use one source-index table per axis, computed with the exact formulas of tfjs's
 * forward kernel (alignCorners and halfPixelCenters included). The gradient scatters each
 * `dy` pixel onto the source pixel the forward pass copied it from, so it is the true
 * adjoint of the forward kernel for every attribute combination. The stock gradient of
 * tfjs 4.22 reads `dy` at the batch offset of `images` (wrong for batch > 1) and ignores
 * halfPixelCenters.
 */
import type { KernelFunc } from '@tensorflow/tfjs-core';
import { allocateOutput } from './buffer-pool.js';
import { float32Values, output, type FastKernelSpec, type KernelArgs } from './cpu-backend.js';

/** Source index along one axis for each of the `newSize` output positions (tfjs's formula). */
export function nearestSourceIndex(
  oldSize: number,
  newSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): Int32Array {
  const effectiveIn = alignCorners && newSize > 1 ? oldSize - 1 : oldSize;
  const effectiveOut = alignCorners && newSize > 1 ? newSize - 1 : newSize;
  const ratio = effectiveIn / effectiveOut;
  const index = new Int32Array(newSize);
  for (let i = 0; i < newSize; i++) {
    const frac = halfPixelCenters ? ratio * (i + 0.5) : ratio * i;
    let src = Math.min(oldSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    if (halfPixelCenters) src = Math.max(0, src);
    index[i] = src;
  }
  return index;
}

export interface ResizeShape {
  batch: number;
  oldH: number;
  oldW: number;
  channels: number;
  newH: number;
  newW: number;
  rows: Int32Array;
  cols: Int32Array;
}

/** Shape and source-index tables of a nearest resize of `images` to `newH x newW`. */
function resizeShape(
  images: number[],
  newH: number,
  newW: number,
  attrs: Record<string, unknown> | undefined,
): ResizeShape | undefined {
  if (images.length !== 4) return undefined;
  const [batch, oldH, oldW, channels] = images as [number, number, number, number];
  const alignCorners = attrs?.['alignCorners'] === true;
  const halfPixelCenters = attrs?.['halfPixelCenters'] === true;
  return {
    batch, oldH, oldW, channels, newH, newW,
    rows: nearestSourceIndex(oldH, newH, alignCorners, halfPixelCenters),
    cols: nearestSourceIndex(oldW, newW, alignCorners, halfPixelCenters),
  };
}

/** ResizeNearestNeighbor operands and tables; undefined for the stock kernel. */
export function resizeInputs(args: KernelArgs): { xv: Float32Array; s: ResizeShape } | undefined {
  const images = args.inputs['images'];
  const xv = float32Values(args, images);
  const size = args.attrs?.['size'];
  if (images === undefined || xv === undefined || xv.length === 0 || !Array.isArray(size) || size.length !== 2) return undefined;
  const s = resizeShape(images.shape, size[0] as number, size[1] as number, args.attrs);
  return s === undefined || s.newH <= 0 || s.newW <= 0 ? undefined : { xv, s };
}

/** ResizeNearestNeighborGrad operands (`dy`, `images`) and tables; undefined for the stock kernel. */
export function resizeGradInputs(args: KernelArgs): { dyv: Float32Array; s: ResizeShape; shape: number[] } | undefined {
  const { images, dy } = args.inputs;
  const dyv = float32Values(args, dy);
  if (images === undefined || dy === undefined || dyv === undefined || dyv.length === 0 || dy.shape.length !== 4) return undefined;
  const s = resizeShape(images.shape, dy.shape[1]!, dy.shape[2]!, args.attrs);
  if (s === undefined || dy.shape[0] !== s.batch || dy.shape[3] !== s.channels) return undefined;
  return { dyv, s, shape: images.shape.slice() };
}

/** ResizeNearestNeighbor: `images [N,H,W,C]` -> `[N, size[0], size[1], C]`. */
const resizeNearestNeighborKernel: FastKernelSpec = {
  kernelName: 'ResizeNearestNeighbor',
  create: (stock: KernelFunc): KernelFunc => (args) => {
    const r = resizeInputs(args);
    if (r === undefined) return stock(args);
    const { xv, s } = r;
    const { batch, oldH, oldW, channels: C, newH, newW, rows, cols } = s;
    const y = allocateOutput(batch * newH * newW * C, false);
    let o = 0;
    for (let b = 0; b < batch; b++) {
      for (let r = 0; r < newH; r++) {
        const rowBase = (b * oldH + rows[r]!) * oldW;
        for (let c = 0; c < newW; c++) {
          let src = (rowBase + cols[c]!) * C;
          const end = o + C;
          while (o < end) y[o++] = xv[src++]!;
        }
      }
    }
    return output(args, [batch, newH, newW, C], y);
  },
};

/** ResizeNearestNeighborGrad: `dy [N,H',W',C]`, `images [N,H,W,C]` -> dx of images' shape. */
const resizeNearestNeighborGradKernel: FastKernelSpec = {
  kernelName: 'ResizeNearestNeighborGrad',
  create: (stock: KernelFunc): KernelFunc => (args) => {
    const r = resizeGradInputs(args);
    if (r === undefined) return stock(args);
    const { dyv, s } = r;
    const { batch, oldH, oldW, channels: C, newH, newW, rows, cols } = s;
    const dx = allocateOutput(batch * oldH * oldW * C, true);
    let o = 0;
    for (let b = 0; b < batch; b++) {
      for (let r = 0; r < newH; r++) {
        const rowBase = (b * oldH + rows[r]!) * oldW;
        for (let c = 0; c < newW; c++) {
          let dst = (rowBase + cols[c]!) * C;
          const end = o + C;
          while (o < end) {
            dx[dst] = dx[dst]! + dyv[o++]!;
            dst++;
          }
        }
      }
    }
    return output(args, r.shape, dx);
  },
};

/** The resize kernels of this package. */
export const resizeKernels: readonly FastKernelSpec[] = [resizeNearestNeighborKernel, resizeNearestNeighborGradKernel];
