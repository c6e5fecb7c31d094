import { Sfc32 } from '@denoise-sweep/shared';

/**
 * Seeded random numbers for everything a trial draws (noise, shuffles), so that a trial is
 * reproducible from its seed alone and a resumed trial draws exactly what an uninterrupted
 * one would. sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128 bits of state,
 * passes PractRand, and its state is four uint32 words that serialise trivially.
 */
export interface RngState {
  readonly algorithm: 'sfc32';
  readonly words: readonly [number, number, number, number];
}

/** A named, independent stream of a trial's randomness: `('noise-train', seed)`. */
export class Rng extends Sfc32 {
  /** Second normal of the last Box-Muller pair, or NaN when none is pending. */
  private spareNormal = Number.NaN;

  private constructor(a: number, b: number, c: number, d: number) {
    super(a, b, c, d);
  }

  /** A stream keyed by a seed and any number of labels (stream name, epoch...). */
  static from(seed: number, ...labels: (string | number)[]): Rng {
    let h1 = 0x9e3779b9 ^ (seed >>> 0);
    let h2 = 0x85ebca6b ^ Math.floor(seed / 2 ** 32);
    const key = labels.join('\u0000');
    for (let i = 0; i < key.length; i++) {
      const ch = key.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 0x01000193);
      h2 = Math.imul(h2 ^ ch, 0x5bd1e995);
    }
    const rng = new Rng(h1, h2, h1 ^ 0xdeadbeef, h2 ^ 0x41c64e6d);
    for (let i = 0; i < 16; i++) rng.nextUint32(); // mix the seed in
    return rng;
  }

  static restore(state: RngState): Rng {
    const [a, b, c, d] = state.words;
    return new Rng(a, b, c, d);
  }

  /** The exact state; a restored stream continues where this one is. Pending normals are not kept: save between draws of whole arrays. */
  save(): RngState {
    return { algorithm: 'sfc32', words: this.words() };
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  /** Standard normal, N(0, 1), by Box-Muller. */
  nextNormal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = Number.NaN;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.nextFloat();
    const v = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A Fisher-Yates permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }
}
