import { describe, expect, it } from 'vitest';
import { erfc, normalCdf, normalLogPdf, normalPdf } from './normal-distribution.js';

describe('normal distribution', () => {
  it('matches known CDF values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021, 6);
    expect(normalCdf(-3)).toBeCloseTo(0.0013499, 7);
    expect(normalCdf(-3) / 0.0013498980316301).toBeCloseTo(1, 6);
    expect(normalCdf(1) + normalCdf(-1)).toBeCloseTo(1, 7);
  });

  it('keeps erfc accurate to ~1e-7 relative error, deep tails included', () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1) / 0.15729920705028513).toBeCloseTo(1, 6);
    expect(erfc(5) / 1.5374597944280349e-12).toBeCloseTo(1, 6);
    expect(erfc(-1)).toBeCloseTo(2 - 0.15729920705028513, 7);
  });

  it('gives the density and its log', () => {
    expect(normalPdf(0)).toBeCloseTo(0.3989422804, 9);
    expect(normalPdf(1.5)).toBeCloseTo(0.1295175957, 9);
    expect(normalLogPdf(40)).toBeCloseTo(-800 - 0.9189385332, 6);
  });
});
