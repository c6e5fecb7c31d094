import { describe, expect, it } from 'vitest';
import { SweepSpecError } from './errors.js';
import { checkSweepName, slugify, sweepId } from './sweep-id.js';

describe('slugify', () => {
  it('makes lowercase [a-z0-9-] with single dashes and no dashes at the ends', () => {
    expect(slugify('Noise vs. Width (v2)')).toBe('noise-vs-width-v2');
    expect(slugify('  Crème brûlée__2024  ')).toBe('creme-brulee-2024');
    expect(slugify('example')).toBe('example');
    expect(slugify('!!!')).toBe('');
  });
});

describe('sweep names', () => {
  it('accepts names that make a 1..64 character slug', () => {
    expect(checkSweepName('x')).toBeUndefined();
    expect(checkSweepName('a'.repeat(64))).toBeUndefined();
    expect(sweepId({ name: 'My Sweep' })).toBe('my-sweep');
  });
  it('refuses path-like, empty and over-long names', () => {
    expect(checkSweepName('a/b')).toMatch(/must not contain "\/"/);
    expect(checkSweepName('a\\b')).toMatch(/must not contain/);
    expect(checkSweepName('v1..v2')).toMatch(/must not contain/);
    expect(checkSweepName('%%%')).toMatch(/at least one letter or digit/);
    expect(checkSweepName('')).toMatch(/at least one letter or digit/);
    expect(checkSweepName('a'.repeat(65))).toMatch(/at most 64/);
    expect(() => sweepId({ name: '../x' })).toThrow(SweepSpecError);
  });
});
