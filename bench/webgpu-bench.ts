/**
 * The webgpu engine's training step beside the cpu engine's, in one process:
 *
 *   npx tsx bench/webgpu-bench.ts [--steps 20] [--cpu-steps 5] [--warmup 2] [--batch 256]
 *       [--filters 32,64,128] [--cpu-threads N] [--software-batch 32]
 *
 * Both engines train the default net from the same initial weights on the same fixed batch
 * (random images plus noise), as the epoch loop steps: forward (trainingForward), MSE, backward, the product's
 * ResumableAdam, then `await loss.data()` (which waits for the GPU). Prints the adapter Dawn
 * found, each engine's images/s after `--warmup` steps, their ratio, and the largest loss
 * difference over the steps both ran. A software adapter (Mesa's lavapipe, SwiftShader) is a
 * CPU emulation: its figures say so and mean nothing for a GPU, and it runs a short check
 * instead (batch `--software-batch`, at most 1 warm-up and 2 timed steps per engine).
 *
 * Without an adapter it prints why and measures nothing. Human-readable lines first; the last
 * line of output is one JSON object (WebGpuBenchResult). scripts/gpu-check.sh runs a bundle of
 * this file on GPU machines.
 */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { describeAdapter, probeWebGpu, ResumableAdam, releaseWebGpu, selectEngine, trainingForward, type GpuAdapter } from '@denoise-sweep/worker';
import { buildBenchAutoencoder, convFlopsPerImage } from './kernels-net.js';

interface EngineRun {
  engine: string;
  kernels: string;
  warmupMs: number[];
  stepMs: number[];
  imagesPerSec: number;
  /** Convolution GFLOP/s at that rate (convFlopsPerImage). */
  gflops: number;
  losses: number[];
}

export interface WebGpuBenchResult {
  /** Why nothing was measured (no adapter), else null. */
  skipped: string | null;
  adapter: GpuAdapter | null;
  /** describeAdapter(adapter): the label of the figures. */
  label: string | null;
  batch: number;
  filters: number[];
  webgpu: EngineRun | null;
  cpu: EngineRun | null;
  /** webgpu images/s over cpu images/s. */
  ratio: number | null;
  /** Largest |loss difference| between the engines, absolute and relative, over the steps both ran. */
  maxLossDiff: number | null;
  maxLossRelDiff: number | null;
}

interface Options {
  steps: number;
  cpuSteps: number;
  warmup: number;
  batch: number;
  filters: number[];
  cpuThreads: number;
  softwareBatch: number;
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits));

async function trainSteps(engineName: 'webgpu' | 'cpu', options: Options, steps: number, log: (line: string) => void): Promise<EngineRun> {
  const engine = await selectEngine(engineName);
  log(`${engineName} engine (${engine.kernels}${engine.adapter ? ` on ${describeAdapter(engine.adapter)}` : ''}): ${options.warmup} warm-up step(s), then ${steps} at batch ${options.batch}`);
  const model = buildBenchAutoencoder(options.filters, 1);
  const named = model.trainableWeights.map((w) => ({ name: w.originalName, variable: w.read() as tf.Variable }));
  const variables = named.map((v) => v.variable);
  const adam = new ResumableAdam(named, { learningRate: 1e-3 });
  const clean = tf.randomUniform([options.batch, 28, 28, 1], 0, 1, 'float32', 1);
  const noisy = tf.tidy(() => clean.add(tf.randomNormal(clean.shape, 0, 0.5, 'float32', 2)).clipByValue(0, 1));
  const losses: number[] = [];
  const times: number[] = [];
  for (let s = 0; s < options.warmup + steps; s++) {
    const t0 = performance.now();
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(trainingForward(model, noisy as tf.Tensor4D), clean)) as tf.Scalar, variables);
      adam.applyGradients(grads);
      return value;
    });
    losses.push((await loss.data())[0]!);
    loss.dispose();
    times.push(performance.now() - t0);
  }
  const flops = convFlopsPerImage(model);
  tf.dispose([clean, noisy]);
  adam.dispose();
  model.dispose();
  const stepMs = times.slice(options.warmup);
  const sorted = [...stepMs].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  const imagesPerSec = (1000 * options.batch) / median;
  const run: EngineRun = {
    engine: engineName,
    kernels: engine.kernels,
    warmupMs: times.slice(0, options.warmup).map((t) => Math.round(t)),
    stepMs: stepMs.map((t) => round(t)),
    imagesPerSec: round(imagesPerSec),
    gflops: round((imagesPerSec * flops.training) / 1e9),
    losses,
  };
  log(`  warm-up ${run.warmupMs.join(', ')} ms; steps ${run.stepMs.join(', ')} ms -> ${run.imagesPerSec} images/s (median step), ${run.gflops} GFLOP/s of convolutions`);
  return run;
}

async function runWebGpuBench(options: Options, log: (line: string) => void = console.log): Promise<WebGpuBenchResult> {
  tf.enableProdMode();
  const result: WebGpuBenchResult = { skipped: null, adapter: null, label: null, batch: options.batch, filters: options.filters, webgpu: null, cpu: null, ratio: null, maxLossDiff: null, maxLossRelDiff: null };
  try {
    result.adapter = await probeWebGpu();
  } catch (err) {
    result.skipped = `webgpu skipped: ${(err as Error).message}`;
    log(result.skipped);
    return result;
  }
  result.label = describeAdapter(result.adapter);
  log(`WebGPU adapter: ${result.label}; vendor '${result.adapter.vendor}', architecture '${result.adapter.architecture}', device '${result.adapter.device}'`);
  if (result.adapter.software) {
    options = { ...options, batch: options.softwareBatch, steps: Math.min(options.steps, 2), cpuSteps: Math.min(options.cpuSteps, 2), warmup: Math.min(options.warmup, 1) };
    result.batch = options.batch;
    log(`  a CPU emulation of a GPU: its figures test the engine and say nothing about GPU speed (short run at batch ${options.batch})`);
  }
  process.env.DENOISE_SWEEP_CPU_THREADS ??= String(options.cpuThreads);
  result.cpu = await trainSteps('cpu', options, options.cpuSteps, log);
  result.webgpu = await trainSteps('webgpu', options, options.steps, log);
  releaseWebGpu();
  result.ratio = round(result.webgpu.imagesPerSec / result.cpu.imagesPerSec, 3);
  const both = Math.min(result.cpu.losses.length, result.webgpu.losses.length);
  let diff = 0;
  let rel = 0;
  for (let i = 0; i < both; i++) {
    const d = Math.abs(result.webgpu.losses[i]! - result.cpu.losses[i]!);
    diff = Math.max(diff, d);
    rel = Math.max(rel, d / Math.abs(result.cpu.losses[i]!));
  }
  result.maxLossDiff = diff;
  result.maxLossRelDiff = rel;
  log(`webgpu ${result.webgpu.imagesPerSec} images/s vs cpu ${result.cpu.imagesPerSec} images/s (${result.cpu.kernels}): ratio ${result.ratio}; `
    + `largest loss difference over ${both} steps ${diff.toExponential(2)} (relative ${rel.toExponential(2)})`);
  return result;
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      steps: { type: 'string', default: '20' },
      'cpu-steps': { type: 'string', default: '5' },
      warmup: { type: 'string', default: '2' },
      batch: { type: 'string', default: '256' },
      filters: { type: 'string', default: '32,64,128' },
      'cpu-threads': { type: 'string', default: String(availableParallelism()) },
      'software-batch': { type: 'string', default: '32' },
    },
  });
  const int = (name: string, value: string, min: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${value}'`);
    return n;
  };
  return {
    steps: int('steps', values.steps, 1),
    cpuSteps: int('cpu-steps', values['cpu-steps'], 1),
    warmup: int('warmup', values.warmup, 0),
    batch: int('batch', values.batch, 1),
    filters: values.filters.split(',').map((f) => int('filters', f, 1)),
    cpuThreads: int('cpu-threads', values['cpu-threads'], 1),
    softwareBatch: int('software-batch', values['software-batch'], 1),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runWebGpuBench(parseOptions(process.argv.slice(2)));
  console.log(JSON.stringify(result));
}
