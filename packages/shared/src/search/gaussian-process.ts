import { CholeskyDecomposition, Matrix } from 'ml-matrix';

/**
 * A zero-mean Gaussian process on the unit cube with an isotropic Matern nu = 1.5 kernel, the
 * kernel W&B's bayes search uses: smooth enough to interpolate losses, rough enough not to
 * overshoot between trials. Targets are expected standardized (mean 0,
 * variance 1), so the kernel's amplitude is 1 and only the length scale is fitted.
 */
export interface GaussianProcess {
  x: number[][];
  lengthScale: number;
  cholesky: CholeskyDecomposition;
  /** (K + noise I)^-1 y. */
  alpha: Matrix;
  logMarginalLikelihood: number;
}

/** Noise added to the kernel's diagonal: the losses are treated as nearly exact. */
const GP_NOISE = 1e-7;
/** Times the noise is raised tenfold when the kernel matrix is not numerically positive definite. */
const JITTER_RETRIES = 10;
/** Length scales tried when fitting, log-spaced: from very local to nearly linear. */
export const LENGTH_SCALE_GRID: readonly number[] = Array.from({ length: 20 }, (_, i) => 0.01 * 1000 ** (i / 19));

const SQRT3 = Math.sqrt(3);

/** Matern nu = 1.5 correlation at distance r for length scale l. */
export function matern32(r: number, l: number): number {
  const s = (SQRT3 * r) / l;
  return (1 + s) * Math.exp(-s);
}

function distance(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(sum);
}

/** Cross-kernel matrix, rows = a, columns = b. */
function kernelMatrix(a: readonly number[][], b: readonly number[][], l: number): Matrix {
  const k = new Matrix(a.length, b.length);
  a.forEach((p, i) => b.forEach((q, j) => k.set(i, j, matern32(distance(p, q), l))));
  return k;
}

/** Cholesky of K + noise I, raising the noise tenfold until it succeeds. */
function choleskyWithJitter(x: readonly number[][], l: number): CholeskyDecomposition {
  const k = kernelMatrix(x, x, l);
  let noise = GP_NOISE;
  for (let attempt = 0; attempt <= JITTER_RETRIES; attempt++) {
    const noisy = k.clone();
    for (let i = 0; i < x.length; i++) noisy.set(i, i, noisy.get(i, i) + noise);
    const cholesky = new CholeskyDecomposition(noisy);
    if (cholesky.isPositiveDefinite()) return cholesky;
    noise *= 10;
  }
  throw new Error('Gaussian process: the kernel matrix is not positive definite even with jitter');
}

/** The GP through points x with standardized targets y at length scale l. */
export function fitGaussianProcess(x: number[][], y: readonly number[], lengthScale: number): GaussianProcess {
  const cholesky = choleskyWithJitter(x, lengthScale);
  const alpha = cholesky.solve(Matrix.columnVector([...y]));
  const L = cholesky.lowerTriangularMatrix;
  let fit = 0;
  let logDet = 0;
  y.forEach((yi, i) => {
    fit += yi * alpha.get(i, 0);
    logDet += Math.log(L.get(i, i));
  });
  const logMarginalLikelihood = -0.5 * fit - logDet - 0.5 * y.length * Math.log(2 * Math.PI);
  return { x, lengthScale, cholesky, alpha, logMarginalLikelihood };
}

/** The GP whose length scale (from LENGTH_SCALE_GRID, first on ties) maximizes the log marginal likelihood. */
export function fitBestGaussianProcess(x: number[][], y: readonly number[]): GaussianProcess {
  let best: GaussianProcess | undefined;
  for (const l of LENGTH_SCALE_GRID) {
    const gp = fitGaussianProcess(x, y, l);
    if (best === undefined || gp.logMarginalLikelihood > best.logMarginalLikelihood) best = gp;
  }
  if (best === undefined) throw new Error('internal: empty length-scale grid');
  return best;
}

/** Posterior mean and standard deviation of the latent function at each point. */
export function predict(gp: GaussianProcess, points: number[][]): { mean: number[]; std: number[] } {
  if (points.length === 0) return { mean: [], std: [] };
  const cross = kernelMatrix(gp.x, points, gp.lengthScale); // n x m
  const solved = gp.cholesky.solve(cross); // (K + noise I)^-1 cross
  const mean: number[] = [];
  const std: number[] = [];
  for (let j = 0; j < points.length; j++) {
    let mu = 0;
    let explained = 0;
    for (let i = 0; i < gp.x.length; i++) {
      const kij = cross.get(i, j);
      mu += kij * gp.alpha.get(i, 0);
      explained += kij * solved.get(i, j);
    }
    mean.push(mu);
    std.push(Math.sqrt(Math.max(0, 1 - explained)));
  }
  return { mean, std };
}
