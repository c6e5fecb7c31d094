/**
 * Image quality of denoised images against clean ones, in plain TypeScript so that every
 * backend reports the same numbers. Images are in [0, 1] (data range 1).
 */

/** Peak signal-to-noise ratio of one image, dB; capped at 100 dB for identical images. */
export function psnr(a: Float32Array, b: Float32Array, offset: number, length: number): number {
  let sum = 0;
  for (let i = offset; i < offset + length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  const mse = sum / length;
  return mse === 0 ? 100 : Math.min(100, -10 * Math.log10(mse));
}

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

/** Separable 'valid' Gaussian filter of a side x side image (side >= 11). */
function blur(src: Float64Array, side: number, tmp: Float64Array, out: Float64Array): void {
  const n = side - SSIM_WINDOW + 1;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < n; x++) {
      let s = 0;
      for (let k = 0; k < SSIM_WINDOW; k++) s += WINDOW[k]! * src[y * side + x + k]!;
      tmp[y * n + x] = s;
    }
  }
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let s = 0;
      for (let k = 0; k < SSIM_WINDOW; k++) s += WINDOW[k]! * tmp[(y + k) * n + x]!;
      out[y * n + x] = s;
    }
  }
}

/**
 * Structural similarity of one side x side image, as tf.image.ssim and Wang et al. (2004):
 * 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, 'valid' filtering, mean of the map.
 */
export function ssim(a: Float32Array, b: Float32Array, offset: number, side: number): number {
  const px = side * side;
  const n = side - SSIM_WINDOW + 1;
  const planes = [0, 1, 2, 3, 4].map(() => new Float64Array(px));
  const [x, y, xx, yy, xy] = planes as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  for (let i = 0; i < px; i++) {
    const va = a[offset + i]!;
    const vb = b[offset + i]!;
    x[i] = va;
    y[i] = vb;
    xx[i] = va * va;
    yy[i] = vb * vb;
    xy[i] = va * vb;
  }
  const tmp = new Float64Array(side * n);
  const blurred = planes.map((p) => {
    const out = new Float64Array(n * n);
    blur(p, side, tmp, out);
    return out;
  }) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const [mx, my, mxx, myy, mxy] = blurred;
  let total = 0;
  for (let i = 0; i < n * n; i++) {
    const muX = mx[i]!;
    const muY = my[i]!;
    const varX = mxx[i]! - muX * muX;
    const varY = myy[i]! - muY * muY;
    const cov = mxy[i]! - muX * muY;
    total += ((2 * muX * muY + C1) * (2 * cov + C2)) / ((muX * muX + muY * muY + C1) * (varX + varY + C2));
  }
  return total / (n * n);
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
  let sq = 0;
  let psnrSum = 0;
  let ssimSum = 0;
  for (let i = 0; i < count; i++) {
    const off = i * px;
    for (let j = off; j < off + px; j++) {
      const d = images[j]! - reference[j]!;
      sq += d * d;
    }
    psnrSum += psnr(images, reference, off, px);
    ssimSum += ssim(images, reference, off, side);
  }
  return { mse: sq / (count * px), psnr: psnrSum / count, ssim: ssimSum / count };
}
