/**
 * Training-step throughput of the default autoencoder on the pure-JS cpu backend, stock
 * kernels vs @denoise-sweep/tfjs-cpu-kernels.
 *
 *   npx tsx bench/kernels-bench.ts [--batch 256] [--steps 5] [--stock-batch 8] [--filters 32,64,128] [--threads 2]
 *
 * A step is forward (`model.apply(x, { training: true })`), MSE, backward and an Adam update.
 * The stock tier runs one step at a small batch (it does ~0.4 images/s). The fast tier runs
 * single-threaded, then again with `--threads` convolution threads (skipped when 1). The last line of
 * output is one JSON object for the `npm run bench` driver.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { KernelTimer, registerFastCpuKernels, unregisterFastCpuKernels, type KernelTiming } from '@denoise-sweep/tfjs-cpu-kernels';
import { buildBenchAutoencoder } from './kernels-net.js';

export interface KernelsBenchOptions {
  /** @defaultValue [32, 64, 128] */
  filters: number[];
  /** Batch of the fast tier. @defaultValue 256 */
  batch: number;
  /** Timed steps of the fast tier, after two warm-up steps. @defaultValue 5 */
  steps: number;
  /** Batch of the single timed stock step (after a warm-up step at batch 2). @defaultValue 8 */
  stockBatch: number;
  /** Convolution threads of the second fast run; 1 skips it. @defaultValue 2 */
  threads: number;
}

export interface KernelsBenchResult {
  filters: number[];
  stockBatch: number;
  stockImagesPerSec: number;
  fastBatch: number;
  fastSteps: number;
  fastImagesPerSec: number;
  fastStepMs: number[];
  speedup: number;
  kernelMs: Record<string, number>;
  threads: number;
  fastThreadedImagesPerSec: number | null;
  peakRssMb: number;
}

/** Builds a model, optimizer and fixed data; returns a function running one training step. */
function makeStep(filters: readonly number[], batch: number): { step: () => void; dispose: () => void } {
  const model = buildBenchAutoencoder(filters, 1);
  const optimizer = tf.train.adam(1e-3);
  const clean = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
  const noisy = tf.tidy(() => clean.add(tf.randomNormal(clean.shape, 0, 0.5, 'float32', 2)).clipByValue(0, 1));
  const step = () => {
    tf.tidy(() => {
      optimizer.minimize(() => tf.losses.meanSquaredError(clean, model.apply(noisy, { training: true }) as tf.Tensor) as tf.Scalar);
    });
  };
  const dispose = () => {
    tf.dispose([clean, noisy]);
    optimizer.dispose();
    model.dispose();
  };
  return { step, dispose };
}

function timeSteps(step: () => void, steps: number): number[] {
  const ms: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    ms.push(performance.now() - t0);
  }
  return ms;
}

/** Runs both tiers and returns the measurements; logs progress with `log`. */
export async function runKernelsBench(options: KernelsBenchOptions, log: (line: string) => void = console.log): Promise<KernelsBenchResult> {
  await tf.setBackend('cpu');
  unregisterFastCpuKernels();

  log(`stock kernels: warm-up step at batch 2, then one step at batch ${options.stockBatch}`);
  const stock = makeStep(options.filters, 2);
  stock.step();
  stock.dispose();
  const stockRun = makeStep(options.filters, options.stockBatch);
  const [stockMs] = timeSteps(stockRun.step, 1);
  stockRun.dispose();
  const stockImagesPerSec = options.stockBatch / (stockMs! / 1000);
  log(`  ${stockMs!.toFixed(0)} ms -> ${stockImagesPerSec.toFixed(2)} images/s`);

  registerFastCpuKernels({ threads: 1 });
  log(`fast kernels, 1 thread: 2 warm-up steps, then ${options.steps} steps at batch ${options.batch}`);
  const fast = makeStep(options.filters, options.batch);
  const fastStepMs = timeFastSteps(fast.step, options, log);
  const fastImagesPerSec = imagesPerSec(fastStepMs, options.batch);

  const timer = new KernelTimer('cpu');
  timer.start();
  const [profiledMs] = timeSteps(fast.step, 1);
  timer.stop();
  const timings = timer.timings();
  log(`per-kernel time of one fast step (${profiledMs!.toFixed(0)} ms wall):`);
  log(formatTimings(timings, profiledMs!));

  let fastThreadedImagesPerSec: number | null = null;
  if (options.threads > 1) {
    registerFastCpuKernels({ threads: options.threads });
    log(`fast kernels, ${options.threads} convolution threads: 2 warm-up steps, then ${options.steps} steps`);
    fastThreadedImagesPerSec = round(imagesPerSec(timeFastSteps(fast.step, options, log), options.batch));
  }
  fast.dispose();
  unregisterFastCpuKernels();

  const result: KernelsBenchResult = {
    filters: options.filters,
    stockBatch: options.stockBatch,
    stockImagesPerSec: round(stockImagesPerSec),
    fastBatch: options.batch,
    fastSteps: options.steps,
    fastImagesPerSec: round(fastImagesPerSec),
    fastStepMs: fastStepMs.map((m) => Math.round(m)),
    speedup: round(fastImagesPerSec / stockImagesPerSec),
    kernelMs: Object.fromEntries(timings.map((t) => [t.kernelName, Math.round(t.totalMs * 10) / 10])),
    threads: options.threads,
    fastThreadedImagesPerSec,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  const threaded = fastThreadedImagesPerSec === null ? '' : `, ${fastThreadedImagesPerSec} images/s with ${options.threads} threads`;
  log(`stock ${result.stockImagesPerSec} images/s (batch ${options.stockBatch}), fast ${result.fastImagesPerSec} images/s (batch ${options.batch}, 1 thread): x${result.speedup}${threaded}; peak RSS ${result.peakRssMb} MB`);
  return result;
}

/** Two warm-up steps, then `options.steps` timed ones. */
function timeFastSteps(step: () => void, options: KernelsBenchOptions, log: (line: string) => void): number[] {
  timeSteps(step, 2);
  const ms = timeSteps(step, options.steps);
  log(`  steps ${ms.map((m) => m.toFixed(0)).join(', ')} ms -> ${imagesPerSec(ms, options.batch).toFixed(2)} images/s`);
  return ms;
}

function imagesPerSec(stepMs: readonly number[], batch: number): number {
  return (batch * stepMs.length) / (stepMs.reduce((a, b) => a + b, 0) / 1000);
}

function formatTimings(timings: readonly KernelTiming[], wallMs: number): string {
  return timings
    .map((t) => `  ${t.kernelName.padEnd(28)} ${t.totalMs.toFixed(1).padStart(9)} ms ${((100 * t.totalMs) / wallMs).toFixed(1).padStart(5)}%  ${String(t.calls).padStart(4)} calls`)
    .join('\n');
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function parseOptions(argv: string[]): KernelsBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      batch: { type: 'string', default: '256' },
      steps: { type: 'string', default: '5' },
      'stock-batch': { type: 'string', default: '8' },
      filters: { type: 'string', default: '32,64,128' },
      threads: { type: 'string', default: '2' },
    },
  });
  const positive = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
  return {
    batch: positive('batch', values.batch),
    steps: positive('steps', values.steps),
    stockBatch: positive('stock-batch', values['stock-batch']),
    filters: values.filters.split(',').map((w) => positive('filters', w)),
    threads: positive('threads', values.threads),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runKernelsBench(parseOptions(process.argv.slice(2)));
  console.log(JSON.stringify(result));
}
