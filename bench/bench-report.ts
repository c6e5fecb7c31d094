/** The end of `npm run bench`: the headline figures of every section that ran, as lines and as one JSON object. */
import { cpus, totalmem } from 'node:os';
import type { SectionName } from './bench-options.js';
import type { SectionResults } from './sections.js';
import { round } from './stats.js';

export interface BenchReport {
  date: string;
  command: string;
  quick: boolean;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string };
  sections: Partial<{ [K in SectionName]: SectionResults[K] }>;
  errors: Partial<Record<SectionName, string>>;
  sectionSeconds: Partial<Record<SectionName, number>>;
  headline: Record<string, number | string | boolean | null>;
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
export function headline(sections: BenchReport['sections']): Record<string, number | string | boolean | null> {
  const h: Record<string, number | string | boolean | null> = {};
  const t = sections.training;
  if (t) {
    const nativeMissing = t.nativeSkipped;
    h.training_stock_images_per_sec = t.imagesPerSec.stock;
    h.training_typescript_1thread_images_per_sec = t.imagesPerSec.typescript1Thread;
    h.training_native_1thread_images_per_sec = t.imagesPerSec.native1Thread ?? nativeMissing;
    h.training_native_2threads_images_per_sec = t.imagesPerSec.native2Threads ?? nativeMissing;
    h.training_pytorch_1thread_images_per_sec = t.imagesPerSec.pytorch1Thread ?? t.torchMissing;
    h.training_pytorch_2threads_images_per_sec = t.imagesPerSec.pytorch2Threads ?? t.torchMissing;
    h.training_native_over_pytorch_1thread = t.ratios.nativeOverPytorch1Thread;
    h.training_native_over_pytorch_2threads = t.ratios.nativeOverPytorch2Threads;
    h.training_native_over_typescript = t.ratios.nativeOverTypescript;
    h.training_native_over_stock = t.ratios.nativeOverStock;
    h.training_native_2threads_target_450_met = t.targetMet;
    h.training_native_peak_rss_mb = t.peakRssMb.native;
    h.training_typescript_peak_rss_mb = t.peakRssMb.typescript;
    h.training_stock_peak_rss_mb = t.peakRssMb.stock;
    h.training_pytorch_peak_rss_mb = t.peakRssMb.pytorch;
    h.training_leak_check_steps = t.leakCheck?.steps ?? null;
    h.training_leak_free = t.leakCheck?.leakFree ?? null;
    h.training_leak_rss_growth_mb = t.leakCheck?.rssGrowthMb ?? null;
    h.training_native_2threads_omp_default_images_per_sec = t.waitPolicy?.default ?? null;
    h.training_native_2threads_omp_spin300k_images_per_sec = t.waitPolicy?.spin300k ?? null;
    h.training_native_2threads_omp_passive_images_per_sec = t.waitPolicy?.passive ?? null;
    h.training_native_2threads_omp_active_images_per_sec = t.waitPolicy?.active ?? null;
    for (const p of t.peak) {
      h[`training_native_${p.threads}thread_fma_peak_gflops`] = p.gflops;
      h[`training_native_${p.threads}thread_fraction_of_peak`] = p.fraction;
    }
    h.training_native_2threads_target_2000_met = t.round2TargetMet;
    h.training_eval_ms_per_image = t.evaluation?.evalMsPerImage ?? null;
    h.training_eval_quality_ms_per_image = t.evaluation?.qualityMsPerImage ?? null;
    h.training_eval_over_train_step = t.evaluation?.evalOverTrainStep ?? null;
    h.training_eval_target_0_4_met = t.evalTargetMet;
    h.training_webgpu_adapter = t.webgpu.label ?? t.webgpu.skipped;
    h.training_webgpu_batch = t.webgpu.webgpu === null ? null : t.webgpu.batch;
    h.training_webgpu_images_per_sec = t.webgpu.webgpu?.imagesPerSec ?? null;
    h.training_webgpu_over_cpu = t.webgpu.ratio;
    h.training_webgpu_max_loss_diff = t.webgpu.maxLossDiff;
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
    h.queue_enqueue_expand_seconds = q.enqueue.expandSeconds;
    for (const s of q.enqueue.stores) {
      h[`queue_enqueue_${s.store}_seconds`] = s.seconds;
      h[`queue_enqueue_${s.store}_store_requests`] = s.storeRequests;
      h[`queue_enqueue_${s.store}_again_seconds`] = s.againSeconds;
    }
    h.queue_enqueue_redis_only_seconds = q.enqueue.redisOnlySeconds;
    h.queue_enqueue_under_2s_target_met = q.enqueue.targetMet;
    h.queue_status_trials = q.status.trials;
    h.queue_status_waiting_jobs = q.status.waitingJobs;
    h.queue_status_seconds = q.status.oneRead.seconds;
    h.queue_status_redis_cpu_seconds = q.status.oneRead.redisCpuSeconds;
    h.queue_status_get_state_per_job_seconds = q.status.getStatePerJob.seconds;
    h.queue_status_get_state_per_job_redis_cpu_seconds = q.status.getStatePerJob.redisCpuSeconds;
    h.queue_status_scrape_seconds = q.status.scrapeSeconds;
    h.queue_dispatch_workers = q.dispatch.workers;
    h.queue_dispatch_p50_ms = q.dispatch.p50Ms;
    h.queue_dispatch_p95_ms = q.dispatch.p95Ms;
  }
  const s = sections.search;
  if (s) {
    const method = (name: string) => s.replay.methods.find((m) => m.method === name);
    const t = s.targets;
    h.search_table_configurations = s.table.configurations;
    h.search_table_seeds = s.table.seeds.length;
    h.search_table_reused = s.table.seeds.every((t) => t.reused);
    h.search_table_compute_seconds = round(s.table.seeds.reduce((sum, t) => sum + t.computeSeconds, 0), 1);
    h.search_table_seed_std_db = s.table.seedStdDb;
    h.search_seeds = s.replay.seeds.length;
    h.search_run_cap = s.replay.runCap;
    h.search_random_best_psnr_median_db = method('random')?.bestPsnr.median ?? null;
    h.search_random_epochs_median = method('random')?.epochs.median ?? null;
    h.search_bayes_best_psnr_median_db = method('bayes')?.bestPsnr.median ?? null;
    h.search_tpe_best_psnr_median_db = method('tpe')?.bestPsnr.median ?? null;
    h.search_hyperband_epochs_fraction_of_random = method('random+hyperband')?.fractionOfRandomEpochs ?? null;
    h.search_random_asha_epochs_fraction_of_random = method('random+asha (pause)')?.fractionOfRandomEpochs ?? null;
    h.search_asha_stop_epochs_fraction_of_random = method('tpe+asha (stop)')?.fractionOfRandomEpochs ?? null;
    h.search_asha_pause_epochs_fraction_of_random = method('tpe+asha (pause)')?.fractionOfRandomEpochs ?? null;
    h.search_early_stopping_third_target_met = t.earlyStopping.met;
    h.search_bayes_beats_random_seeds = t.adaptiveBeatsRandom.beats.bayes ?? null;
    h.search_tpe_beats_random_seeds = t.adaptiveBeatsRandom.beats.tpe ?? null;
    h.search_adaptive_beats_random_target_met = t.adaptiveBeatsRandom.met;
    h.search_pause_worse_than_stop_seeds = t.pauseNotWorseThanStop.violations;
    h.search_pause_not_worse_target_met = t.pauseNotWorseThanStop.met;
    h.search_e2e_wall_seconds = s.e2e.wallSeconds;
    h.search_e2e_epochs_trained = s.e2e.epochsTrained;
    h.search_e2e_best_psnr_db = s.e2e.bestPsnr;
    h.search_e2e_predicted_epochs = s.e2e.predicted.epochs;
    h.search_e2e_predicted_best_psnr_db = s.e2e.predicted.bestPsnr;
  }
  return h;
}

export function headlineLines(h: Record<string, number | string | boolean | null>): string[] {
  const width = Math.max(...Object.keys(h).map((k) => k.length));
  return Object.entries(h).map(([k, v]) => `  ${k.padEnd(width)}  ${v === null ? '-' : String(v)}`);
}
