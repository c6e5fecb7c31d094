/**
 * The standard normal distribution, for the samplers' acquisition functions and Parzen
 * estimators. JavaScript has no erf, so the CDF uses Numerical Recipes' Chebyshev fit of erfc
 * (relative error below 1.2e-7 everywhere), accurate enough in the tails that expected
 * improvement and truncated-normal normalisers never collapse to 0 or 1 too early.
 */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** The complementary error function erfc(x) = 1 - erf(x) (Numerical Recipes erfcc). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
    + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
    + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(poly);
  return x >= 0 ? r : 2 - r;
}

/** P(Z <= x) for a standard normal Z. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** The standard normal density at x. */
export function normalPdf(x: number): number {
  return Math.exp(normalLogPdf(x));
}

/** The log of the standard normal density at x (finite far into the tails, unlike log(normalPdf(x))). */
export function normalLogPdf(x: number): number {
  return -0.5 * x * x - LOG_SQRT_2PI;
}
