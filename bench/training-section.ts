/**
 * Section 'training' (issue 2): images/s of one training step (forward + MSE + backward +
 * Adam) of the default net (filters [32, 64, 128]) with each tfjs cpu kernel tier and in
 * PyTorch, side by side, with the ratios, each tier's peak RSS and a leak check.
 *
 * Each tfjs tier runs in a process of its own (bench/kernels-bench.ts --tier X), so the peak
 * RSS is the tier's: stock (one step at a small batch), typescript (1 thread, batch 256),
 * native (1 then 2 threads, batch 256, per-kernel profile at 2 threads, then the leak check:
 * 100 steps at 2 threads; in the typescript process when the native addon is unavailable).
 * Then PyTorch at 1 and 2 threads (bench/torch-bench.ts) when installed.
 */
import { fileURLToPath } from 'node:url';
import { nativeKernelStatus } from '@denoise-sweep/tfjs-cpu-kernels';
import type { BenchTier, EvalMeasurement, KernelsBenchResult, LeakCheckResult } from './kernels-bench.js';
import { runJsonChild, TFJS_BANNER } from './child-process.js';
import { round } from './stats.js';
import { TORCH_MISSING, runTorchBench, torchAvailable, type TorchBenchResult } from './torch-bench.js';
import type { WebGpuBenchResult } from './webgpu-bench.js';

const KERNELS_BENCH = fileURLToPath(new URL('./kernels-bench.ts', import.meta.url));
const WEBGPU_BENCH = fileURLToPath(new URL('./webgpu-bench.ts', import.meta.url));

/** The issue's target for the native tier at 2 threads. */
const TARGET_IMAGES_PER_SEC = 450;
/** Issue 14's target for the native tier at 2 threads (about a third of this machine's FMA peak). */
const TARGET_IMAGES_PER_SEC_ROUND_2 = 2000;
/** Issue 14's target: evaluation per image at most this fraction of a training step per image. */
const TARGET_EVAL_OVER_STEP = 0.4;

export interface TrainingSectionResult {
  filters: number[];
  batch: number;
  quick: boolean;
  /** Each tier's process output; native is null when the addon is unavailable (see nativeSkipped). */
  stock: KernelsBenchResult;
  typescript: KernelsBenchResult;
  native: KernelsBenchResult | null;
  nativeSkipped: string | null;
  /** null when PyTorch is not installed for /usr/bin/python3 (see torchMissing). */
  pytorch: TorchBenchResult | null;
  torchMissing: string | null;
  /** The webgpu engine beside the cpu engine (bench/webgpu-bench.ts); its `skipped` says why when no adapter was found. */
  webgpu: WebGpuBenchResult;
  /** Images/s of one training step; null where not measured. */
  imagesPerSec: {
    stock: number | null;
    typescript1Thread: number | null;
    native1Thread: number | null;
    native2Threads: number | null;
    pytorch1Thread: number | null;
    pytorch2Threads: number | null;
  };
  ratios: {
    /** Native images/s over PyTorch images/s at equal thread counts. */
    nativeOverPytorch1Thread: number | null;
    nativeOverPytorch2Threads: number | null;
    /** Both single-threaded. */
    nativeOverTypescript: number | null;
    /** Native 1 thread over stock (single-threaded, at its small batch). */
    nativeOverStock: number | null;
  };
  /** Native 2-thread images/s >= TARGET_IMAGES_PER_SEC; null when native did not run. */
  targetMet: boolean | null;
  peakRssMb: { stock: number; typescript: number; native: number | null; pytorch: number | null };
  /** In the native process, or the typescript one without the addon. */
  leakCheck: LeakCheckResult | null;
  /**
   * Native images/s at 2 threads under each OpenMP wait policy (medians of interleaved
   * rounds, each run in its own process): the kernels' default (10,000 spins, then sleep),
   * libgomp's own default (300,000 spins), passive (sleep at once) and active (spin). null
   * without native.
   */
  waitPolicy: { default: number | null; spin300k: number | null; passive: number | null; active: number | null; runs: Record<WaitPolicy, number[]> } | null;
  /** The epoch loop's evaluation per image beside a training step per image (native at 2 threads, else typescript). */
  evaluation: EvalMeasurement | null;
  /** evaluation.evalOverTrainStep <= TARGET_EVAL_OVER_STEP; null when not measured. */
  evalTargetMet: boolean | null;
  /** The native tier's convolution GFLOP/s against the FMA peak measured beside it, per thread count. */
  peak: { threads: number; gflops: number; achievedGflops: number; fraction: number }[];
  /** Native 2-thread images/s >= TARGET_IMAGES_PER_SEC_ROUND_2; null when native did not run. */
  round2TargetMet: boolean | null;
}

/** Dawn's notice on lavapipe, printed at every device creation. */
const DAWN_LIMIT_WARNING = /artificially reduced from/;

const WAIT_POLICIES = ['default', 'spin300k', 'passive', 'active'] as const;
type WaitPolicy = (typeof WAIT_POLICIES)[number];

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : round((sorted[mid - 1]! + sorted[mid]!) / 2, 2);
}

export async function runTrainingSection(quick: boolean, log: (line: string) => void): Promise<TrainingSectionResult> {
  const filters = [32, 64, 128];
  const batch = 256;
  const steps = quick ? 2 : 5;
  const leakSteps = quick ? 30 : 100;
  const common = ['--filters', filters.join(','), '--batch', String(batch), '--steps', String(steps)];
  const native = nativeKernelStatus();
  const leakArgs = ['--leak-steps', String(leakSteps), '--leak-threads', '2'];
  const evalArgs = ['--eval-images', String(quick ? 500 : 2000)];
  const indent = (line: string) => log(`  ${line}`);

  log(`tfjs cpu backend, default net ${JSON.stringify(filters)}, one training step = forward + MSE + backward + Adam; each tier in its own process`);
  const stock = await runTierProcess('stock', [...common, '--stock-batch', String(quick ? 2 : 8)], indent);
  const typescript = await runTierProcess('typescript', [...common, '--threads', '1', '--profile-threads', '0', ...(native.available ? [] : [...leakArgs, ...evalArgs])], indent);
  let nativeResult: KernelsBenchResult | null = null;
  let nativeSkipped: string | null = null;
  let waitPolicy: TrainingSectionResult['waitPolicy'] = null;
  if (native.available) {
    // libgomp's default wait policy for the main run, whatever this shell has set.
    // 20 timed steps (2.5 s at 2 threads): 5 took 0.6 s, short enough for one busy moment of
    // this shared machine to set the median.
    const nativeSteps = ['--steps', String(quick ? steps : 20)];
    nativeResult = await runTierProcess('native', [...common, ...nativeSteps, '--threads', '1,2', '--profile-threads', '2', ...leakArgs, ...evalArgs], indent, { OMP_WAIT_POLICY: undefined });
    nativeSkipped = nativeResult.skipped;
    if (nativeSkipped !== null) nativeResult = null;
    if (nativeResult !== null) {
      // Interleaved rounds, so that a busy minute on this shared machine hits every policy.
      const rounds = quick ? 1 : 3;
      log(`OpenMP wait policy, native tier at 2 threads: ${rounds} interleaved round(s) of default (the kernels' 10,000 spins, then sleep), `
        + 'spin300k (libgomp\'s own default), passive, active');
      const runs: Record<WaitPolicy, number[]> = { default: [], spin300k: [], passive: [], active: [] };
      for (let round = 1; round <= rounds; round++) {
        for (const policy of WAIT_POLICIES) {
          const r = await runTierProcess('native', [...common, '--threads', '2', '--profile-threads', '0'], () => {}, {
            OMP_WAIT_POLICY: policy === 'passive' || policy === 'active' ? policy : undefined,
            GOMP_SPINCOUNT: policy === 'spin300k' ? '300000' : undefined,
          });
          const ips = r.runs.find((run) => run.threads === 2)?.imagesPerSec;
          if (ips !== undefined) runs[policy].push(ips);
          indent(`round ${round}, ${policy}: ${ips ?? 'not measured'} images/s`);
        }
      }
      waitPolicy = {
        default: median(runs.default),
        spin300k: median(runs.spin300k),
        passive: median(runs.passive),
        active: median(runs.active),
        runs,
      };
    }
  } else {
    nativeSkipped = `native tier skipped: the oneDNN addon is not available (${native.reason ?? 'no reason given'})`;
    log(`native: ${nativeSkipped}`);
  }

  let pytorch: TorchBenchResult | null = null;
  let torchMissing: string | null = null;
  if (torchAvailable()) {
    log('PyTorch, same net (crop 32 -> 28 before the last conv), Adam lr 1e-3, MSE, random data');
    pytorch = await runTorchBench({ filters, batch, warmup: 3, steps: quick ? 4 : 10, threads: [1, 2] }, indent);
  } else {
    torchMissing = TORCH_MISSING;
    log(TORCH_MISSING);
  }

  log('webgpu engine (tfjs-backend-webgpu on Dawn over Vulkan) beside the cpu engine, one process');
  const webgpuRun = await runJsonChild<WebGpuBenchResult>(process.execPath, ['--import', 'tsx', WEBGPU_BENCH, '--batch', String(batch),
    '--steps', quick ? '5' : '20', '--cpu-steps', quick ? '2' : '5', '--cpu-threads', '2'], {
    env: process.env,
    resultOf: (line) => (line.startsWith('{') ? line : undefined),
    log: (line) => {
      if (!TFJS_BANNER.test(line) && !DAWN_LIMIT_WARNING.test(line)) indent(line);
    },
  });
  if (webgpuRun.code !== 0 || webgpuRun.result === null) {
    throw new Error(`webgpu-bench exited with code ${webgpuRun.code}: ${webgpuRun.stderrTail.trim().split('\n').slice(-15).join('\n')}`);
  }
  const webgpu = webgpuRun.result;

  const at = (r: KernelsBenchResult | null, threads: number) => r?.runs.find((run) => run.threads === threads)?.imagesPerSec ?? null;
  const imagesPerSec: TrainingSectionResult['imagesPerSec'] = {
    stock: stock.runs[0]?.imagesPerSec ?? null,
    typescript1Thread: at(typescript, 1),
    native1Thread: at(nativeResult, 1),
    native2Threads: at(nativeResult, 2),
    pytorch1Thread: pytorch?.runs.find((r) => r.threads === 1)?.images_per_sec ?? null,
    pytorch2Threads: pytorch?.runs.find((r) => r.threads === 2)?.images_per_sec ?? null,
  };
  const ratio = (a: number | null, b: number | null) => (a === null || b === null ? null : round(a / b, 3));
  const ratios: TrainingSectionResult['ratios'] = {
    nativeOverPytorch1Thread: ratio(imagesPerSec.native1Thread, imagesPerSec.pytorch1Thread),
    nativeOverPytorch2Threads: ratio(imagesPerSec.native2Threads, imagesPerSec.pytorch2Threads),
    nativeOverTypescript: ratio(imagesPerSec.native1Thread, imagesPerSec.typescript1Thread),
    nativeOverStock: ratio(imagesPerSec.native1Thread, imagesPerSec.stock),
  };
  const targetMet = imagesPerSec.native2Threads === null ? null : imagesPerSec.native2Threads >= TARGET_IMAGES_PER_SEC;
  const leakCheck = nativeResult?.leakCheck ?? (native.available ? null : typescript.leakCheck);
  const evaluation = nativeResult?.evaluation ?? (native.available ? null : typescript.evaluation);
  const evalTargetMet = evaluation === null ? null : evaluation.evalOverTrainStep <= TARGET_EVAL_OVER_STEP;
  const peak = (nativeResult?.runs ?? []).flatMap((r) => (r.peak ? [{ threads: r.threads, gflops: r.peak.gflops, achievedGflops: r.peak.achievedGflops, fraction: r.peak.fraction }] : []));
  const round2TargetMet = imagesPerSec.native2Threads === null ? null : imagesPerSec.native2Threads >= TARGET_IMAGES_PER_SEC_ROUND_2;
  const result: TrainingSectionResult = {
    filters,
    batch,
    quick,
    stock,
    typescript,
    native: nativeResult,
    nativeSkipped,
    pytorch,
    torchMissing,
    webgpu,
    imagesPerSec,
    ratios,
    targetMet,
    peakRssMb: { stock: stock.peakRssMb, typescript: typescript.peakRssMb, native: nativeResult?.peakRssMb ?? null, pytorch: pytorch?.peak_rss_mb ?? null },
    leakCheck,
    waitPolicy,
    evaluation,
    evalTargetMet,
    peak,
    round2TargetMet,
  };

  const fig = (x: number | null, missing = 'not measured') => (x === null ? missing : String(x));
  const torchFig = (x: number | null) => fig(x, torchMissing ?? 'not measured');
  const nativeFig = (x: number | null) => fig(x, nativeSkipped === null ? 'not measured' : 'skipped');
  log('training step, images/s:');
  log(`  tfjs stock        ${fig(imagesPerSec.stock)} (batch ${stock.runs[0]?.batch ?? '?'}, 1 thread)`);
  log(`  tfjs typescript   ${fig(imagesPerSec.typescript1Thread)} (batch ${batch}, 1 thread)`);
  log(`  tfjs native       ${nativeFig(imagesPerSec.native1Thread)} (1 thread), ${nativeFig(imagesPerSec.native2Threads)} (2 threads), batch ${batch}`);
  log(`  PyTorch           ${torchFig(imagesPerSec.pytorch1Thread)} (1 thread), ${torchFig(imagesPerSec.pytorch2Threads)} (2 threads), batch ${batch}`
    + (pytorch ? ` (torch ${pytorch.torch_version})` : ''));
  log(`  tfjs webgpu       ${webgpu.webgpu === null ? webgpu.skipped : `${webgpu.webgpu.imagesPerSec} (batch ${webgpu.batch}) on ${webgpu.label}; `
    + `cpu engine beside it ${webgpu.cpu!.imagesPerSec} (${webgpu.cpu!.kernels}), ratio ${webgpu.ratio}, largest loss difference ${webgpu.maxLossDiff!.toExponential(2)}`}`);
  log(`ratios: native/PyTorch ${fig(ratios.nativeOverPytorch1Thread)} at 1 thread, ${fig(ratios.nativeOverPytorch2Threads)} at 2 threads; `
    + `native/typescript ${fig(ratios.nativeOverTypescript)} (1 thread each); native/stock ${fig(ratios.nativeOverStock)} (1 thread each)`);
  log(`target ${TARGET_IMAGES_PER_SEC} images/s (native, 2 threads): ${targetMet === null ? 'not measured' : targetMet ? 'met' : 'NOT met'}`
    + (imagesPerSec.native2Threads === null ? '' : ` (${imagesPerSec.native2Threads} images/s)`));
  log(`goal, parity with PyTorch at 2 threads: native/PyTorch = ${fig(ratios.nativeOverPytorch2Threads)}`);
  const flops = nativeResult?.flopsPerImage;
  for (const p of peak) {
    log(`fraction of peak, native at ${p.threads} thread(s): ${p.achievedGflops} GFLOP/s of convolutions (${flops ? (flops.training / 1e6).toFixed(1) : '?'} MFLOP per image) `
      + `of ${p.gflops} GFLOP/s measured by the FMA loop on the same threads = ${(100 * p.fraction).toFixed(1)}%`);
  }
  log(`target ${TARGET_IMAGES_PER_SEC_ROUND_2} images/s (native, 2 threads, issue 14): ${round2TargetMet === null ? 'not measured' : round2TargetMet ? 'met' : 'NOT met'}`);
  log(`peak RSS: stock process ${stock.peakRssMb} MB, typescript ${typescript.peakRssMb} MB, `
    + `native ${nativeResult === null ? 'skipped' : `${nativeResult.peakRssMb} MB (${nativeResult.peakRssMbBeforeLeakCheck} MB before the leak check)`}, `
    + `PyTorch ${pytorch === null ? 'not measured' : `${pytorch.peak_rss_mb} MB`}`);
  if (waitPolicy !== null) {
    log(`OpenMP wait policy, native 2 threads, median images/s: default ${fig(waitPolicy.default)}, spin300k ${fig(waitPolicy.spin300k)}, `
      + `passive ${fig(waitPolicy.passive)}, active ${fig(waitPolicy.active)}`);
  }
  if (evaluation === null) {
    log('evaluation: not measured');
  } else {
    const e = evaluation;
    log(`evaluation per image (${e.images} images, chunks of ${e.chunk}, ${e.threads} thread(s)): forward ${e.forwardMsPerImage} ms + MSE/PSNR/SSIM ${e.qualityMsPerImage} ms = ${e.evalMsPerImage} ms `
      + `(first pass ${e.firstPassMsPerImage} ms); training step per image ${e.trainStepMsPerImage} ms; ratio ${e.evalOverTrainStep}, `
      + `target <= ${TARGET_EVAL_OVER_STEP}: ${evalTargetMet ? 'met' : 'NOT met'}`);
  }
  if (leakCheck === null) {
    log('leak check: not run');
  } else {
    const { baseline: b, end: e } = leakCheck;
    log(`leak check (${leakCheck.tier}, ${leakCheck.threads} threads, batch ${leakCheck.batch}, ${leakCheck.steps} steps): `
      + `after step ${b.step} ${b.numTensors} tensors / ${b.numBytes} bytes / RSS ${b.rssMb} MB; `
      + `after step ${e.step} ${e.numTensors} tensors / ${e.numBytes} bytes / RSS ${e.rssMb} MB; `
      + `RSS growth ${leakCheck.rssGrowthMb} MB; leakFree ${leakCheck.leakFree}`);
  }
  return result;
}

/**
 * Runs bench/kernels-bench.ts for one tier in a child process, relaying its lines to `log`;
 * resolves with its final JSON line, rejects when it exits without one.
 */
async function runTierProcess(
  tier: BenchTier,
  args: readonly string[],
  log: (line: string) => void,
  env: Record<string, string | undefined> = {},
): Promise<KernelsBenchResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  const run = await runJsonChild<KernelsBenchResult>(process.execPath, ['--import', 'tsx', KERNELS_BENCH, '--tier', tier, ...args], {
    env: childEnv,
    resultOf: (line) => (line.startsWith('{') ? line : undefined),
    log: (line) => {
      if (!TFJS_BANNER.test(line)) log(line);
    },
  });
  if (run.code === 0 && run.result !== null) return run.result;
  const why = run.parseError === null ? 'without a JSON result' : `with bad JSON (${run.parseError})`;
  throw new Error(`kernels-bench --tier ${tier} exited with code ${run.code} ${why}: ${run.stderrTail.trim().split('\n').slice(-15).join('\n')}`);
}
