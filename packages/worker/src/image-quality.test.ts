import { describe, expect, it } from 'vitest';
import { imageQuality, psnr, ssim } from './image-quality.js';
import { Rng } from './rng.js';

const SIDE = 28;
const PX = SIDE * SIDE;

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

  it('summarises a set of images per image', () => {
    const a = new Float32Array(2 * PX).fill(0.5);
    const b = new Float32Array(2 * PX).fill(0.5);
    b.fill(0.6, PX); // second image: 20 dB, first: identical (100 dB cap)
    const q = imageQuality(b, a, 2, SIDE);
    expect(q.mse).toBeCloseTo(0.005, 6);
    expect(q.psnr).toBeCloseTo(60, 4);
  });
});
