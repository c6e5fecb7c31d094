/**
 * Training-step throughput of the default autoencoder on tfjs's pure-JS `cpu` backend, one
 * kernel tier per process (so the peak RSS printed is the tier's own):
 *
 *   npx tsx bench/kernels-bench.ts --tier stock|typescript|native [--threads 1,2] [--steps 5] [--batch 256]
 *       [--stock-batch 8] [--filters 32,64,128] [--profile-threads N] [--leak-steps N] [--leak-threads 2] [--eval-images N]
 *       [--forward product|apply]
 *
 * e.g. `npx tsx bench/kernels-bench.ts --tier native --threads 1,2 --steps 5`.
 *
 * A step is forward (the epoch loop's trainingForward, whose relu convolutions are one fused
 * kernel each; `--forward apply`: tfjs's `model.apply(x, { training: true })`, which runs them
 * as convolution, bias add and relu), MSE, backward and an Adam update (lr 1e-3, the product's
 * ResumableAdam) of bench/kernels-net.ts's model, in prod mode, as the epoch loop runs it.
 *
 * - `stock`: tfjs's own kernels, one warm-up step at batch 2, then one timed step at
 *   `--stock-batch` (they do well under 1 image/s).
 * - `typescript`, `native`: this project's kernels (`registerFastCpuKernels` with `native: 'off'`
 *   or `'required'`); for each of `--threads` in turn, 2 warm-up steps then `--steps` timed ones
 *   at `--batch`. `native` prints why and measures nothing when `nativeKernelStatus()` says the
 *   addon is unavailable.
 * - `--profile-threads N`: after the run at N threads, one more step with every kernel timed
 *   (KernelTimer). Defaults to the last of `--threads`; 0 skips it.
 * - `--eval-images N` (0 = none): after the last thread count's run, the epoch loop's evaluation
 *   (evaluateDenoiser) of N images, per image, beside that run's training step per image.
 * - `--leak-steps N` (0 = none, else more than 10): a fresh model trained N steps at `--batch` with
 *   `--leak-threads` threads; tf.memory() and RSS after step 10 and after step N, and the buffer
 *   pool's counters. Leak-free when the tensor count and bytes are identical and RSS grew less
 *   than 64 MB.
 *
 * Human-readable lines first; the last line of output is one JSON object (KernelsBenchResult)
 * for bench/training-section.ts.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import {
  KernelTimer,
  bufferPoolStats,
  fastCpuKernelThreads,
  fastCpuKernelTier,
  measureFmaPeak,
  nativeKernelStatus,
  registerFastCpuKernels,
  unregisterFastCpuKernels,
  type BufferPoolStats,
  type FastCpuKernelTier,
  type KernelTiming,
} from '@denoise-sweep/tfjs-cpu-kernels';
import { evaluateDenoiser, ResumableAdam, trainingForward } from '@denoise-sweep/worker';
import { buildBenchAutoencoder, convFlopsPerImage } from './kernels-net.js';

const BENCH_TIERS = ['stock', 'typescript', 'native'] as const;
export type BenchTier = (typeof BENCH_TIERS)[number];

/** The leak check compares memory after this step with memory after the last one. */
const LEAK_BASELINE_STEP = 10;
/** Most RSS growth (MB) between the baseline step and the last step of a leak-free run. */
const LEAK_RSS_GROWTH_LIMIT_MB = 64;

interface KernelsBenchOptions {
  tier: BenchTier;
  /** @defaultValue [32, 64, 128] */
  filters: number[];
  /** Batch of the typescript and native tiers and of the leak check. @defaultValue 256 */
  batch: number;
  /** Timed steps per thread count (typescript, native), after two warm-up steps. @defaultValue 5 */
  steps: number;
  /** Batch of the single timed stock step (after a warm-up step at batch 2). @defaultValue 8 */
  stockBatch: number;
  /** Thread counts timed in turn (typescript, native). @defaultValue [1, 2] */
  threads: number[];
  /** Profile one step per kernel after the run at this thread count; null: none. */
  profileThreads: number | null;
  /** Steps of the leak check; 0: none. @defaultValue 0 */
  leakSteps: number;
  /** Threads of the leak check. @defaultValue 2 */
  leakThreads: number;
  /** Images of the evaluation measurement after the last thread count's run; 0: none. @defaultValue 0 */
  evalImages: number;
  /** The forward pass: the epoch loop's trainingForward, or tfjs's model.apply. @defaultValue 'product' */
  forward: 'product' | 'apply';
}

/**
 * Evaluation (the epoch loop's evaluateDenoiser: forward passes in chunks of 500, then MSE,
 * PSNR and SSIM) per image, against a training step per image at the same thread count.
 */
export interface EvalMeasurement {
  threads: number;
  images: number;
  chunk: number;
  /** The first pass (new shapes: one-off setup included), ms per image. */
  firstPassMsPerImage: number;
  /** Median of the timed passes after it, ms per image: forward, quality and both. */
  forwardMsPerImage: number;
  qualityMsPerImage: number;
  evalMsPerImage: number;
  /** The median training step of the same run, per image. */
  trainStepMsPerImage: number;
  /** evalMsPerImage over trainStepMsPerImage. */
  evalOverTrainStep: number;
}

interface TimedRun {
  threads: number;
  batch: number;
  stepMs: number[];
  imagesPerSec: number;
  /** Native tier: the FMA peak measured right after, on the same threads, and the step's share of it. */
  peak?: { gflops: number; isa: string; achievedGflops: number; fraction: number };
}

interface KernelProfile {
  threads: number;
  wallMs: number;
  /** Milliseconds per kernel, slowest first. */
  kernelMs: Record<string, number>;
  calls: Record<string, number>;
}

interface MemorySnapshot {
  /** Training steps done when taken. */
  step: number;
  numTensors: number;
  numBytes: number;
  rssMb: number;
}

export interface LeakCheckResult {
  tier: BenchTier;
  steps: number;
  threads: number;
  batch: number;
  baseline: MemorySnapshot;
  end: MemorySnapshot;
  rssGrowthMb: number;
  bufferPool: BufferPoolStats;
  /** Same tensor count and bytes at the baseline and the end, and RSS growth under the limit. */
  leakFree: boolean;
  seconds: number;
}

export interface KernelsBenchResult {
  tier: BenchTier;
  /** Why nothing was measured (the native addon unavailable), else null. */
  skipped: string | null;
  /** What fastCpuKernelTier() said while timing ('none' for stock); null when skipped. */
  servedBy: FastCpuKernelTier | null;
  /** oneDNN's version, native tier only. */
  onednn: string | null;
  filters: number[];
  /** One run per thread count (stock: one run of one step at the stock batch). */
  runs: TimedRun[];
  /** Convolution FLOPs of one image: forward, and a whole training step (see convFlopsPerImage). */
  flopsPerImage: { forward: number; training: number } | null;
  profile: KernelProfile | null;
  leakCheck: LeakCheckResult | null;
  evaluation: EvalMeasurement | null;
  /** process.resourceUsage().maxRSS at the end, in MB: the whole process, leak check included. */
  peakRssMb: number;
  /** Peak RSS before the leak check started (equals peakRssMb without one). */
  peakRssMbBeforeLeakCheck: number;
}

interface StepRunner {
  model: tf.LayersModel;
  step: () => void;
  dispose: () => void;
}

/**
 * Builds a model, the product's optimizer (ResumableAdam, as the epoch loop sets it up) and fixed
 * data; returns a function running one training step as the epoch loop does.
 */
function makeStep(filters: readonly number[], batch: number, forwardMode: KernelsBenchOptions['forward']): StepRunner {
  const model = buildBenchAutoencoder(filters, 1);
  const named = model.trainableWeights.map((w) => ({ name: w.originalName, variable: w.read() as tf.Variable }));
  const variables = named.map((v) => v.variable);
  const optimizer = new ResumableAdam(named, { learningRate: 1e-3 });
  const clean = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
  const noisy = tf.tidy(() => clean.add(tf.randomNormal(clean.shape, 0, 0.5, 'float32', 2)).clipByValue(0, 1));
  const step = () => {
    const loss = tf.tidy(() => {
      const forward = () => (forwardMode === 'apply' ? (model.apply(noisy, { training: true }) as tf.Tensor) : trainingForward(model, noisy as tf.Tensor4D));
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(forward(), clean)) as tf.Scalar, variables);
      optimizer.applyGradients(grads);
      return value;
    });
    loss.dataSync();
    loss.dispose();
  };
  const dispose = () => {
    tf.dispose([clean, noisy]);
    optimizer.dispose();
    model.dispose();
  };
  return { model, step, dispose };
}

const EVAL_CHUNK = 500;
const EVAL_PASSES = 3;

async function measureEvaluation(model: tf.LayersModel, run: TimedRun, images: number): Promise<EvalMeasurement> {
  const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const next = rng(7);
  const clean = Float32Array.from({ length: images * 784 }, next);
  const noisy = clean.map((v) => Math.min(1, Math.max(0, v + 0.5 * (next() - 0.5))));
  const t0 = performance.now();
  await evaluateDenoiser(model, noisy, clean, images, EVAL_CHUNK);
  const firstPassMsPerImage = (performance.now() - t0) / images;
  const passes = [];
  for (let i = 0; i < EVAL_PASSES; i++) passes.push(await evaluateDenoiser(model, noisy, clean, images, EVAL_CHUNK));
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const forward = med(passes.map((p) => (1000 * p.forwardSeconds) / images));
  const quality = med(passes.map((p) => (1000 * p.qualitySeconds) / images));
  const total = med(passes.map((p) => (1000 * (p.forwardSeconds + p.qualitySeconds)) / images));
  const trainStep = med(run.stepMs) / run.batch;
  return {
    threads: run.threads,
    images,
    chunk: EVAL_CHUNK,
    firstPassMsPerImage: round(firstPassMsPerImage, 4),
    forwardMsPerImage: round(forward, 4),
    qualityMsPerImage: round(quality, 4),
    evalMsPerImage: round(total, 4),
    trainStepMsPerImage: round(trainStep, 4),
    evalOverTrainStep: round(total / trainStep, 3),
  };
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

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function rssMb(): number {
  return round(process.memoryUsage().rss / 2 ** 20, 1);
}

/** Registers the tier's kernels at `threads`; the stock tier restores tfjs's own. */
function useTier(tier: BenchTier, threads: number): void {
  if (tier === 'stock') unregisterFastCpuKernels();
  else registerFastCpuKernels({ native: tier === 'native' ? 'required' : 'off', threads });
}

/** Runs one tier and returns the measurements; logs progress with `log`. */
async function runKernelsBench(options: KernelsBenchOptions, log: (line: string) => void = console.log): Promise<KernelsBenchResult> {
  tf.enableProdMode();
  await tf.setBackend('cpu');
  unregisterFastCpuKernels();
  const result: KernelsBenchResult = {
    tier: options.tier,
    skipped: null,
    servedBy: null,
    onednn: null,
    filters: options.filters,
    runs: [],
    flopsPerImage: null,
    profile: null,
    leakCheck: null,
    evaluation: null,
    peakRssMb: 0,
    peakRssMbBeforeLeakCheck: 0,
  };
  if (options.tier === 'native') {
    const status = nativeKernelStatus();
    if (!status.available) {
      result.skipped = `native tier skipped: the oneDNN addon is not available (${status.reason ?? 'no reason given'})`;
      log(result.skipped);
      result.peakRssMb = result.peakRssMbBeforeLeakCheck = peakRssMb();
      return result;
    }
    result.onednn = status.onednn ?? null;
  }

  if (options.tier === 'stock') {
    log(`stock kernels: warm-up step at batch 2, then one step at batch ${options.stockBatch}`);
    result.servedBy = fastCpuKernelTier();
    const warm = makeStep(options.filters, 2, options.forward);
    warm.step();
    warm.dispose();
    const run = makeStep(options.filters, options.stockBatch, options.forward);
    const stepMs = timeSteps(run.step, 1);
    run.dispose();
    result.runs.push({ threads: 1, batch: options.stockBatch, stepMs: stepMs.map((m) => Math.round(m)), imagesPerSec: round(imagesPerSec(stepMs, options.stockBatch)) });
    log(`  ${stepMs[0]!.toFixed(0)} ms -> ${result.runs[0]!.imagesPerSec} images/s`);
  } else {
    const runner = makeStep(options.filters, options.batch, options.forward);
    for (const threads of options.threads) {
      useTier(options.tier, threads);
      result.servedBy = fastCpuKernelTier();
      const onednn = result.onednn === null ? '' : `, oneDNN ${result.onednn}`;
      log(`${options.tier} kernels (${result.servedBy}${onednn}), ${fastCpuKernelThreads()} thread(s): 2 warm-up steps, then ${options.steps} steps at batch ${options.batch}`);
      if (result.servedBy !== options.tier) throw new Error(`asked for the ${options.tier} tier, fastCpuKernelTier() says ${result.servedBy}`);
      timeSteps(runner.step, 2);
      const stepMs = timeSteps(runner.step, options.steps);
      const run: TimedRun = { threads, batch: options.batch, stepMs: stepMs.map((m) => Math.round(m)), imagesPerSec: round(imagesPerSec(stepMs, options.batch)) };
      result.runs.push(run);
      result.flopsPerImage ??= convFlopsPerImage(runner.model);
      const peak = measureFmaPeak(1);
      if (peak) {
        const achievedGflops = (run.imagesPerSec * result.flopsPerImage.training) / 1e9;
        run.peak = { gflops: round(peak.gflops, 1), isa: peak.isa, achievedGflops: round(achievedGflops, 1), fraction: round(achievedGflops / peak.gflops, 3) };
      }
      log(`  steps ${run.stepMs.join(', ')} ms -> ${run.imagesPerSec} images/s`
        + (run.peak ? ` = ${run.peak.achievedGflops} GFLOP/s of convolutions (${(result.flopsPerImage.training / 1e6).toFixed(1)} MFLOP per image), `
          + `${(100 * run.peak.fraction).toFixed(1)}% of the ${run.peak.gflops} GFLOP/s ${run.peak.isa} FMA peak measured on ${threads} thread(s)` : ''));
      if (options.profileThreads === threads) {
        result.profile = profileStep(runner.step, threads);
        log(`  per-kernel time of one step at ${threads} thread(s) (${result.profile.wallMs} ms wall):`);
        log(formatProfile(result.profile));
      }
    }
    if (options.evalImages > 0) {
      const e = (result.evaluation = await measureEvaluation(runner.model, result.runs.at(-1)!, options.evalImages));
      log(`  evaluation of ${e.images} images (chunks of ${e.chunk}, then MSE, PSNR and SSIM), ${e.threads} thread(s): first pass ${e.firstPassMsPerImage} ms/image; `
        + `then forward ${e.forwardMsPerImage} + quality ${e.qualityMsPerImage} = ${e.evalMsPerImage} ms/image, `
        + `${e.evalOverTrainStep} of a training step per image (${e.trainStepMsPerImage} ms)`);
    }
    runner.dispose();
  }
  result.peakRssMbBeforeLeakCheck = peakRssMb();

  if (options.leakSteps > 0) {
    result.leakCheck = leakCheck(options, log);
  }
  if (options.tier !== 'stock' && result.leakCheck === null) {
    const pool = bufferPoolStats();
    log(`buffer pool: ${pool.allocated} allocated, ${pool.reused} reused, ${pool.recycled} recycled, ${pool.escaped} escaped, ${round(pool.pooledBytes / 2 ** 20, 1)} MB held`);
  }
  unregisterFastCpuKernels();
  result.peakRssMb = peakRssMb();
  const figures = result.runs.map((r) => `${r.imagesPerSec} images/s at ${r.threads} thread(s), batch ${r.batch}`).join('; ');
  log(`${options.tier}: ${figures}; peak RSS ${result.peakRssMb} MB`
    + (result.leakCheck === null ? '' : ` (${result.peakRssMbBeforeLeakCheck} MB before the leak check)`));
  return result;
}

function profileStep(step: () => void, threads: number): KernelProfile {
  const timer = new KernelTimer('cpu');
  timer.start();
  let wallMs: number;
  try {
    [wallMs] = timeSteps(step, 1) as [number];
  } finally {
    timer.stop();
  }
  const timings = [...timer.timings()].sort((a, b) => b.totalMs - a.totalMs);
  return {
    threads,
    wallMs: Math.round(wallMs),
    kernelMs: Object.fromEntries(timings.map((t) => [t.kernelName, round(t.totalMs, 1)])),
    calls: Object.fromEntries(timings.map((t) => [t.kernelName, t.calls])),
  };
}

function formatProfile(profile: KernelProfile): string {
  const timings: KernelTiming[] = Object.entries(profile.kernelMs).map(([kernelName, totalMs]) => ({ kernelName, totalMs, calls: profile.calls[kernelName] ?? 0 }));
  const kernelSum = timings.reduce((a, t) => a + t.totalMs, 0);
  return timings
    .map((t) => `    ${t.kernelName.padEnd(28)} ${t.totalMs.toFixed(1).padStart(9)} ms ${((100 * t.totalMs) / profile.wallMs).toFixed(1).padStart(5)}%  ${String(t.calls).padStart(4)} calls`)
    .concat(`    ${'(all kernels)'.padEnd(28)} ${kernelSum.toFixed(1).padStart(9)} ms ${((100 * kernelSum) / profile.wallMs).toFixed(1).padStart(5)}%`)
    .join('\n');
}

/** Trains a fresh model `leakSteps` steps; compares memory after the baseline step and the last. */
function leakCheck(options: KernelsBenchOptions, log: (line: string) => void): LeakCheckResult {
  if (options.tier === 'stock') throw new Error('the leak check runs with the typescript or native tier');
  useTier(options.tier, options.leakThreads);
  log(`leak check: a fresh model, ${options.leakSteps} steps at batch ${options.batch}, ${fastCpuKernelThreads()} thread(s), ${options.tier} tier`);
  const snapshot = (step: number): MemorySnapshot => {
    const m = tf.memory();
    return { step, numTensors: m.numTensors, numBytes: m.numBytes, rssMb: rssMb() };
  };
  const describe = (s: MemorySnapshot) => `${s.numTensors} tensors, ${s.numBytes} bytes, RSS ${s.rssMb} MB`;
  const started = performance.now();
  const runner = makeStep(options.filters, options.batch, options.forward);
  let baseline: MemorySnapshot | undefined;
  for (let i = 1; i <= options.leakSteps; i++) {
    runner.step();
    if (i === LEAK_BASELINE_STEP) {
      baseline = snapshot(i);
      log(`  after step ${i}: ${describe(baseline)}`);
    }
  }
  const end = snapshot(options.leakSteps);
  const seconds = round((performance.now() - started) / 1000, 1);
  runner.dispose();
  if (baseline === undefined) throw new Error(`the leak check needs more than ${LEAK_BASELINE_STEP} steps`);
  log(`  after step ${end.step}: ${describe(end)}`);
  const rssGrowthMb = round(end.rssMb - baseline.rssMb, 1);
  const bufferPool = bufferPoolStats();
  const sameTensors = end.numTensors === baseline.numTensors && end.numBytes === baseline.numBytes;
  const leakFree = sameTensors && rssGrowthMb < LEAK_RSS_GROWTH_LIMIT_MB;
  log(`  tensors ${sameTensors ? 'identical' : `CHANGED (${end.numTensors - baseline.numTensors} tensors, ${end.numBytes - baseline.numBytes} bytes)`}; `
    + `RSS ${baseline.rssMb} -> ${end.rssMb} MB (${rssGrowthMb >= 0 ? '+' : ''}${rssGrowthMb} MB, limit ${LEAK_RSS_GROWTH_LIMIT_MB}); `
    + `${options.leakSteps} steps in ${seconds} s -> leak-free: ${leakFree ? 'yes' : 'NO'}`);
  log(`  buffer pool: ${bufferPool.allocated} allocated, ${bufferPool.reused} reused, ${bufferPool.recycled} recycled, ${bufferPool.escaped} escaped, ${round(bufferPool.pooledBytes / 2 ** 20, 1)} MB held`);
  return { tier: options.tier, steps: options.leakSteps, threads: options.leakThreads, batch: options.batch, baseline, end, rssGrowthMb, bufferPool, leakFree, seconds };
}

function imagesPerSec(stepMs: readonly number[], batch: number): number {
  return (batch * stepMs.length) / (stepMs.reduce((a, b) => a + b, 0) / 1000);
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function parseKernelsBenchOptions(argv: string[]): KernelsBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      tier: { type: 'string' },
      batch: { type: 'string', default: '256' },
      steps: { type: 'string', default: '5' },
      'stock-batch': { type: 'string', default: '8' },
      filters: { type: 'string', default: '32,64,128' },
      threads: { type: 'string', default: '1,2' },
      'profile-threads': { type: 'string' },
      'leak-steps': { type: 'string', default: '0' },
      'leak-threads': { type: 'string', default: '2' },
      'eval-images': { type: 'string', default: '0' },
      forward: { type: 'string', default: 'product' },
    },
  });
  const integer = (name: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`--${name} must be an integer >= ${min}, got '${v}'`);
    return n;
  };
  const list = (name: string, v: string) => v.split(',').map((w) => integer(name, w.trim(), 1));
  const tier = values.tier;
  if (!(BENCH_TIERS as readonly (string | undefined)[]).includes(tier)) {
    throw new RangeError(`--tier must be one of ${BENCH_TIERS.join(', ')}, got '${tier ?? ''}'`);
  }
  if (values.forward !== 'product' && values.forward !== 'apply') throw new RangeError(`--forward must be product or apply, got '${values.forward}'`);
  const threads = list('threads', values.threads);
  const profile = values['profile-threads'] === undefined ? threads.at(-1)! : integer('profile-threads', values['profile-threads'], 0);
  const leakSteps = integer('leak-steps', values['leak-steps'], 0);
  if (leakSteps > 0 && leakSteps <= LEAK_BASELINE_STEP) throw new RangeError(`--leak-steps must be 0 or more than ${LEAK_BASELINE_STEP}, got ${leakSteps}`);
  if (leakSteps > 0 && tier === 'stock') throw new RangeError('--leak-steps needs --tier typescript or native');
  return {
    tier: tier as BenchTier,
    batch: integer('batch', values.batch, 1),
    steps: integer('steps', values.steps, 1),
    stockBatch: integer('stock-batch', values['stock-batch'], 1),
    filters: list('filters', values.filters),
    threads,
    profileThreads: profile === 0 || tier === 'stock' ? null : profile,
    leakSteps,
    leakThreads: integer('leak-threads', values['leak-threads'], 1),
    evalImages: tier === 'stock' ? 0 : integer('eval-images', values['eval-images'], 0),
    forward: values.forward,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runKernelsBench(parseKernelsBenchOptions(process.argv.slice(2)));
  console.log(JSON.stringify(result));
  // Helper threads of the kernels must not keep the process alive (stdout to a pipe is synchronous).
  process.exit(0);
}
