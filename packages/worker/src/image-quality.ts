/**
 * Image quality of denoised images against clean ones, in plain TypeScript so that every
 * backend reports the same numbers (the native cpu kernels, where they serve, compute the
 * per-image values with the same operations in the same order: the same bits, on every
 * core). Images are in [0, 1] (data range 1).
 */
import { nativeImageQuality } from '@denoise-sweep/tfjs-cpu-kernels';

/** Peak signal-to-noise ratio of one image, dB; capped at 100 dB for identical images. */
export function psnr(a: Float32Array, b: Float32Array, offset: number, length: number): number {
  return psnrOfMse(squaredError(a, b, offset, length) / length);
}

/** The sum of squared differences of `length` values from `offset`, in double. */
function squaredError(a: Float32Array, b: Float32Array, offset: number, length: number): number {
  let sum = 0;
  for (let i = offset; i < offset + length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return sum;
}

const psnrOfMse = (mse: number): number => (mse === 0 ? 100 : Math.min(100, -10 * Math.log10(mse)));

const SSIM_WINDOW = 11;
const SSIM_SIGMA = 1.5;
const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;

function gaussianWindow(size: number, sigma: number): Float64Array {
  const w = new Float64Array(size);
  const centre = (size - 1) / 2;
  let total = 0;
  for (let i = 0; i < size; i++) {
    w[i] = Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma));
    total += w[i]!;
  }
  for (let i = 0; i < size; i++) w[i]! /= total;
  return w;
}

const WINDOW = gaussianWindow(SSIM_WINDOW, SSIM_SIGMA);

const HALF = (SSIM_WINDOW - 1) / 2;
/** The window's taps from either end to the centre: the window is symmetric. */
const W = Array.from({ length: HALF + 1 }, (_, k) => WINDOW[k]!);

/** Scratch space for one side x side image, reused from image to image. */
interface SsimScratch {
  side: number;
  /** a, b, a*a, b*b, a*b of the current row. */
  row: Float64Array;
  /** The row-filtered planes: 5 quantities x side rows x n columns. */
  h: Float64Array;
}

function ssimScratch(side: number): SsimScratch {
  if (side < SSIM_WINDOW) throw new RangeError(`SSIM needs images of at least ${SSIM_WINDOW} x ${SSIM_WINDOW} pixels, got ${side} x ${side}`);
  const n = side - SSIM_WINDOW + 1;
  return { side, row: new Float64Array(5 * side), h: new Float64Array(5 * side * n) };
}

/**
 * SSIM of one image, in two passes with no allocation: each row is filtered for the five
 * quantities at once (the window folded in half, being symmetric), then each column of the
 * filtered planes, straight into the map's mean.
 */
function ssimWith(scratch: SsimScratch, a: Float32Array, b: Float32Array, offset: number): number {
  const { side, row, h } = scratch;
  const n = side - SSIM_WINDOW + 1;
  const plane = side * n;
  const [w0, w1, w2, w3, w4, w5] = W as [number, number, number, number, number, number];
  for (let y = 0; y < side; y++) {
    const base = offset + y * side;
    for (let i = 0; i < side; i++) {
      const va = a[base + i]!;
      const vb = b[base + i]!;
      row[i] = va;
      row[side + i] = vb;
      row[2 * side + i] = va * va;
      row[3 * side + i] = vb * vb;
      row[4 * side + i] = va * vb;
    }
    for (let q = 0; q < 5; q++) {
      const r = q * side;
      const o = q * plane + y * n;
      for (let x = 0; x < n; x++) {
        const p = r + x;
        h[o + x] = w0 * (row[p]! + row[p + 10]!) + w1 * (row[p + 1]! + row[p + 9]!) + w2 * (row[p + 2]! + row[p + 8]!)
          + w3 * (row[p + 3]! + row[p + 7]!) + w4 * (row[p + 4]! + row[p + 6]!) + w5 * row[p + 5]!;
      }
    }
  }
  const col = (o: number): number => w0 * (h[o]! + h[o + 10 * n]!) + w1 * (h[o + n]! + h[o + 9 * n]!) + w2 * (h[o + 2 * n]! + h[o + 8 * n]!)
    + w3 * (h[o + 3 * n]! + h[o + 7 * n]!) + w4 * (h[o + 4 * n]! + h[o + 6 * n]!) + w5 * h[o + 5 * n]!;
  let total = 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const o = y * n + x;
      const muX = col(o);
      const muY = col(plane + o);
      const varX = col(2 * plane + o) - muX * muX;
      const varY = col(3 * plane + o) - muY * muY;
      const cov = col(4 * plane + o) - muX * muY;
      total += ((2 * muX * muY + C1) * (2 * cov + C2)) / ((muX * muX + muY * muY + C1) * (varX + varY + C2));
    }
  }
  return total / (n * n);
}

/**
 * Structural similarity of one side x side image, as tf.image.ssim, scikit-image
 * (gaussian_weights, sigma 1.5, data_range 1) and Wang et al. (2004): 11x11 Gaussian window,
 * sigma 1.5, K1 0.01, K2 0.03, 'valid' filtering, mean of the map.
 */
export function ssim(a: Float32Array, b: Float32Array, offset: number, side: number): number {
  return ssimWith(ssimScratch(side), a, b, offset);
}

export interface QualitySummary {
  /** Mean squared error over every pixel. */
  mse: number;
  /** Mean over images of each image's PSNR, dB. */
  psnr: number;
  /** Mean over images of each image's SSIM. */
  ssim: number;
}

/** MSE, mean PSNR and mean SSIM of `count` side x side images against their references. */
export function imageQuality(images: Float32Array, reference: Float32Array, count: number, side: number): QualitySummary {
  const px = side * side;
  const scratch = ssimScratch(side);
  // Per image: the squared error and the SSIM, from the native kernels on their threads where
  // they serve (the same operations in the same order, so the same bits), else here.
  const sqs = new Float64Array(count);
  const ssims = new Float64Array(count);
  const native = nativeImageQuality();
  if (native !== undefined && count > 0) {
    native(images, reference, count, side, Float64Array.from(W), Float64Array.of(C1, C2), sqs, ssims);
  } else {
    for (let i = 0; i < count; i++) {
      sqs[i] = squaredError(images, reference, i * px, px);
      ssims[i] = ssimWith(scratch, images, reference, i * px);
    }
  }
  let sq = 0;
  let psnrSum = 0;
  let ssimSum = 0;
  for (let i = 0; i < count; i++) {
    sq += sqs[i]!;
    psnrSum += psnrOfMse(sqs[i]! / px);
    ssimSum += ssims[i]!;
  }
  return { mse: sq / (count * px), psnr: psnrSum / count, ssim: ssimSum / count };
}
