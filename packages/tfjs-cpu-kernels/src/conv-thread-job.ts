/**
 * The work unit a convolution helper thread runs: a range of output pixels of a forward
 * convolution or of a filter gradient, on arrays backed by SharedArrayBuffers.
 */
import { convFilterGradientRows, convForwardRows } from './conv-core.js';
import type { ConvGeometry } from './conv-geometry.js';

export interface ConvThreadJob {
  op: 'forward' | 'filterGradient';
  g: ConvGeometry;
  /** Forward: x. Filter gradient: x. */
  a: Float32Array;
  /** Forward: filter. Filter gradient: dy. */
  b: Float32Array;
  /** Forward: y (rows written). Filter gradient: a zeroed partial dW (accumulated). */
  out: Float32Array;
  mStart: number;
  mEnd: number;
}

export function runConvThreadJob(job: ConvThreadJob): void {
  if (job.op === 'forward') {
    convForwardRows(job.a, job.b, job.g, job.out, job.mStart, job.mEnd);
  } else {
    convFilterGradientRows(job.a, job.b, job.g, job.mStart, job.mEnd, job.out);
  }
}
