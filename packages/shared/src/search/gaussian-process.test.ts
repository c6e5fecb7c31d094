import { describe, expect, it } from 'vitest';
import { fitBestGaussianProcess, fitGaussianProcess, LENGTH_SCALE_GRID, matern32, predict } from './gaussian-process.js';

describe('Gaussian process', () => {
  it('uses the Matern 3/2 kernel and a log-spaced length-scale grid from 0.01 to 10', () => {
    expect(matern32(0, 0.5)).toBe(1);
    expect(matern32(0.5, 0.5)).toBeCloseTo((1 + Math.sqrt(3)) * Math.exp(-Math.sqrt(3)), 12);
    expect(LENGTH_SCALE_GRID).toHaveLength(20);
    expect(LENGTH_SCALE_GRID[0]).toBeCloseTo(0.01, 12);
    expect(LENGTH_SCALE_GRID[19]).toBeCloseTo(10, 10);
  });

  it('interpolates its training points and reverts to the prior far from them', () => {
    const gp = fitGaussianProcess([[0.1], [0.2]], [1, -1], 0.05);
    const { mean, std } = predict(gp, [[0.1], [0.2], [0.9]]);
    expect(mean[0]).toBeCloseTo(1, 4);
    expect(mean[1]).toBeCloseTo(-1, 4);
    expect(std[0]).toBeLessThan(1e-3);
    expect(mean[2]).toBeCloseTo(0, 4);
    expect(std[2]).toBeCloseTo(1, 4);
  });

  it('picks a long length scale for smooth data and a short one for rough data', () => {
    const xs = Array.from({ length: 12 }, (_, i) => [i / 11]);
    const smooth = fitBestGaussianProcess(xs, xs.map(([x]) => 2 * (x as number) - 1));
    const rough = fitBestGaussianProcess(xs, xs.map((_, i) => (i % 2 === 0 ? 1 : -1)));
    expect(smooth.lengthScale).toBeGreaterThan(0.5);
    expect(rough.lengthScale).toBeLessThan(0.1);
    expect(smooth.logMarginalLikelihood).toBeGreaterThan(fitGaussianProcess(xs, xs.map(([x]) => 2 * (x as number) - 1), 0.01).logMarginalLikelihood);
  });

  it('survives duplicate points by adding jitter', () => {
    const gp = fitGaussianProcess([[0.3, 0.3], [0.3, 0.3], [0.7, 0.1]], [0.5, 0.5, -1], 10);
    const { mean } = predict(gp, [[0.3, 0.3]]);
    expect(mean[0]).toBeCloseTo(0.5, 2);
  });
});
