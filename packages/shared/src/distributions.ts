import type { SeededRandom } from './seeded-random.js';
import { SAMPLE_SIGNIFICANT_DIGITS, type Distribution } from './sweep-spec.js';

/** The integers k with k * q in [min, max] (with slack for float error: 0.3 / 0.1 = 2.999...). */
function quantisedRange(min: number, max: number, q: number): { lo: number; hi: number } {
  return { lo: Math.ceil(min / q - 1e-9), hi: Math.floor(max / q + 1e-9) };
}

/** How many multiples of q lie in [min, max]. */
export function quantisedCount(min: number, max: number, q: number): number {
  const { lo, hi } = quantisedRange(min, max, q);
  return Math.max(0, hi - lo + 1);
}

/** How many distinct values a distribution can yield; Infinity for the real-valued ones. */
export function distributionSize(d: Distribution): number {
  switch (d.distribution) {
    case 'int_uniform':
      return d.max - d.min + 1;
    case 'q_uniform':
      return quantisedCount(d.min, d.max, d.q);
    default:
      return Infinity;
  }
}

function roundSignificant(x: number, digits: number): number {
  return Number(x.toPrecision(digits));
}

const clamp = (x: number, min: number, max: number): number => Math.min(max, Math.max(min, x));

/**
 * Draws one value. Reals are rounded to SAMPLE_SIGNIFICANT_DIGITS and clamped into [min, max];
 * q_uniform picks k uniformly among the multiples k*q in range and rounds k*q to 12
 * significant digits to drop float noise (3 * 0.1 -> 0.3).
 */
export function sampleDistribution(d: Distribution, rng: SeededRandom): number {
  switch (d.distribution) {
    case 'uniform':
      return clamp(roundSignificant(d.min + rng.nextFloat() * (d.max - d.min), SAMPLE_SIGNIFICANT_DIGITS), d.min, d.max);
    case 'log_uniform_values': {
      const lo = Math.log(d.min);
      const x = Math.exp(lo + rng.nextFloat() * (Math.log(d.max) - lo));
      return clamp(roundSignificant(x, SAMPLE_SIGNIFICANT_DIGITS), d.min, d.max);
    }
    case 'int_uniform':
      return rng.nextInt(d.min, d.max);
    case 'q_uniform': {
      const { lo, hi } = quantisedRange(d.min, d.max, d.q);
      return clamp(roundSignificant(rng.nextInt(lo, hi) * d.q, 12), d.min, d.max);
    }
  }
}
