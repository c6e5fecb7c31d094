/** The end of `npm run bench`: the headline figures of every section that ran, as lines and as one JSON object. */
import { cpus, totalmem } from 'node:os';
import type { SectionName } from './bench-options.js';
import type { SectionResults } from './sections.js';

export interface BenchReport {
  date: string;
  command: string;
  quick: boolean;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string };
  sections: Partial<{ [K in SectionName]: SectionResults[K] }>;
  errors: Partial<Record<SectionName, string>>;
  sectionSeconds: Partial<Record<SectionName, number>>;
  headline: Record<string, number | string | null>;
}

export function machineInfo(): BenchReport['machine'] {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1e8) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** The figures the issues ask for, flat, with units in their names. */
export function headline(sections: BenchReport['sections']): Record<string, number | string | null> {
  const h: Record<string, number | string | null> = {};
  const t = sections.training;
  if (t) {
    h.training_stock_images_per_sec = t.tfjs.stockImagesPerSec;
    h.training_project_1thread_images_per_sec = t.tfjs.fastImagesPerSec;
    h.training_project_2threads_images_per_sec = t.tfjs.fastThreadedImagesPerSec;
    h.training_project_over_stock = t.tfjs.speedup;
    h.training_pytorch_1thread_images_per_sec = t.pytorch?.runs.find((r) => r.threads === 1)?.images_per_sec ?? t.torchMissing;
    h.training_pytorch_2threads_images_per_sec = t.pytorch?.runs.find((r) => r.threads === 2)?.images_per_sec ?? t.torchMissing;
    h.training_project_over_pytorch_1thread = t.ratioProjectToPytorch1Thread;
    h.training_project_over_pytorch_2threads = t.ratioProjectToPytorch2Threads;
    h.training_tfjs_peak_rss_mb = t.tfjs.peakRssMb;
    h.training_pytorch_peak_rss_mb = t.pytorch?.peak_rss_mb ?? null;
  }
  const o = sections.overhead;
  if (o) {
    h.overhead_start_to_first_batch_cold_cache_new_worker_ms = o.startupMedianMs.coldCacheNewWorker.startToFirstBatchMs;
    h.overhead_start_to_first_batch_warm_cache_new_worker_ms = o.startupMedianMs.warmCacheNewWorker.startToFirstBatchMs;
    h.overhead_start_to_first_batch_warm_cache_warm_worker_ms = o.startupMedianMs.warmCacheWarmWorker.startToFirstBatchMs;
    h.overhead_checkpoint_save_ms = o.checkpoint.save.medianMs;
    h.overhead_checkpoint_mb = Math.round(o.checkpoint.checkpointBytes / 1e4) / 100;
    h.overhead_checkpoint_share_small_epoch_in_worker = o.checkpoint.inWorker.at(-1)?.share ?? null;
    h.overhead_checkpoint_share_full_epoch_projected = o.checkpoint.fullEpochShareProjected;
  }
  const q = sections.queue;
  if (q) {
    h.queue_enqueue_trials = q.enqueue.trials;
    h.queue_enqueue_sweep_seconds = q.enqueue.enqueueSweepSeconds;
    h.queue_enqueue_redis_only_seconds = q.enqueue.redisOnlySeconds;
    h.queue_dispatch_workers = q.dispatch.workers;
    h.queue_dispatch_p50_ms = q.dispatch.p50Ms;
    h.queue_dispatch_p95_ms = q.dispatch.p95Ms;
  }
  return h;
}

export function headlineLines(h: Record<string, number | string | null>): string[] {
  const width = Math.max(...Object.keys(h).map((k) => k.length));
  return Object.entries(h).map(([k, v]) => `  ${k.padEnd(width)}  ${v === null ? '-' : String(v)}`);
}
