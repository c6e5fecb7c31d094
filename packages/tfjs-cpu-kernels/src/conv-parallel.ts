/**
 * The convolutions split across helper threads when the package is registered with
 * `threads > 1`: output pixels are divided evenly between the threads; filter gradients
 * are summed from per-thread partials. Small problems stay on the calling thread.
 */
import { convFilterGradient, convForward, convInputGradient, pixelCount, transposedConvolution } from './conv-core.js';
import type { ConvGeometry } from './conv-geometry.js';
import { PANEL } from './gemm.js';
import { ConvThreadPool } from './conv-thread-pool.js';
import type { ConvThreadJob } from './conv-thread-job.js';

/** Below this many multiply-adds, thread hand-off costs more than it saves. */
const MIN_PARALLEL_MACS = 4_000_000;

let threads = 1;
let pool: ConvThreadPool | undefined;

/** Sets the number of threads convolutions use (1: no helper threads). */
export function setConvThreads(count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`threads must be a positive integer, got ${count}`);
  if (count === threads) return;
  stopConvThreads();
  threads = count;
}

/** Stops the helper threads, if any; they restart on demand. */
export function stopConvThreads(): void {
  if (pool !== undefined) void pool.terminate();
  pool = undefined;
}

/** The number of threads convolutions use. */
export function convThreads(): number {
  return threads;
}

function poolFor(g: ConvGeometry): ConvThreadPool | undefined {
  if (threads < 2 || g.outC < PANEL) return undefined;
  const M = pixelCount(g);
  if (M < threads * PANEL || M * g.fh * g.fw * g.inC * g.outC < MIN_PARALLEL_MACS) return undefined;
  if (pool?.broken === true) {
    // A helper died mid-job: that kernel call failed; later ones get fresh helpers.
    void pool.terminate();
    pool = undefined;
  }
  if (pool === undefined) {
    try {
      pool = new ConvThreadPool(threads);
    } catch (error) {
      // A kernel must not fail because helpers cannot start: say so once, go on with one thread.
      console.warn(`tfjs-cpu-kernels: running convolutions on one thread: ${error instanceof Error ? error.message : String(error)}`);
      threads = 1;
      return undefined;
    }
  }
  return pool;
}

function ranges(total: number, parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, i) => [Math.floor((total * i) / parts), Math.floor((total * (i + 1)) / parts)]);
}

/** {@link convForward}, on the helper threads when worthwhile. */
export function parallelConvForward(x: Float32Array, filter: Float32Array, g: ConvGeometry, y: Float32Array): void {
  const p = poolFor(g);
  if (p === undefined) {
    convForward(x, filter, g, y);
    return;
  }
  const a = p.share('a', x);
  const b = p.share('b', filter);
  const out = p.sharedArray('out', y.length);
  p.run(ranges(pixelCount(g), p.threads).map(([mStart, mEnd]): ConvThreadJob => ({ op: 'forward', g, a, b, out, mStart, mEnd })));
  y.set(out);
}

/** {@link convFilterGradient}, on the helper threads when worthwhile. */
export function parallelConvFilterGradient(x: Float32Array, dy: Float32Array, g: ConvGeometry): Float32Array {
  const p = poolFor(g);
  if (p === undefined) return convFilterGradient(x, dy, g);
  const size = g.fh * g.fw * g.inC * g.outC;
  const a = p.share('a', x);
  const b = p.share('b', dy);
  const partials = ranges(pixelCount(g), p.threads).map(([mStart, mEnd], i): ConvThreadJob => {
    const out = i === 0 ? new Float32Array(size) : p.sharedArray(`partial${i}`, size).fill(0);
    return { op: 'filterGradient', g, a, b, out, mStart, mEnd };
  });
  p.run(partials);
  const dw = partials[0]!.out;
  for (const job of partials.slice(1)) {
    for (let i = 0; i < size; i++) dw[i] = dw[i]! + job.out[i]!;
  }
  return dw;
}

/** {@link convInputGradient}, on the helper threads when worthwhile. */
export function parallelConvInputGradient(dy: Float32Array, filter: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  if (threads < 2) {
    convInputGradient(dy, filter, g, dx);
    return;
  }
  const flipped = new Float32Array(filter.length);
  parallelConvForward(dy, flipped, transposedConvolution(filter, g, flipped), dx);
}
