import { readFileSync } from 'node:fs';
import { nativeKernelStatus, registerFastCpuKernels, unregisterFastCpuKernels } from '@denoise-sweep/tfjs-cpu-kernels';
import { describe, expect, it } from 'vitest';
import { DEBIAN_FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.js';
import { imageQuality, psnr, ssim } from './image-quality.js';
import { Rng } from './rng.js';

const SIDE = 28;
const PX = SIDE * SIDE;

/**
 * SSIM as its definition reads, for comparison: five full planes, each filtered with the
 * whole 11-tap Gaussian along rows then columns, then the map's mean.
 */
function directSsim(a: Float32Array, b: Float32Array, offset: number, side: number): number {
  const w = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5)));
  const total = w.reduce((s, v) => s + v, 0);
  const win = w.map((v) => v / total);
  const n = side - 10;
  const px = (img: Float32Array, y: number, x: number) => img[offset + y * side + x]!;
  const quantities = [
    (y: number, x: number) => px(a, y, x),
    (y: number, x: number) => px(b, y, x),
    (y: number, x: number) => px(a, y, x) * px(a, y, x),
    (y: number, x: number) => px(b, y, x) * px(b, y, x),
    (y: number, x: number) => px(a, y, x) * px(b, y, x),
  ];
  const filtered = quantities.map((f) => (y: number, x: number) => {
    let s = 0;
    for (let i = 0; i < 11; i++) {
      let r = 0;
      for (let j = 0; j < 11; j++) r += win[j]! * f(y + i, x + j);
      s += win[i]! * r;
    }
    return s;
  });
  let sum = 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const [mx, my, mxx, myy, mxy] = filtered.map((f) => f(y, x)) as [number, number, number, number, number];
      sum += ((2 * mx * my + 0.01 ** 2) * (2 * (mxy - mx * my) + 0.03 ** 2)) / ((mx * mx + my * my + 0.01 ** 2) * (mxx - mx * mx + myy - my * my + 0.03 ** 2));
    }
  }
  return sum / (n * n);
}

interface ReferencePair {
  image: number;
  kind: 'next' | 'noise-0.1' | 'noise-0.5';
  ssim: number;
  psnr: number;
}

/** The perturbed copy scripts/ssim-reference.py builds: integer-hash noise, exact in any language. */
function perturbed(clean: Float32Array, offset: number, i: number, amplitude: number): Float32Array {
  return Float32Array.from({ length: PX }, (_, p) => {
    const noise = ((p * 7919 + i * 104729) % 256) / 255 - 0.5;
    return Math.min(1, Math.max(0, clean[offset + p]! + amplitude * noise));
  });
}

function randomImage(seed: number): Float32Array {
  const rng = Rng.from(seed, 'img');
  return Float32Array.from({ length: PX }, () => rng.nextFloat());
}

describe('image quality', () => {
  it('PSNR follows its definition', () => {
    const a = new Float32Array(PX).fill(0.5);
    const b = new Float32Array(PX).fill(0.6); // mse 0.01 -> 20 dB
    expect(psnr(a, b, 0, PX)).toBeCloseTo(20, 4);
    expect(psnr(a, a, 0, PX)).toBe(100);
  });

  it('SSIM of an image with itself is 1, and it is symmetric', () => {
    const a = randomImage(1);
    const b = randomImage(2);
    expect(ssim(a, a, 0, SIDE)).toBeCloseTo(1, 10);
    expect(ssim(a, b, 0, SIDE)).toBeCloseTo(ssim(b, a, 0, SIDE), 12);
    expect(ssim(a, b, 0, SIDE)).toBeLessThan(0.2);
  });

  it('SSIM of constant images is the luminance term alone', () => {
    const c1 = 0.2;
    const c2 = 0.7;
    const expected = (2 * c1 * c2 + 0.01 ** 2) / (c1 * c1 + c2 * c2 + 0.01 ** 2);
    expect(ssim(new Float32Array(PX).fill(c1), new Float32Array(PX).fill(c2), 0, SIDE)).toBeCloseTo(expected, 6);
  });

  it('SSIM falls as noise grows', () => {
    const clean = randomImage(3);
    const rng = Rng.from(4, 'noise');
    const noisy = (sigma: number) => clean.map((v) => Math.min(1, Math.max(0, v + sigma * rng.nextNormal())));
    const scores = [0.05, 0.2, 0.5].map((s) => ssim(noisy(s), clean, 0, SIDE));
    expect(scores[0]).toBeGreaterThan(scores[1]!);
    expect(scores[1]).toBeGreaterThan(scores[2]!);
  });

  it('SSIM equals its direct computation (five full planes, unfolded window) to 1e-12', () => {
    const rng = Rng.from(5, 'noise');
    for (let seed = 0; seed < 20; seed++) {
      const a = randomImage(100 + seed);
      const b = seed % 2 === 0 ? randomImage(200 + seed) : a.map((v) => Math.min(1, Math.max(0, v + 0.1 * rng.nextNormal())));
      expect(Math.abs(ssim(a, b, 0, SIDE) - directSsim(a, b, 0, SIDE))).toBeLessThan(1e-12);
    }
    // An image at an offset in a batch, and a side other than 28.
    const batch = new Float32Array(3 * PX).map((_, i) => ((i * 37) % 101) / 100);
    const other = batch.map((v, i) => (i % 7 === 0 ? 1 - v : v));
    expect(Math.abs(ssim(batch, other, 2 * PX, SIDE) - directSsim(batch, other, 2 * PX, SIDE))).toBeLessThan(1e-12);
    expect(Math.abs(ssim(batch, other, 0, 16) - directSsim(batch, other, 0, 16))).toBeLessThan(1e-12);
    expect(() => ssim(batch, other, 0, 10)).toThrow(/at least 11 x 11/);
  });

  it('SSIM and PSNR match scikit-image on Fashion-MNIST pairs to 1e-6 (scripts/ssim-reference.py)', async () => {
    const reference = JSON.parse(readFileSync(new URL('./image-quality.reference.json', import.meta.url), 'utf8')) as { pairs: ReferencePair[] };
    expect(reference.pairs.length).toBe(36);
    const { test } = await loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR, trainLimit: 1, testLimit: 13 });
    for (const pair of reference.pairs) {
      const off = pair.image * PX;
      const a = test.images.slice(off, off + PX);
      const b = pair.kind === 'next' ? test.images.slice(off + PX, off + 2 * PX) : perturbed(test.images, off, pair.image, pair.kind === 'noise-0.1' ? 0.1 : 0.5);
      expect(Math.abs(ssim(b, a, 0, SIDE) - pair.ssim), `${pair.kind} ${pair.image}`).toBeLessThan(1e-6);
      expect(Math.abs(imageQuality(b, a, 1, SIDE).ssim - pair.ssim)).toBeLessThan(1e-6);
      expect(Math.abs(psnr(b, a, 0, PX) - pair.psnr)).toBeLessThan(1e-6);
    }
  });

  it.runIf(nativeKernelStatus().available)('the native kernels summarise Fashion-MNIST pairs with the same bits as TypeScript', async () => {
    const count = 64;
    const { test } = await loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR, trainLimit: 1, testLimit: count + 1 });
    const clean = test.images.slice(0, count * PX);
    const rng = Rng.from(9, 'quality');
    const noisy = clean.map((v) => Math.min(1, Math.max(0, v + 0.3 * rng.nextNormal())));
    const shifted = test.images.slice(PX, (count + 1) * PX);
    for (const [images, n, side] of [[noisy, count, SIDE], [shifted, count, SIDE], [noisy, 3, 16]] as const) {
      const inTypeScript = imageQuality(images, clean, n, side);
      registerFastCpuKernels({ native: 'required' });
      try {
        expect(imageQuality(images, clean, n, side)).toEqual(inTypeScript);
      } finally {
        unregisterFastCpuKernels();
      }
    }
  });

  it('summarises a set of images per image', () => {
    const a = new Float32Array(2 * PX).fill(0.5);
    const b = new Float32Array(2 * PX).fill(0.5);
    b.fill(0.6, PX); // second image: 20 dB, first: identical (100 dB cap)
    const q = imageQuality(b, a, 2, SIDE);
    expect(q.mse).toBeCloseTo(0.005, 6);
    expect(q.psnr).toBeCloseTo(60, 4);
  });
});
