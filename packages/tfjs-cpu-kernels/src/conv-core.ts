/**
 * Stride-1, dilation-1 NHWC convolution by im2col + packed GEMM, forward and both gradients.
 *
 * Pixels are processed in blocks so the im2col matrix of one block stays in cache and the
 * scratch memory is small whatever the batch. Filters are `[fh, fw, inC, outC]` as in tfjs,
 * so the reduction index of the im2col matrix is `k = (fy * fw + fx) * inC + ci`.
 */
import { directConvFilterGradient, directConvForward } from './conv-direct.js';
import { gemmPacked, packColumns, packedLength, PANEL } from './gemm.js';
import type { ConvGeometry } from './conv-geometry.js';
import { scratch } from './scratch-buffers.js';

export type { ConvGeometry } from './conv-geometry.js';


/** Elements of the im2col block aimed at: about 256 KB of float32, a slice of L2. */
const BLOCK_ELEMENTS = 64 * 1024;

function pixelBlock(k: number, max: number): number {
  const rows = Math.max(PANEL * 4, Math.floor(BLOCK_ELEMENTS / Math.max(1, k) / PANEL) * PANEL);
  return Math.min(rows, Math.ceil(max / PANEL) * PANEL);
}

/**
 * Writes the im2col rows of pixels `[m0, m0 + mb)` into `ap` so that the pixel index is the
 * GEMM's P dimension: `ap[((p >> 2) * K + k) * 4 + (p & 3)]`.
 */
function packPixelsAsP(x: Float32Array, g: ConvGeometry, m0: number, mb: number, ap: Float32Array): void {
  const { inH, inW, inC, outH, outW, fh, fw, padTop, padLeft } = g;
  const K = fh * fw * inC;
  const perImage = outH * outW;
  for (let p = 0; p < mb; p++) {
    const m = m0 + p;
    const b = Math.floor(m / perImage);
    const rem = m - b * perImage;
    const oy = Math.floor(rem / outW);
    const ox = rem - oy * outW;
    let o = (p >> 2) * K * PANEL + (p & 3);
    for (let fy = 0; fy < fh; fy++) {
      const iy = oy - padTop + fy;
      const rowInside = iy >= 0 && iy < inH;
      for (let fx = 0; fx < fw; fx++) {
        const ix = ox - padLeft + fx;
        if (rowInside && ix >= 0 && ix < inW) {
          let src = ((b * inH + iy) * inW + ix) * inC;
          const end = src + inC;
          while (src < end) {
            ap[o] = x[src++]!;
            o += PANEL;
          }
        } else {
          for (let ci = 0; ci < inC; ci++, o += PANEL) ap[o] = 0;
        }
      }
    }
  }
}

/**
 * Writes the im2col rows of pixels `[m0, m0 + mb)` into `ap` so that the pixel index is the
 * GEMM's reduction dimension: `ap[((k >> 2) * mb + s) * 4 + (k & 3)]`.
 */
function packPixelsAsS(x: Float32Array, g: ConvGeometry, m0: number, mb: number, ap: Float32Array): void {
  const { inH, inW, inC, outH, outW, fh, fw, padTop, padLeft } = g;
  const perImage = outH * outW;
  const panelStride = mb * PANEL;
  for (let s = 0; s < mb; s++) {
    const m = m0 + s;
    const b = Math.floor(m / perImage);
    const rem = m - b * perImage;
    const oy = Math.floor(rem / outW);
    const ox = rem - oy * outW;
    const sBase = s * PANEL;
    let k = 0;
    for (let fy = 0; fy < fh; fy++) {
      const iy = oy - padTop + fy;
      const rowInside = iy >= 0 && iy < inH;
      for (let fx = 0; fx < fw; fx++) {
        const ix = ox - padLeft + fx;
        if (rowInside && ix >= 0 && ix < inW) {
          const src = ((b * inH + iy) * inW + ix) * inC;
          for (let ci = 0; ci < inC; ci++, k++) ap[(k >> 2) * panelStride + sBase + (k & 3)] = x[src + ci]!;
        } else {
          for (let ci = 0; ci < inC; ci++, k++) ap[(k >> 2) * panelStride + sBase + (k & 3)] = 0;
        }
      }
    }
  }
}

/** Number of output pixels (GEMM rows) of a convolution. */
export function pixelCount(g: ConvGeometry): number {
  return g.batch * g.outH * g.outW;
}

/**
 * Forward convolution: `y[m, co] = sum_k im2col(x)[m, k] * filter[k, co]`, written to `y`
 * (`[batch, outH, outW, outC]`, fully overwritten).
 */
export function convForward(x: Float32Array, filter: Float32Array, g: ConvGeometry, y: Float32Array): void {
  const M = pixelCount(g);
  if (M > 0 && g.outC > 0 && g.outC < PANEL && g.fh * g.fw * g.inC > 0) {
    directConvForward(x, filter, g, y);
    return;
  }
  convForwardRows(x, filter, g, y, 0, M);
}

/** {@link convForward} for output pixels `[mStart, mEnd)` only, by packed GEMM. */
export function convForwardRows(
  x: Float32Array,
  filter: Float32Array,
  g: ConvGeometry,
  y: Float32Array,
  mStart: number,
  mEnd: number,
): void {
  const K = g.fh * g.fw * g.inC;
  if (mEnd <= mStart || g.outC === 0) return;
  if (K === 0) {
    y.fill(0, mStart * g.outC, mEnd * g.outC);
    return;
  }
  const bp = scratch('conv.filter', packedLength(K, g.outC));
  packColumns(filter, 0, g.outC, K, g.outC, bp);
  const mbMax = pixelBlock(K, mEnd - mStart);
  const ap = scratch('conv.im2col', packedLength(K, mbMax));
  for (let m0 = mStart; m0 < mEnd; m0 += mbMax) {
    const mb = Math.min(mbMax, mEnd - m0);
    packPixelsAsP(x, g, m0, mb, ap);
    gemmPacked(ap, bp, K, mb, g.outC, y, m0 * g.outC, g.outC, false);
  }
}

/**
 * Filter gradient: `dW[k, co] = sum_m im2col(x)[m, k] * dy[m, co]`, returned as a new
 * `[fh, fw, inC, outC]` array.
 */
export function convFilterGradient(x: Float32Array, dy: Float32Array, g: ConvGeometry): Float32Array {
  const M = pixelCount(g);
  if (M > 0 && g.outC > 0 && g.outC < PANEL) return directConvFilterGradient(x, dy, g);
  const dw = new Float32Array(g.fh * g.fw * g.inC * g.outC);
  convFilterGradientRows(x, dy, g, 0, M, dw);
  return dw;
}

/** Adds the filter gradient of output pixels `[mStart, mEnd)` to `dw`, by packed GEMM. */
export function convFilterGradientRows(
  x: Float32Array,
  dy: Float32Array,
  g: ConvGeometry,
  mStart: number,
  mEnd: number,
  dw: Float32Array,
): void {
  const K = g.fh * g.fw * g.inC;
  if (mEnd <= mStart || K === 0 || g.outC === 0) return;
  const mbMax = Math.min(256, Math.ceil((mEnd - mStart) / PANEL) * PANEL);
  const ap = scratch('conv.im2col', packedLength(mbMax, K));
  const bp = scratch('conv.dy', packedLength(mbMax, g.outC));
  for (let m0 = mStart; m0 < mEnd; m0 += mbMax) {
    const mb = Math.min(mbMax, mEnd - m0);
    packPixelsAsS(x, g, m0, mb, ap);
    packColumns(dy, m0 * g.outC, g.outC, mb, g.outC, bp);
    gemmPacked(ap, bp, mb, K, g.outC, dw, 0, g.outC, true);
  }
}

/**
 * The input gradient as a forward convolution: of `dy` with the filter rotated by 180
 * degrees and its channel axes swapped (written to `flipped`), padded by `f - 1 - pad`.
 * Returns the geometry of that convolution.
 */
export function transposedConvolution(filter: Float32Array, g: ConvGeometry, flipped: Float32Array): ConvGeometry {
  const { fh, fw, inC, outC } = g;
  for (let fy = 0; fy < fh; fy++) {
    for (let fx = 0; fx < fw; fx++) {
      const src = ((fh - 1 - fy) * fw + (fw - 1 - fx)) * inC * outC;
      const dst = (fy * fw + fx) * outC * inC;
      for (let ci = 0; ci < inC; ci++) {
        for (let co = 0; co < outC; co++) flipped[dst + co * inC + ci] = filter[src + ci * outC + co]!;
      }
    }
  }
  return {
    batch: g.batch,
    inH: g.outH,
    inW: g.outW,
    inC: outC,
    outH: g.inH,
    outW: g.inW,
    outC: inC,
    fh,
    fw,
    padTop: fh - 1 - g.padTop,
    padLeft: fw - 1 - g.padLeft,
  };
}

/** Input gradient `dx` (`[batch, inH, inW, inC]`), see {@link transposedConvolution}. */
export function convInputGradient(dy: Float32Array, filter: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const flipped = scratch('conv.flipped', g.fh * g.fw * g.inC * g.outC);
  convForward(dy, flipped, transposedConvolution(filter, g, flipped), dx);
}
