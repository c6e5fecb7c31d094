/**
 * Section 'training' (issue 2): images/s of one training step of the default net (filters
 * [32, 64, 128], batch 256, Adam, MSE) with stock tfjs cpu kernels, with this project's kernels
 * (1 and 2 convolution threads), and in PyTorch on 1 and 2 threads; the ratios; peak RSS.
 */
import { runKernelsBench, type KernelsBenchOptions, type KernelsBenchResult } from './kernels-bench.js';
import { round } from './stats.js';
import { TORCH_MISSING, runTorchBench, torchAvailable, type TorchBenchResult } from './torch-bench.js';

export interface TrainingSectionResult {
  filters: number[];
  batch: number;
  tfjs: KernelsBenchResult;
  /** null when PyTorch is not installed for /usr/bin/python3 (see torchMissing). */
  pytorch: TorchBenchResult | null;
  torchMissing: string | null;
  /** Project kernels images/s over PyTorch images/s, at equal thread counts. */
  ratioProjectToPytorch1Thread: number | null;
  ratioProjectToPytorch2Threads: number | null;
}

export async function runTrainingSection(quick: boolean, log: (line: string) => void): Promise<TrainingSectionResult> {
  const options: KernelsBenchOptions = {
    filters: [32, 64, 128],
    batch: 256,
    steps: quick ? 2 : 5,
    stockBatch: quick ? 2 : 8,
    threads: 2,
  };
  log(`tfjs cpu backend, default net ${JSON.stringify(options.filters)}, one training step = forward + MSE + backward + Adam`);
  const tfjs = await runKernelsBench(options, (line) => log(`  ${line}`));

  let pytorch: TorchBenchResult | null = null;
  let torchMissing: string | null = null;
  if (torchAvailable()) {
    log('PyTorch, same net (crop 32 -> 28 before the last conv), Adam lr 1e-3, MSE, random data');
    pytorch = await runTorchBench({ filters: options.filters, batch: options.batch, warmup: 3, steps: quick ? 4 : 10, threads: [1, 2] }, (line) => log(`  ${line}`));
  } else {
    torchMissing = TORCH_MISSING;
    log(TORCH_MISSING);
  }
  const torchAt = (threads: number) => pytorch?.runs.find((r) => r.threads === threads)?.images_per_sec;
  const ratio = (project: number | null, torch: number | undefined) =>
    project === null || torch === undefined ? null : round(project / torch, 3);
  const result: TrainingSectionResult = {
    filters: options.filters,
    batch: options.batch,
    tfjs,
    pytorch,
    torchMissing,
    ratioProjectToPytorch1Thread: ratio(tfjs.fastImagesPerSec, torchAt(1)),
    ratioProjectToPytorch2Threads: ratio(tfjs.fastThreadedImagesPerSec, torchAt(2)),
  };
  log(`training step, images/s: stock ${tfjs.stockImagesPerSec} (batch ${tfjs.stockBatch}); project ${tfjs.fastImagesPerSec} (1 thread)`
    + `${tfjs.fastThreadedImagesPerSec === null ? '' : `, ${tfjs.fastThreadedImagesPerSec} (2 threads)`}`
    + (pytorch ? `; PyTorch ${torchAt(1)} (1 thread), ${torchAt(2)} (2 threads)` : `; ${TORCH_MISSING}`));
  if (pytorch) {
    log(`ratio project/PyTorch: ${result.ratioProjectToPytorch1Thread} at 1 thread, ${result.ratioProjectToPytorch2Threads} at 2 threads; `
      + `project/stock x${tfjs.speedup}; peak RSS tfjs process ${tfjs.peakRssMb} MB, PyTorch process ${pytorch.peak_rss_mb} MB`);
  }
  return result;
}
