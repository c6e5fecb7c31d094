import { describe, expect, it } from 'vitest';
import { refreshDelayMs } from './sweep.js';

describe('the progress view\'s refresh', () => {
  it('reads at the refresh the user set while reads are quick, and spends at most a tenth of its time reading when they are not', () => {
    expect(refreshDelayMs(1000, 40)).toBe(1000);
    expect(refreshDelayMs(1000, 0)).toBe(1000);
    // A 10,000-trial sweep: half a second per read, then 4.5 s of waiting.
    const wait = refreshDelayMs(1000, 500);
    expect(500 / (500 + wait)).toBeCloseTo(0.1, 10);
    expect(refreshDelayMs(10_000, 500)).toBe(10_000);
  });
});
