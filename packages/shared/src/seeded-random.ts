import { createHash } from 'node:crypto';
import { Sfc32 } from './sfc32.js';

/**
 * A small deterministic PRNG (sfc32, 128-bit state) seeded from a string through sha256, so
 * the same seed string gives the same sequence on every machine. Not for cryptography.
 */
export class SeededRandom extends Sfc32 {
  constructor(seed: string) {
    const digest = createHash('sha256').update(seed).digest();
    super(digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12));
    // Warm up so that nearby seeds diverge fully (standard for sfc32).
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A real in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67_108_864 + low) / 9_007_199_254_740_992;
  }

  /** An integer in [lo, hi], both inclusive (safe integers). */
  nextInt(lo: number, hi: number): number {
    return Math.min(hi, lo + Math.floor(this.nextFloat() * (hi - lo + 1)));
  }
}
